"""Two runs side by side: the course's tables of both, every headline number with its interval
and the difference (second run minus first), and each audit's findings and tables.

Typical uses: skewed against balanced training data, or a run against its mitigated run
(``nnaudit mitigate`` writes a run whose manifest key ``mitigates`` names the base run): the
comparison says which is which, and an audit only one run has (``mitigation``) is shown with
its findings, headline numbers and tables like any other.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable

from nnaudit.store import Run
from nnaudit.reports.course_table import CourseTable
from nnaudit.reports.formatting import Formatter, is_fraction
from nnaudit.reports.i18n import N_
from nnaudit.reports.tables import interval_columns
from nnaudit.reports.view import AuditSection, ReportView

# The tables shown side by side, in this order, when either run has them.
COURSE_TABLES = ("gender_shades", "zhang", "strubell")


@dataclass
class HeadlineRow:
    section: str
    label: str
    first: str
    second: str
    difference: str


@dataclass
class AuditPair:
    name: str
    title: str
    first: AuditSection | None
    second: AuditSection | None


@dataclass
class Comparison:
    first: ReportView
    second: ReportView
    relation: str                   # how the runs are related, when the manifests say so
    details: list[tuple[str, str, str]]
    headlines: list[HeadlineRow]
    tables: list[tuple[CourseTable | None, CourseTable | None]]
    audits: list[AuditPair]

    @property
    def lang(self) -> str:
        return self.first.lang


def _real(value: Any) -> float | None:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return None


def summary_interval(run: Run, audit: str, key: str, value: float) -> tuple[float, float] | None:
    """The interval of a headline number: ``key_low``/``key_high`` in the summary, else the
    ``c_low``/``c_high`` columns of the table row that holds the same value (e.g. the worst
    group's error in the fairness ``by_group`` table)."""
    summary = run.audits.get(audit, {}).get("summary") or {}
    low, high = (_real(summary.get(bound)) for bound in _bound_keys(key))
    if low is not None and high is not None:
        return low, high
    for df in run.tables(audit).values():
        for column, (low_column, high_column) in interval_columns(list(df.columns)).items():
            values = df[column]
            if not hasattr(values, "dtype") or values.dtype.kind not in "fi":
                continue
            match = df[(values - value).abs() <= 1e-12 * max(1.0, abs(value))]
            if len(match):
                row = match.iloc[0]
                return float(row[low_column]), float(row[high_column])
    return None


def _bound_keys(key: str) -> tuple[str, str]:
    """The summary keys of the interval of ``key``: ``key_low``/``key_high``, with a ``_pct``
    suffix kept last (``gap_change_pct`` -> ``gap_change_low_pct``)."""
    stem, suffix = (key[:-4], "_pct") if key.endswith("_pct") else (key, "")
    return f"{stem}_low{suffix}", f"{stem}_high{suffix}"


def _is_bound(key: str) -> bool:
    return key.removesuffix("_pct").endswith(("_low", "_high"))


def _cell(key: str, value: Any, interval: tuple[float, float] | None, fmt: Formatter) -> str:
    if value is None:
        return "—"
    text = fmt.value(key, value)
    if interval is not None:
        text += f" [{fmt.value(key, interval[0])}, {fmt.value(key, interval[1])}]"
    return text


def difference_text(key: str, first: Any, second: Any, fmt: Formatter) -> str:
    """B - A with its sign; a change of a rate in percentage points ("+1.1 pp")."""
    a, b = _real(first), _real(second)
    if a is None or b is None or math.isnan(a) or math.isnan(b):
        return "—"
    diff = b - a
    if is_fraction(key):  # a change of a rate is in percentage points, not a relative percent
        text = f"{fmt.number(abs(diff) * 100)} {fmt.gettext('pp')}"
    else:
        text = fmt.number(abs(diff))
    return ("+" if diff > 0 else "−" if diff < 0 else "±") + text


def headline_rows(first: Run, second: Run, fmt: Formatter) -> list[HeadlineRow]:
    """Every number of the manifests' metrics and of the audits' summaries, both runs."""
    _ = fmt.gettext
    rows = []
    m1, m2 = first.manifest.get("metrics") or {}, second.manifest.get("metrics") or {}
    for key in dict.fromkeys([*m1, *m2]):
        rows.append(HeadlineRow(_("Model"), fmt.label(key), _cell(key, m1.get(key), None, fmt),
                                _cell(key, m2.get(key), None, fmt),
                                difference_text(key, m1.get(key), m2.get(key), fmt)))
    audits = [n for n in dict.fromkeys([*first.audits, *second.audits])
              if first.audit_ran(n) or second.audit_ran(n)]
    for audit in audits:
        s1 = first.audits.get(audit, {}).get("summary") or {}
        s2 = second.audits.get(audit, {}).get("summary") or {}
        for key in dict.fromkeys([*s1, *s2]):
            if _is_bound(key) or isinstance(s1.get(key, s2.get(key)), dict):
                continue  # intervals go with their number; nested values stay in the sections
            cells = []
            for run, summary in ((first, s1), (second, s2)):
                value = summary.get(key)
                interval = (summary_interval(run, audit, key, float(value))
                            if run.audit_ran(audit) and _real(value) is not None else None)
                cells.append(_cell(key, value, interval, fmt))
            rows.append(HeadlineRow(fmt.audit_title(audit), fmt.label(key), *cells,
                                    difference_text(key, s1.get(key), s2.get(key), fmt)))
    return rows


def mitigates(run: Run, other: Run) -> bool:
    """Whether ``run`` is ``other`` remedied by ``nnaudit mitigate`` (its manifest's
    ``mitigates`` names the other run)."""
    return run.manifest.get("mitigates") in (other.name, other.manifest.get("run_id"))


def base_first(first: Run, second: Run) -> tuple[Run, Run]:
    """The two runs with a mitigated run after its base run, so that B - A is what the remedy
    changed, whichever order they were given in."""
    return (second, first) if mitigates(first, second) else (first, second)


def relation(first: Run, second: Run, fmt: Formatter,
             quote: Callable[[str], str] = str) -> str:
    """"B is run A after mitigation (method)" when B mitigates A (`base_first` puts a
    mitigated run second), else "".

    ``quote`` shows the method, a string from the manifest (the dashboard's `literal`)."""
    if mitigates(second, first):
        return fmt.sentence(N_("B is run A after mitigation ({method})."),
                            method=quote(_method(second, fmt)))
    return ""


def _method(run: Run, fmt: Formatter) -> str:
    """The remedies as the mitigation audit labels them ("threshold (equalized_odds)"), else
    the method of the manifest's ``mitigation`` settings."""
    protocol = run.audits.get("mitigation", {}).get("protocol") or {}
    settings = run.manifest.get("mitigation") or {}
    remedies = protocol.get("remedies") or [settings.get("method")]
    return ", ".join(str(r) for r in remedies if r) or fmt.gettext("method not recorded")


def build_comparison(first: ReportView, second: ReportView) -> Comparison:
    fmt = first.fmt
    labels = list(dict.fromkeys([k for k, _v in first.card.details]
                                + [k for k, _v in second.card.details]))
    a, b = dict(first.card.details), dict(second.card.details)
    details = [(label, a.get(label, "—"), b.get(label, "—")) for label in labels]
    tables = [(first.course_table(key), second.course_table(key)) for key in COURSE_TABLES]
    tables.append((first.robustness, second.robustness))
    sections_1 = {s.name: s for s in first.audits}
    sections_2 = {s.name: s for s in second.audits}
    audits = [AuditPair(n, fmt.audit_title(n), sections_1.get(n), sections_2.get(n))
              for n in dict.fromkeys([*sections_1, *sections_2])]
    return Comparison(first=first, second=second,
                      relation=relation(first.run, second.run, fmt), details=details,
                      headlines=headline_rows(first.run, second.run, fmt),
                      tables=[pair for pair in tables if pair != (None, None)], audits=audits)
