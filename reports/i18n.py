"""The one message catalog of the reports and the dashboard (English and French).

English strings are the message ids; ``locales/fr/LC_MESSAGES/nnaudit.po`` translates them. The
catalog is read with Babel at run time, so a fresh editable install needs no compile step.
Finding templates (`nnaudit.results.Finding.template`) are message ids too: a test checks that every
template written in ``audit/`` has a French translation.

Numbers follow the reader's locale through Babel (0.95 -> "0,95", 0.041 as a percent -> "4,1 %").
"""

from __future__ import annotations

import math
import numbers
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Literal

from babel import Locale
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

from nnaudit.errors import UserInputError
from nnaudit.messages import N_  # noqa: F401  (re-exported for the renderers)
from nnaudit.results import Finding

LANGUAGES = ("en", "fr")
DOMAIN = "nnaudit"
LOCALE_DIR = Path(__file__).resolve().parent / "locales"

Gettext = Callable[[str], str]


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise UserInputError(
            f"Language {lang!r} is not available; choose one of {', '.join(LANGUAGES)}.")
    return lang


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def _messages(lang: str) -> dict[str, str]:
    """msgid -> translation for ``lang``; empty for English (the ids are English)."""
    path = catalog_path(lang)
    if lang == "en" or not path.exists():
        return {}
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    return {m.id: m.string for m in catalog
            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def translator(lang: str) -> Gettext:
    """A ``gettext(msgid) -> str`` for ``lang``; untranslated ids come back unchanged."""
    messages = _messages(check_language(lang))

    def gettext(msgid: str) -> str:
        return messages.get(msgid, msgid)

    return gettext


def has_translation(msgid: str, lang: str) -> bool:
    return msgid in _messages(check_language(lang))


def format_number(value: Any, lang: str, kind: Literal["decimal", "percent"] = "decimal") -> str:
    """A number as the reader of ``lang`` writes it; NaN/None as "undefined".

    ``decimal``: up to two decimals with grouping (12 345,68), two significant digits below one
    (0,95; 0,012); ``percent``: a fraction shown with
    one decimal in the locale's percent pattern (0.041 -> "4.1%" / "4,1 %").
    """
    _ = translator(lang)
    if value is None or (isinstance(value, numbers.Real) and math.isnan(float(value))):
        return _("undefined")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if kind == "percent":
        pattern = Locale.parse(lang).percent_formats[None].pattern.replace("#,##0", "#,##0.#", 1)
        if 0 < abs(float(value)) < 0.0005:  # would round to 0 %: say it is below 0.1 %
            return "< " + format_percent(0.001, format=pattern, locale=lang)
        return format_percent(float(value), format=pattern, locale=lang)
    if isinstance(value, numbers.Integral):
        return format_decimal(int(value), format="#,##0", locale=lang)
    value = float(value)
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if 0 < abs(value) < 1e-4:
        return format_decimal(value, format="0.#E0", locale=lang)  # p-values: 6.1E-11
    if 0 < abs(value) < 1:
        # two significant digits: 0.95, but also 0.012 kWh rather than a misleading 0.01
        return format_decimal(value, format="@#", locale=lang)
    return format_decimal(value, format="#,##0.##", locale=lang)


def format_param(name: str, value: Any, lang: str) -> str:
    """One Finding parameter: ``*_pct`` names as percentages, other numbers as decimals."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return format_number(value, lang, "percent" if name.endswith("_pct") else "decimal")
    if isinstance(value, (list, tuple)):
        return ", ".join(format_param(name, v, lang) for v in value)
    return str(value)


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
