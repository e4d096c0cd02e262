"""A slice as a person reads it and as a SQL ``WHERE`` that selects its rows.

A slice is a conjunction of bins, one per column (`nnaudit.engines.ColumnBins` says what each
bin code means). The description uses symbols only (``=``, ``≤``, ``<``, ``>``, ``&``), so it
reads the same in every language, and quotes text as Python does; the ``WHERE`` is standard
SQL (DuckDB, PostgreSQL, SQLite): identifiers in double quotes, text in single quotes, each
with its quote doubled, so a column or value can hold any character and stays data.
"""

from __future__ import annotations

from typing import Any

from nnaudit.engines import MISSING, ColumnBins

# How many of an "other" bucket's excluded values a description lists before "...".
LISTED = 3


def identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def text_literal(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def number_text(value: float) -> str:
    """An integral number without ``.0``; otherwise the shortest exact digits, never E-notation."""
    value = float(value)
    if value.is_integer() and abs(value) < 2 ** 53:
        return str(int(value))
    text = repr(value)
    return format(value, "f") if "e" in text else text


def _value(bins: ColumnBins, value: Any, *, sql: bool) -> str:
    """A bin's value: a number's digits; text quoted, for SQL with its quotes doubled, for a
    reader as Python writes it (``'north'``, ``"L'Isle"``, control characters escaped)."""
    if bins.numeric:
        return number_text(value)
    return text_literal(value) if sql else repr(str(value))


def describe(slice_: dict[int, int], bins: list[ColumnBins]) -> str:
    """``region = 'north' & age ≤ 24``: the slice's predicates in column order."""
    return " & ".join(_predicate(bins[c], code, sql=False) for c, code in sorted(slice_.items()))


def where(slice_: dict[int, int], bins: list[ColumnBins]) -> str:
    """``"region" = 'north' AND "age" <= 24``: the rows of the slice, in SQL."""
    return " AND ".join(_predicate(bins[c], code, sql=True) for c, code in sorted(slice_.items()))


def bin_label(bins: ColumnBins, code: int) -> str:
    """One bin without its column's name: ``north``, ``≤ 24``, ``24 < · ≤ 31``, ``other``,
    ``NULL`` (the composition table's ``value``)."""
    if code == MISSING:
        return "NULL"
    if bins.kind == "number":
        cuts = bins.cuts
        if code == 0:
            return f"≤ {number_text(cuts[0])}"
        if code == len(cuts):
            return f"> {number_text(cuts[-1])}"
        return f"{number_text(cuts[code - 1])} < · ≤ {number_text(cuts[code])}"
    if code < len(bins.values):
        value = bins.values[code]
        return number_text(value) if bins.numeric else str(value)
    return "other"


def _predicate(bins: ColumnBins, code: int, *, sql: bool) -> str:
    name = identifier(bins.column) if sql else bins.column
    at_most, below = ("<=", "<") if sql else ("≤", "<")
    if code == MISSING:
        if sql and not bins.numeric and bins.kind == "values":
            return f"({name} IS NULL OR TRIM(CAST({name} AS VARCHAR)) = '')"
        return f"{name} IS NULL"
    if bins.kind == "number":
        cuts = bins.cuts
        if code == 0:
            return f"{name} {at_most} {number_text(cuts[0])}"
        if code == len(cuts):
            return f"{name} > {number_text(cuts[-1])}"
        low, high = number_text(cuts[code - 1]), number_text(cuts[code])
        if sql:
            return f"{name} > {low} AND {name} <= {high}"
        return f"{low} {below} {name} {at_most} {high}"
    if code < len(bins.values):
        return f"{name} = {_value(bins, bins.values[code], sql=sql)}"
    listed = [_value(bins, v, sql=sql) for v in bins.values]
    if sql:
        return f"{name} NOT IN ({', '.join(listed)})"
    shown = ", ".join(listed[:LISTED]) + (", ..." if len(listed) > LISTED else "")
    return f"{name} ∉ {{{shown}}} ({len(listed)} values)"
