"""Two runs side by side: each headline number, its interval where a table gives one, and the
difference (second run minus first). Typical use: skewed versus balanced training data."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

from nnaudit.store import Run
from nnaudit.reports.i18n import format_number, translator
from nnaudit.reports.model_card import ModelCard, audit_title, format_value, is_fraction, label
from nnaudit.reports.tables import interval_columns


@dataclass
class HeadlineRow:
    section: str
    label: str
    first: str
    second: str
    difference: str


@dataclass
class Comparison:
    lang: str
    first: ModelCard
    second: ModelCard
    details: list[tuple[str, str, str]]
    headlines: list[HeadlineRow]
    findings: list[tuple[str, list[tuple[str, str]], list[tuple[str, str]]]]


def _real(value: Any) -> float | None:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return None


def summary_interval(run: Run, audit: str, key: str, value: float) -> tuple[float, float] | None:
    """The interval of a headline number: ``key_low``/``key_high`` in the summary, else the
    ``c_low``/``c_high`` columns of the table row that holds the same value (e.g. the worst
    group's error in the fairness ``by_group`` table)."""
    summary = run.audits.get(audit, {}).get("summary") or {}
    low, high = _real(summary.get(f"{key}_low")), _real(summary.get(f"{key}_high"))
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


def _cell(key: str, value: Any, interval: tuple[float, float] | None, lang: str) -> str:
    if value is None:
        return "—"
    text = format_value(key, value, lang)
    if interval is not None:
        low, high = (format_value(key, v, lang) for v in interval)
        text += f" [{low}, {high}]"
    return text


def _difference(key: str, first: Any, second: Any, lang: str) -> str:
    a, b = _real(first), _real(second)
    if a is None or b is None or math.isnan(a) or math.isnan(b):
        return "—"
    diff = b - a
    if is_fraction(key):  # a change of a rate is in percentage points, not a relative percent
        text = f"{format_number(abs(diff) * 100, lang)} {translator(lang)('pp')}"
    else:
        text = format_number(abs(diff), lang)
    return ("+" if diff > 0 else "−" if diff < 0 else "±") + text


def headline_rows(first: Run, second: Run, lang: str) -> list[HeadlineRow]:
    _ = translator(lang)
    rows = []
    m1, m2 = first.manifest.get("metrics") or {}, second.manifest.get("metrics") or {}
    for key in dict.fromkeys([*m1, *m2]):
        rows.append(HeadlineRow(_("Model"), label(key, lang), _cell(key, m1.get(key), None, lang),
                                _cell(key, m2.get(key), None, lang),
                                _difference(key, m1.get(key), m2.get(key), lang)))
    audits = [n for n in dict.fromkeys([*first.audits, *second.audits])
              if first.audit_ran(n) or second.audit_ran(n)]
    for audit in audits:
        s1 = first.audits.get(audit, {}).get("summary") or {}
        s2 = second.audits.get(audit, {}).get("summary") or {}
        for key in dict.fromkeys([*s1, *s2]):
            if key.endswith(("_low", "_high")):
                continue
            cells = []
            for run, summary in ((first, s1), (second, s2)):
                value = summary.get(key)
                interval = (summary_interval(run, audit, key, float(value))
                            if run.audit_ran(audit) and _real(value) is not None else None)
                cells.append(_cell(key, value, interval, lang))
            rows.append(HeadlineRow(audit_title(audit, lang), label(key, lang), *cells,
                                    _difference(key, s1.get(key), s2.get(key), lang)))
    return rows


def build_comparison(first_card: ModelCard, second_card: ModelCard, lang: str) -> Comparison:
    first, second = first_card.run, second_card.run
    details = [(lbl, a, b) for (lbl, a), (_lbl, b) in zip(first_card.details, second_card.details)]
    sections_1 = {a.name: a for a in first_card.audits}
    sections_2 = {a.name: a for a in second_card.audits}
    findings = [(audit_title(n, lang),
                 sections_1[n].findings if n in sections_1 else [],
                 sections_2[n].findings if n in sections_2 else [])
                for n in dict.fromkeys([*sections_1, *sections_2])]
    return Comparison(lang=lang, first=first_card, second=second_card, details=details,
                      headlines=headline_rows(first, second, lang), findings=findings)
