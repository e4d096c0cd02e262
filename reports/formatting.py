"""Every value a report or the dashboard shows is formatted here, for one reader's language.

Numbers follow the reader's locale through Babel (0.95 -> "0,95", 0.041 as a percent ->
"4,1 %"); a value that is not defined (NaN, None) is a dash, never a word that reads like a
result. `Formatter` binds the language once: the report builds its whole view with one, the
dashboard with another; `format_number` and `format_finding` are the same rules for callers
that format one value.
"""

from __future__ import annotations

import decimal
import math
import numbers
from typing import Any, Iterator, Literal

import numpy as np
from babel import Locale
from babel.numbers import format_decimal, format_percent

from nnaudit.messages import N_
from nnaudit.results import Finding
from nnaudit.reports.i18n import translator

NumberKind = Literal["decimal", "percent", "points", "integer"]
UNDEFINED = "—"
# Keys whose numbers are shares, shown as percentages (in summaries, protocols and manifests).
FRACTION_SUFFIXES = ("_error", "_acc", "_accuracy", "_pct", "_rate", "_share")


AUDIT_TITLES = {
    "fairness": N_("Fairness across subgroups"),
    "memorization": N_("Generalization and memorization"),
    "membership": N_("Membership inference"),
    "seed_stability": N_("Seed stability"),
    "gradient_health": N_("Gradient health"),
    "saliency": N_("Saliency maps and their sanity checks"),
    "robustness": N_("Robustness to corruptions and attacks"),
    "energy": N_("Energy and emissions"),
    "slices": N_("Slices"),
}


def is_fraction(key: str) -> bool:
    return key.endswith(FRACTION_SUFFIXES)


def is_undefined(value: Any) -> bool:
    return value is None or (isinstance(value, numbers.Real) and math.isnan(float(value)))


def format_number(value: Any, lang: str, kind: NumberKind = "decimal") -> str:
    """A number as the reader of ``lang`` writes it; NaN or None as a dash.

    ``decimal``: up to two decimals with grouping (12 345,68), two significant digits below one
    (0,95; 0,012), scientific below 0.0001 (p-values: 6,1E-11); ``percent``: a fraction with
    one decimal in the locale's percent pattern (0.041 -> "4.1%" / "4,1 %"); ``points``: the
    same fraction as a number of percent, no sign (0.041 -> "4.1"), for tables whose heading
    says "%"; ``integer``: rounded, grouped.
    """
    # Babel formats through Decimal, whose default context (28 digits) cannot quantize a
    # double beyond about 1e28 (a damaged manifest's 1e308): give it every digit a double has.
    with decimal.localcontext() as context:
        context.prec = 400
        return _format_number(value, lang, kind)


def _format_number(value: Any, lang: str, kind: NumberKind) -> str:
    if is_undefined(value):
        return UNDEFINED
    if isinstance(value, (bool, np.bool_)):
        _ = translator(lang)
        return _("yes") if value else _("no")
    if kind == "percent":
        pattern = Locale.parse(lang).percent_formats[None].pattern.replace("#,##0", "#,##0.#", 1)
        if 0 < abs(float(value)) < 0.0005:  # would round to 0 %: say it is below 0.1 %
            return "< " + format_percent(0.001, format=pattern, locale=lang)
        return format_percent(float(value), format=pattern, locale=lang)
    if kind == "points":
        return format_decimal(round(float(value) * 100, 1), format="#,##0.0", locale=lang)
    if kind == "integer" or isinstance(value, numbers.Integral):
        return format_decimal(round(float(value)), format="#,##0", locale=lang)
    value = float(value)
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if 0 < abs(value) < 1e-4:
        return format_decimal(value, format="0.#E0", locale=lang)
    if 0 < abs(value) < 1:
        # two significant digits: 0.95, but also 0.012 kWh rather than a misleading 0.01
        return format_decimal(value, format="@#", locale=lang)
    return format_decimal(value, format="#,##0.##", locale=lang)


def format_param(name: str, value: Any, lang: str) -> str:
    """One Finding parameter: ``*_pct`` names as percentages, other numbers as decimals."""
    special = _difference_or_term(name, value, lang)
    if special is not None:
        return special
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return format_number(value, lang, "percent" if name.endswith("_pct") else "decimal")
    if isinstance(value, (list, tuple)):
        return ", ".join(format_param(name, v, lang) for v in value)
    return str(value)


def _difference_or_term(name: str, value: Any, lang: str) -> str | None:
    """``*_pp``: a difference in percentage points; ``*_term``: a word of the catalog."""
    if name.endswith("_pp") and isinstance(value, numbers.Real) and not is_undefined(value):
        number = format_decimal(round(100 * float(value), 1), format="#,##0.0", locale=lang)
        return number.replace("-", "\u2212") + "\u00a0" + translator(lang)("points")
    if name.endswith("_term") and isinstance(value, str):
        return translator(lang)(value)
    return None


class _KeepMissing(dict):
    """Leave an unknown ``{placeholder}`` visible rather than failing the whole report."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def format_finding(finding: Finding, lang: str) -> str:
    """The finding's sentence translated into ``lang`` with its numbers formatted per locale."""
    params = _KeepMissing({k: format_param(k, v, lang) for k, v in finding.params.items()})
    template = translator(lang)(finding.template)
    try:
        return template.format_map(params)
    except (ValueError, IndexError):  # a malformed translation: fall back to the English id
        return finding.template.format_map(params)


class Formatter:
    """All the formatting rules of one language."""

    def __init__(self, lang: str):
        self.lang = lang
        self.gettext = translator(lang)

    def number(self, value: Any, kind: NumberKind = "decimal") -> str:
        return format_number(value, self.lang, kind)

    def finding(self, finding: Finding) -> str:
        return format_finding(finding, self.lang)

    def sentence(self, template: str, **params: Any) -> str:
        """A sentence of the renderers computed from ``params``, as a finding is."""
        return format_finding(Finding(template, params), self.lang)

    def label(self, key: str) -> str:
        """A snake_case key as a translated label ("worst_group_error" -> "Worst group error");
        a ``_pct`` suffix names the number's format (a percentage), not what it is."""
        return self.gettext(key.removesuffix("_pct").replace("_", " ").capitalize())

    def audit_title(self, name: str) -> str:
        """An audit's title; an audit the reports do not know yet by its own name."""
        return self.gettext(AUDIT_TITLES.get(name, name.replace("_", " ").capitalize()))

    def header(self, column: str) -> str:
        """A table column's heading ("error_rate" -> "error rate", translated)."""
        return self.gettext(column.replace("_", " "))

    def cell(self, value: Any, column: str) -> str:
        """One table cell: ``*_pct`` columns as percentages, other numbers per locale."""
        if isinstance(value, (bool, np.bool_)):
            return self.number(bool(value))
        if isinstance(value, numbers.Real):
            return self.number(value, "percent" if column.endswith("_pct") else "decimal")
        if is_undefined(value) or (np.isscalar(value) and value != value):
            return UNDEFINED
        return str(value)

    def interval(self, low: Any, high: Any, kind: NumberKind = "decimal") -> str:
        """"[low, high]"; empty when either bound is undefined."""
        if is_undefined(low) or is_undefined(high):
            return ""
        return f"[{self.number(low, kind)}, {self.number(high, kind)}]"

    def value(self, key: str, value: Any) -> str:
        """A summary or manifest value: shares as percentages, lists joined, a dict in a list
        as "k: v, k: v"."""
        if isinstance(value, (list, tuple)):
            separator = "; " if any(isinstance(v, dict) for v in value) else ", "
            return separator.join(self.value(key, v) for v in value) or UNDEFINED
        if isinstance(value, dict):
            return ", ".join(f"{k}: {self.value(str(k), v)}" for k, v in value.items()
                             if _applies(v))
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and is_fraction(key):
            return self.number(value, "percent")
        return self.cell(value, key)

    def fields(self, mapping: dict[str, Any], parent: tuple[str, str] | None = None
               ) -> Iterator[tuple[str, str]]:
        """(label, text) of every defined value of a nested dict, as a reader's list.

        Nested keys are joined by " › "; a dict of plain values is one line "k: v; k: v"
        (``Train config: epochs: 15; lr: 0.003``). Shares are percentages when their key or
        the outermost one says so (``robust_accuracy › pgd: 0.1: 17.6%``). Values that do not
        apply (None, NaN, empty) are left out. ``parent``: (label, key) of the enclosing value.
        """
        for key, value in mapping.items():
            key = str(key)
            label = f"{parent[0]} › {key}" if parent else self.label(key)
            outer = parent[1] if parent else key
            if isinstance(value, dict) and any(isinstance(v, dict) for v in value.values()):
                yield from self.fields(value, (label, outer))
            elif isinstance(value, dict):
                line = "; ".join(f"{k}: {self.value(str(k) if is_fraction(str(k)) else outer, v)}"
                                 for k, v in value.items() if _applies(v))
                if line:
                    yield label, line
            elif _applies(value):
                yield label, self.value(key if is_fraction(key) else outer, value)


def _applies(value: Any) -> bool:
    return not (is_undefined(value) or value in ("", [], ()))
