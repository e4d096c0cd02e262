"""Audit tables turned into rows of formatted cells for the templates.

Generic over any audit's DataFrame, with touches for conventions the audits share:

- a column ``c`` with siblings ``c_low`` / ``c_high`` is shown as one cell "value [low, high]"
  (the 95 % intervals of the fairness ``by_group`` table, for instance);
- a boolean ``small_group`` column flags its rows instead of being shown as a column;
- columns whose name ends in ``_pct`` are fractions shown as percentages; NaN is a dash.

Every value is formatted by `nnaudit.reports.formatting.Formatter`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from nnaudit.reports.formatting import Formatter

MAX_ROWS = 120      # longer tables are cut, with a note naming the file that holds them all
MAX_COLUMNS = 8     # wider tables are split into parts that repeat their label columns
MAX_KEY_COLUMNS = 3
WIDE_COLUMNS = 6    # from this many columns on, the PDF uses a smaller font
SMALL_GROUP_COLUMN = "small_group"


@dataclass
class TableView:
    name: str
    headers: list[str]
    rows: list[list[str]]
    flagged: list[bool]                 # row is a small group (estimates unreliable)
    numeric: list[bool]                 # column is numeric: right-aligned
    total_rows: int
    source: str = ""                    # the Parquet file, for truncated tables
    notes: list[str] = field(default_factory=list)

    @property
    def wide(self) -> bool:
        return len(self.headers) >= WIDE_COLUMNS

    @property
    def truncated(self) -> bool:
        return self.total_rows > len(self.rows)

    def split_columns(self, max_columns: int = MAX_COLUMNS) -> list["TableView"]:
        """Parts of at most ``max_columns`` columns, each repeating the leading label columns
        (e.g. attribute and group), so a 40-column table stays readable on A4 and on a phone."""
        if len(self.headers) <= max_columns:
            return [self]
        keys = 0
        while keys < min(MAX_KEY_COLUMNS, len(self.headers) - 1) and not self.numeric[keys]:
            keys += 1
        step = max_columns - keys
        starts = range(keys, len(self.headers), step)
        parts = []
        for number, start in enumerate(starts, start=1):
            columns = [*range(keys), *range(start, min(start + step, len(self.headers)))]
            parts.append(TableView(
                name=f"{self.name} ({number}/{len(starts)})",
                headers=[self.headers[c] for c in columns],
                rows=[[row[c] for c in columns] for row in self.rows],
                flagged=self.flagged, numeric=[self.numeric[c] for c in columns],
                total_rows=self.total_rows, source=self.source,
                notes=self.notes if number == len(starts) else []))
        return parts


def _is_set(flag: Any) -> bool:
    return isinstance(flag, (bool, np.bool_, numbers.Integral)) and bool(flag)


def interval_columns(columns: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Column -> its (``<column>_low``, ``<column>_high``) interval columns, for those that have
    both, in column order: the one place the audits' interval naming rule is written."""
    present = set(columns)
    return {c: (f"{c}_low", f"{c}_high") for c in columns
            if f"{c}_low" in present and f"{c}_high" in present}


def table_view(df: pd.DataFrame, name: str, fmt: Formatter, *, source: str = "",
               max_rows: int = MAX_ROWS, value_columns: Sequence[str] = ()) -> TableView:
    """Format ``df`` for a report with ``fmt``; never fails on a missing optional column.

    ``value_columns`` are left out: columns named after the user's data (a sensitive
    attribute's column beside the ``group`` label that already shows its value).
    """
    _ = fmt.gettext
    df = df.drop(columns=[c for c in value_columns if c in df.columns])
    columns = [str(c) for c in df.columns]
    df = df.set_axis(columns, axis=1)
    intervals = interval_columns(columns)
    hidden = {c for pair in intervals.values() for c in pair}
    flag_column = SMALL_GROUP_COLUMN if SMALL_GROUP_COLUMN in columns else None
    if flag_column:
        hidden.add(flag_column)
    shown = [c for c in columns if c not in hidden]

    headers = []
    for c in shown:
        label = fmt.header(c)
        headers.append(f"{label} [{_('95% interval')}]" if c in intervals else label)
    numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
               for c in shown]

    rows, flagged = [], []
    for record in df.head(max_rows).to_dict("records"):
        cells = []
        for c in shown:
            cell = fmt.cell(record[c], c)
            if c in intervals and not pd.isna(record[c]):
                low, high = (fmt.cell(record[k], c) for k in intervals[c])
                cell = f"{cell} [{low}, {high}]"
            cells.append(cell)
        rows.append(cells)
        flagged.append(bool(flag_column) and _is_set(record[flag_column]))

    view = TableView(name=name, headers=headers, rows=rows, flagged=flagged, numeric=numeric,
                     total_rows=len(df), source=source)
    if any(flagged):
        view.notes.append(_("Rows marked ⚑ are small groups: their estimates are unreliable."))
    return view
