"""A table laid out as a course shows it: labelled rows, labelled columns, formatted cells.

The three tables of the course (`gender_shades`, `zhang`, `strubell`) are built into this one
shape, already formatted for the reader's language, so the report, the handout, the comparison
and the dashboard draw them with one template macro (``course_table`` in macros.j2).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import TYPE_CHECKING

import pandas as pd

from nnaudit.messages import N_

if TYPE_CHECKING:
    from nnaudit.reports.formatting import Formatter

MAX_COLUMNS = 10   # wider tables are split into parts that repeat the row labels


@dataclass
class Cell:
    text: str
    interval: str = ""     # shown under the value in the PDF, on hover in HTML
    mark: str = ""         # "best" or "worst" of its row, or ""
    small: bool = False    # a group too small to rank
    source: str = ""       # where the number comes from: published, measured, estimated


@dataclass
class Column:
    label: str
    group: str = ""        # a heading spanning the columns that share it ("tone", "Intersection")
    small: bool = False


@dataclass
class Row:
    label: str
    cells: list[Cell]
    emphasis: bool = False  # this run's rows among published ones


@dataclass
class CourseTable:
    key: str               # gender_shades, zhang, strubell: the anchor and the CSS class
    title: str
    source: str            # the paper the layout comes from, one line
    corner: str            # heading of the row-label column
    columns: list[Column]
    rows: list[Row]
    notes: list[str] = field(default_factory=list)

    @property
    def grouped(self) -> bool:
        return any(c.group for c in self.columns)

    def column_groups(self) -> list[tuple[str, int]]:
        """(heading, span) of consecutive columns sharing a group heading."""
        spans: list[tuple[str, int]] = []
        for column in self.columns:
            if spans and spans[-1][0] == column.group:
                spans[-1] = (column.group, spans[-1][1] + 1)
            else:
                spans.append((column.group, 1))
        return spans

    def parts(self, max_columns: int = MAX_COLUMNS) -> list["CourseTable"]:
        """The table cut into parts of at most ``max_columns`` columns, each with the row labels,
        cut between column groups where it can, so an A4 page holds each part."""
        if len(self.columns) <= max_columns:
            return [self]
        cuts, start = [], 0
        while start < len(self.columns):
            end = min(start + max_columns, len(self.columns))
            group_starts = [i for i in range(start + 1, end)
                            if self.columns[i].group != self.columns[i - 1].group]
            if end < len(self.columns) and group_starts:
                end = group_starts[-1]
            cuts.append((start, end))
            start = end
        return [replace(self, columns=self.columns[a:b],
                        rows=[replace(r, cells=r.cells[a:b]) for r in self.rows],
                        notes=self.notes if (a, b) == cuts[-1] else [])
                for a, b in cuts]


def mark_extremes(cells: list[Cell], values: list[float | None], higher_is_better: bool) -> None:
    """Mark the best and the worst of the cells whose group may be ranked (not small, value
    defined), every tied one; nothing when fewer than two can be or all are equal."""
    ranked = [i for i, v in enumerate(values) if v is not None and v == v and not cells[i].small]
    if len(ranked) < 2:
        return
    low, high = min(values[i] for i in ranked), max(values[i] for i in ranked)
    if low == high:
        return
    best, worst = (high, low) if higher_is_better else (low, high)
    for i in ranked:
        cells[i].mark = "best" if values[i] == best else "worst" if values[i] == worst else ""


def group_columns(overall: pd.DataFrame, by_group: pd.DataFrame, attributes: list[str],
                     fmt: "Formatter") -> list[tuple[Column, "pd.Series | None"]]:
    """A group layout's columns and the table row each reads: everyone (``overall``), each group
    of each attribute, each pair of attributes when there are three or more, then each
    intersection of all attributes, selected by the attribute columns the audits write (one
    set: that attribute's group; two: a pair's; all set: an intersection)."""
    _ = fmt.gettext
    present = [a for a in attributes if a in by_group.columns]
    if by_group.empty or not present:
        return []
    columns = [(Column(_("All")), overall.iloc[0] if len(overall) else None)]
    defined = by_group[present].notna()
    selections = [(attribute, defined[attribute] & (defined.sum(axis=1) == 1))
                  for attribute in present]
    # with three attributes or more, each pair the audit grouped by gets its own columns
    for pair in combinations(present, 2) if len(present) > 2 else ():
        selections.append((" x ".join(pair), defined[list(pair)].all(axis=1)
                           & (defined.sum(axis=1) == 2)))
    if len(present) > 1:
        selections.append((_("Intersection"), defined.all(axis=1)))
    for heading, selected in selections:
        columns += [(Column(str(record["subgroup"]), heading, bool(record["small_group"])), record)
                    for _i, record in by_group[selected].iterrows()]
    return columns


def group_notes(columns: list[Column], rows: list[Row], min_group_size: int | None,
                fmt: "Formatter") -> list[str]:
    """The notes a group layout needs: which groups are too small (``min_group_size``: the
    audit's threshold, when it records one), what the highlights mean."""
    _ = fmt.gettext
    notes = []
    if any(c.small for c in columns):
        notes.append(fmt.sentence(
            N_("⚑ marks groups of fewer than {n} test examples: their rates are shown, never "
               "ranked."), n=min_group_size) if min_group_size else
            _("⚑ marks groups too small to rank: their rates are shown, never ranked."))
    if any(cell.mark for row in rows for cell in row.cells):
        notes.append(_("The best and the worst ranked group of each row are highlighted."))
    return notes


def rate_row(label: str, records: list["pd.Series | None"], columns: list[Column], rate: str,
             higher_is_better: bool, fmt: "Formatter") -> Row:
    """One row of rates in percent, a cell per column read from its table row (``records``,
    None where the table has no such group), each with its interval; the first column is
    everyone's and is never ranked against the groups."""
    values = [_value(record, rate) for record in records]
    cells = [Cell(fmt.number(value, "points"),
                  fmt.interval(*_bounds(record, rate), "points"), small=column.small)
             for record, value, column in zip(records, values, columns)]
    mark_extremes(cells[1:], values[1:], higher_is_better)
    return Row(label, cells)


def _value(record: "pd.Series | None", column: str) -> float | None:
    if record is None or column not in record.index or pd.isna(record[column]):
        return None
    return float(record[column])


def _bounds(record: "pd.Series | None", column: str) -> tuple[float | None, float | None]:
    return _value(record, f"{column}_low"), _value(record, f"{column}_high")
