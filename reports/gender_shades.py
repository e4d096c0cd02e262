"""The fairness audit's numbers in the layout of Gender Shades (Buolamwini & Gebru 2018, Table 4).

Rows PPV, error rate, TPR and FPR in percent; columns everyone ("All"), then each group of each
sensitive attribute, then each intersection of all of them (the course's All, F, M, Darker,
Lighter, DF, DM, LF, LM). A binary task (a positive class) gives the binary rates; a multi-class
one the PPV, TPR and FPR macro-averaged over its classes, one-vs-rest, and its plain error rate.
Every cell has its 95 % interval; groups too small to rank are marked and never ranked; the best
and the worst cell of each row are marked within each attribute or intersection, and only where
their gap is significant after the Benjamini-Hochberg correction (the audit's ``disparity``
table): a balanced control shows no coloured cell.

Built from the ``overall`` and ``by_group`` tables alone, so the dashboard builds the same table
from the tables the audit recomputes at another decision threshold.
"""

from __future__ import annotations

import pandas as pd

from nnaudit.messages import N_
from nnaudit.reports.course_table import CourseTable, Row, group_columns, group_notes, rate_row
from nnaudit.reports.formatting import Formatter

SOURCE = ("Buolamwini, J. & Gebru, T. (2018). Gender Shades: Intersectional Accuracy "
          "Disparities in Commercial Gender Classification. FAT* 2018.")
# (row label, binary column, multi-class column, higher is better)
RATES = (
    (N_("PPV (%)"), "ppv", "macro_ppv", True),
    (N_("Error rate (%)"), "error_rate", "error_rate", False),
    (N_("TPR (%)"), "tpr", "macro_tpr", True),
    (N_("FPR (%)"), "fpr", "macro_fpr", False),
)


def gender_shades_table(overall: pd.DataFrame, by_group: pd.DataFrame, attributes: list[str],
                        fmt: Formatter, *, positive: str | None, classes: int,
                        min_group_size: int,
                        disparity: pd.DataFrame | None = None) -> CourseTable | None:
    """The table, or None when the run has no subgroup rows to show.

    ``attributes``: the sensitive attributes in the audit's order (its protocol's).
    ``positive``: the positive class of a binary table, None for a multi-class one.
    ``disparity``: the audit's best-against-worst table; a cell is marked only as the best or
    worst group of a significant gap of its grouping (none without it).
    """
    _ = fmt.gettext
    groups = group_columns(overall, by_group, attributes, fmt)
    if len(groups) < 2:
        return None
    columns = [column for column, _record in groups]
    records = [record for _column, record in groups]

    table_rows = []
    for label, binary, multiclass, higher_is_better in RATES:
        column = binary if positive is not None else multiclass
        if column not in by_group.columns:
            continue  # a run written before the macro rates, or a rate this task lacks
        row = rate_row(_(label), records, columns, column, higher_is_better, fmt)
        mark_significant(row, records, column, disparity)
        table_rows.append(row)

    notes = []
    if "own_positive" in by_group.columns and by_group["own_positive"].notna().any():
        notes.append(fmt.sentence(N_("The target is also a sensitive attribute: in the columns "
                                     "of {attribute}, each class is its own positive class, as in "
                                     "Gender Shades."),
                                  attribute=", ".join(_own_positive_attributes(by_group, attributes))))
    if positive is not None:
        notes.append(fmt.sentence(
            N_("Positive class: {positive}. Rates in percent with their 95% intervals."),
            positive=positive))
    else:
        notes.append(fmt.sentence(
            N_("The model has {classes} classes: PPV, TPR and FPR are macro-averaged, each class "
               "taken in turn as the positive one against the rest; the error rate counts every "
               "wrong class. Rates in percent with their 95% intervals."), classes=classes))
    notes += group_notes(columns, table_rows, min_group_size, fmt)
    if not any(cell.mark for row in table_rows for cell in row.cells):
        notes.append(_("No cell is highlighted: no gap between groups is significant after the "
                       "correction."))
    return CourseTable("gender_shades", _("Error rates by group (Gender Shades layout)"),
                       SOURCE, _("Rate"), columns, table_rows, notes)


def mark_significant(row: Row, records: list, rate: str, disparity: pd.DataFrame | None) -> None:
    """Mark the best and the worst group of each grouping's significant gap in ``rate``; clear
    every other mark (a rank without a significant gap is noise)."""
    significant = set()
    if disparity is not None and not disparity.empty:
        found = disparity[(disparity["metric"] == rate) & disparity["significant"].astype(bool)]
        for gap in found.itertuples():
            significant |= {(gap.attribute, gap.worst_group, "worst"),
                            (gap.attribute, gap.best_group, "best")}
    for cell, record in zip(row.cells, records):
        cell.mark = ""
        if record is None or "attribute" not in record.index:
            continue
        for mark in ("worst", "best"):
            if (record["attribute"], record["subgroup"], mark) in significant:
                cell.mark = mark


def _own_positive_attributes(by_group: pd.DataFrame, attributes: list[str]) -> list[str]:
    single = by_group[by_group["attribute"].isin(attributes) & by_group["own_positive"].notna()]
    return list(dict.fromkeys(single["attribute"]))
