"""The one SQL text of the fairness aggregation, for DuckDB and Spark SQL alike.

The audit needs, per intersection of all sensitive attributes, the rows per true and predicted
class (and, with a score, per side of the threshold and score bin). That is one ``GROUP BY``
over the full intersection: every coarser grouping is a sum of intersections and the stratified
bootstrap resamples within them, so ``GROUPING SETS`` would only repeat sums the audit makes
from the counts. Missing values stay in the result as NULL keys, so the same pass tells which
rows are incomplete.

Everything here is the common subset of the two dialects: backquoted identifiers, ``TRY_CAST``,
``CASE``, ``NULLIF``, ``TRIM``, ``FLOOR``, ``LEAST`` and group-by ordinals. Numbers enter as
round-trip scientific literals, which both parse as the same double (a plain ``0.1`` is a
DECIMAL in DuckDB). The view ``predictions`` is registered by the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

from nnaudit.engines._files import NUMBER_KINDS

VIEW = "predictions"
LARGEST_DOUBLE = 1.7976931348623157e308
# Floats below this are integers exactly; larger ones are written as they are.
EXACT_INTEGERS = 2.0 ** 53


@dataclass(frozen=True)
class PredictionColumns:
    """The columns of a predictions source the audit reads."""

    label: str
    groups: tuple[str, ...]
    pred: str | None = None
    score: str | None = None

    @property
    def needed(self) -> list[str]:
        return [self.label, self.pred or self.score, *self.groups]


def quote(column: str) -> str:
    return "`" + column.replace("`", "``") + "`"


def literal(value: float) -> str:
    """A double literal both dialects read as exactly ``value``: the shortest round-trip digits
    (Python's repr) in scientific notation, which makes it a DOUBLE and not a DECIMAL."""
    text = repr(float(value))
    return text if "e" in text else f"{text}e0"


def text(column: str, kind: str) -> str:
    """A label or group value as text, NULL when missing or blank (as the pandas reader does:
    integral floats without ``.0``, booleans as True/False, strings trimmed)."""
    c = quote(column)
    if kind == "string":
        return f"NULLIF(TRIM({c}), '')"
    if kind == "integer":
        return f"CAST({c} AS STRING)"
    if kind in ("float", "decimal"):
        x = f"CAST({c} AS DOUBLE)"
        return (f"CASE WHEN NOT ABS({x}) <= {literal(LARGEST_DOUBLE)} THEN NULL "
                f"WHEN ABS({x}) < {literal(EXACT_INTEGERS)} AND {x} = FLOOR({x}) "
                f"THEN CAST(CAST({x} AS BIGINT) AS STRING) ELSE CAST({x} AS STRING) END")
    if kind == "boolean":
        return f"CASE WHEN {c} IS NULL THEN NULL WHEN {c} THEN 'True' ELSE 'False' END"
    return f"NULLIF(TRIM(CAST({c} AS STRING)), '')"


def number(column: str, kind: str) -> str:
    """A score as a finite double, NULL when missing, not a number, NaN or infinite."""
    c = quote(column)
    x = f"CAST({c} AS DOUBLE)" if kind in NUMBER_KINDS else f"TRY_CAST(TRIM(CAST({c} AS STRING)) AS DOUBLE)"
    # NaN compares above every number in both engines, so this keeps finite values only
    return f"CASE WHEN ABS({x}) <= {literal(LARGEST_DOUBLE)} THEN {x} END"


def missing(column: str, kind: str) -> str:
    """The raw value is absent (NULL, NaN or blank), as opposed to present but unreadable."""
    c = quote(column)
    if kind == "string":
        return f"NULLIF(TRIM({c}), '') IS NULL"
    if kind in ("float", "decimal"):
        return f"({c} IS NULL OR isnan(CAST({c} AS DOUBLE)))"
    return f"{c} IS NULL"


def score_range_sql(columns: PredictionColumns, kinds: dict[str, str]) -> str:
    """One row: the smallest and largest score, the rows without a score and the rows whose
    score is not a number (the bins need the range before the counting pass)."""
    s, kind = columns.score, kinds[columns.score]
    return (f"SELECT MIN({number(s, kind)}) AS score_min, MAX({number(s, kind)}) AS score_max, "
            f"SUM(CASE WHEN {missing(s, kind)} THEN 1 ELSE 0 END) AS missing, "
            f"SUM(CASE WHEN {problem_condition(columns, kinds, 'non_numeric')} THEN 1 ELSE 0 END)"
            f" AS non_numeric FROM {VIEW}")


def cells_sql(columns: PredictionColumns, kinds: dict[str, str], *, threshold: float | None = None,
              score_low: float | None = None, score_high: float | None = None,
              bins: int | None = None) -> str:
    """Rows per intersection cell and true class, and per predicted class or, with a score,
    per side of the threshold and score bin (with the bin's smallest and largest score).

    Output columns: ``g0``..``g{A-1}`` (the attributes), ``label``, then ``prediction``, or
    ``at_threshold``, ``bin``, ``score_min``, ``score_max``; and ``n``.
    """
    keys = [f"{text(g, kinds[g])} AS g{i}" for i, g in enumerate(columns.groups)]
    keys.append(f"{text(columns.label, kinds[columns.label])} AS label")
    values = ["COUNT(*) AS n"]
    if columns.score is None:
        keys.append(f"{text(columns.pred, kinds[columns.pred])} AS prediction")
    else:
        s = number(columns.score, kinds[columns.score])
        keys.append(f"{s} >= {literal(threshold)} AS at_threshold")
        keys.append(f"{bin_expression(s, score_low, score_high - score_low, bins)} AS bin")
        values = [f"MIN({s}) AS score_min", f"MAX({s}) AS score_max", *values]
    ordinals = ", ".join(str(i) for i in range(1, len(keys) + 1))
    return f"SELECT {', '.join(keys + values)} FROM {VIEW} GROUP BY {ordinals}"


def bin_expression(score: str, low: float, width: float, bins: int) -> str:
    """`nnaudit.fairness._counts.bin_scores` in SQL: the same operations in the same order."""
    if width <= 0:
        return f"CASE WHEN {score} IS NULL THEN NULL ELSE 0 END"
    # LEAST skips NULLs in both engines, so a missing score must stay NULL explicitly
    return (f"CASE WHEN {score} IS NULL THEN NULL ELSE LEAST(CAST(FLOOR(({score} - {literal(low)})"
            f" / {literal(width)} * {bins}) AS BIGINT), {bins - 1}) END")


def problem_condition(columns: PredictionColumns, kinds: dict[str, str], problem: str,
                      column: str | None = None) -> str:
    """True on the rows with ``problem`` ('missing' in ``column``, or a 'non_numeric' score)."""
    if problem == "missing":
        kind = kinds[column]
        return missing(column, kind) if column == columns.score else f"{text(column, kind)} IS NULL"
    s, kind = columns.score, kinds[columns.score]
    return f"(NOT {missing(s, kind)} AND {number(s, kind)} IS NULL)"
