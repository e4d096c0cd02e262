"""The robustness audit's per-group accuracies in the group layout of the fairness table.

Columns everyone, each group of each attribute, each intersection (as `gender_shades`); rows the
clean inputs, then each attack and radius (`attack_table`) or each corruption at one severity
(`corruption_table`, the dashboard's severity slider). Cells are accuracies in percent with
their 95 % intervals; the best and the worst ranked group of each row are marked.

The audit's tables name their sensitive attributes by columns; ``attributes`` says which (the
run's fairness protocol or its dataset card) and in what order.
"""

from __future__ import annotations

import pandas as pd

from nnaudit.messages import N_
from nnaudit.reports.course_table import (Column, CourseTable, Row, group_columns, group_notes,
                                          rate_row)
from nnaudit.reports.formatting import Formatter

SOURCE = ("Nanda, V. et al. (2021). Fairness Through Robustness: Investigating Robustness "
          "Disparity in Deep Learning. FAccT 2021.")
OVERALL = "overall"


def attack_table(tables: dict[str, pd.DataFrame], attributes: list[str], fmt: Formatter) -> CourseTable | None:
    """Accuracy on clean inputs and under each attack at each radius, per group."""
    _ = fmt.gettext
    adversarial = tables.get("adversarial")
    if adversarial is None or adversarial.empty:
        return None
    conditions = [(fmt.sentence(N_("{attack} ({norm}), radius {radius}"), attack=attack,
                                norm=norm, radius=radius), part)
                  for (attack, norm, radius), part in
                  adversarial.groupby(["attack", "norm", "radius"], sort=False)]
    return _table("robustness_attacks", _("Accuracy under attack, by group (%)"), tables,
                  conditions, attributes, fmt)


def corruption_table(tables: dict[str, pd.DataFrame], severity: int, attributes: list[str],
                     fmt: Formatter) -> CourseTable | None:
    """Accuracy on clean inputs and under each corruption at ``severity``, per group."""
    _ = fmt.gettext
    corruptions = tables.get("corruptions")
    if corruptions is None or corruptions.empty:
        return None
    chosen = corruptions[corruptions["severity"] == severity]
    conditions = [(_(str(name).replace("_", " ")), part)
                  for name, part in chosen.groupby("corruption", sort=False)]
    title = fmt.sentence(N_("Accuracy under corruption at severity {severity}, by group (%)"),
                         severity=severity)
    return _table("robustness_corruptions", title, tables, conditions, attributes, fmt)


def severities(tables: dict[str, pd.DataFrame]) -> list[int]:
    """The corruption severities the audit ran, 0 (clean) left out."""
    corruptions = tables.get("corruptions")
    if corruptions is None:
        return []
    return sorted(int(s) for s in corruptions["severity"].unique() if s > 0)


def _table(key: str, title: str, tables: dict[str, pd.DataFrame],
           conditions: list[tuple[str, pd.DataFrame]], attributes: list[str],
           fmt: Formatter) -> CourseTable | None:
    _ = fmt.gettext
    clean = tables.get("clean")
    if clean is None or clean.empty:
        return None
    groups = group_columns(clean[clean["attribute"] == OVERALL],
                           clean[clean["attribute"] != OVERALL], attributes, fmt)
    if len(groups) < 2:
        return None
    columns: list[Column] = [column for column, _record in groups]
    keys = [(OVERALL, None) if record is None else (record["attribute"], record["subgroup"])
            for _column, record in groups]
    rows: list[Row] = []
    for label, part in [(_("clean inputs"), clean), *conditions]:
        by_key = {(r["attribute"], r["subgroup"]): r for _i, r in part.iterrows()}
        overall = next((r for (attribute, _g), r in by_key.items() if attribute == OVERALL), None)
        records = [overall if attribute == OVERALL else by_key.get((attribute, group))
                   for attribute, group in keys]
        rows.append(rate_row(label, records, columns, "accuracy", True, fmt))
    return CourseTable(key, title, SOURCE, _("Inputs"), columns, rows,
                       group_notes(columns, rows, None, fmt))
