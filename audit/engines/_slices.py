"""The slice audit's data, where the data is: every column binned, then rows or counts.

Two SQL passes over the predictions, run by DuckDB on files (out of core) or on a pandas
DataFrame (in memory), so both search paths read the very same bins:

1. the profile: per column, its kind and what its bins are (`ColumnBins`): a numeric column
   with more distinct values than ``bins`` is cut at its quantiles (``quantile_disc``: actual
   values, no interpolation), any other column keeps its values, the ``max_values - 1`` most
   frequent ones (ties by value) and an "other" bucket when it has more than ``max_values``;
   missing values (NULL, NaN, blank) are a bucket of their own;
2. the codes: each row's bin per column as a small integer, and three flags (wrong,
   label positive, predicted positive); either every row (`read_slice_data(...,
   aggregate=False)`, for `sliceline` on the rows) or one row per distinct combination with
   its count (``aggregate=True``: what a 100 M-row log shrinks to, searched without its rows).

User values enter the SQL only as quoted literals; the search itself sees integer codes.
Spark is not offered: its quantile functions are not ``quantile_disc``, so its bins would differ.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nnaudit.engines._pandas import (FRAME, decide_labelled, decide_scored, missing_values,
                                     prediction_columns)
from nnaudit.engines._duckdb import DuckDBEngine, first_row
from nnaudit.engines._files import (NUMBER_KINDS, PredictionFiles, check_schemas,
                                    find_prediction_files)
from nnaudit.engines._sql import VIEW, literal, number, problem_condition, quote, text
from nnaudit.errors import UserInputError
from nnaudit.fairness import natural_order

MISSING = -1  # the code of a missing value, in every column
FLAGS = ("wrong", "label_positive", "pred_positive")


@dataclass(frozen=True)
class ColumnBins:
    """How one column is cut into bins, and what each bin code means.

    ``kind`` ``number``: code ``j`` is ``cuts[j-1] < x <= cuts[j]`` (no lower bound for 0, no
    upper bound for ``len(cuts)``). ``kind`` ``values``: code ``j`` is ``values[j]`` (texts,
    or numbers when ``numeric``), and code ``len(values)`` the other values when ``other``.
    Code `MISSING` is a missing value.
    """

    column: str
    kind: str
    cuts: tuple[float, ...] = ()
    values: tuple[Any, ...] = ()
    other: bool = False
    numeric: bool = False


@dataclass
class SliceData:
    """Binned predictions: ``table`` holds one int column per binned column (named by position,
    ``c0``, ``c1``, ... as in ``bins``), the `FLAGS` and ``n`` (1 per row, or the count of a
    combination)."""

    table: pd.DataFrame
    bins: list[ColumnBins]
    classes: list[str]
    positive: str | None
    source: str
    name: str
    engine: str
    columns: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.table["n"].sum())


def read_slice_data(source: Path | str | pd.DataFrame, *, label: str, pred: str | None = None,
                    score: str | None = None, threshold: float | None = None,
                    positive: Any = None, columns: list[str] | None = None, bins: int = 5,
                    max_values: int = 20, aggregate: bool = True,
                    memory_limit: str | None = None) -> SliceData:
    """Check predictions, bin every column (or ``columns``) and return rows or counts.

    ``source``: a CSV or Parquet file, a glob, a folder of such files, or a DataFrame.
    ``label``, ``pred``, ``score``, ``threshold``, ``positive``: as in
    `nnaudit.engines.load_predictions`. ``columns``: the columns to slice on (default: every
    column but the label, prediction and score). ``bins``: quantile bins of a numeric column;
    ``max_values``: the values a column keeps before the rest become "other".
    """
    if bins < 2 or max_values < 2:
        raise UserInputError("Slices need at least 2 bins and 2 values per column.")
    engine, files = _open(source, memory_limit)
    try:
        kinds = engine.kinds()
        sliced = _sliced_columns(kinds, columns, {label, pred, score}, files.source)
        spec = prediction_columns(label, pred=pred, score=score, groups=sliced)
        check_schemas(PredictionFiles(files.source, files.name, (Path(files.source),), ""),
                      {Path(files.source): kinds}, spec.needed)
        _check_complete(engine, files, spec, kinds)
        classes, positive, threshold = _decide(engine, spec, kinds, files.source, positive,
                                               threshold)
        plan = [_profile(engine, c, kinds[c], bins, max_values) for c in sliced]
        codes = [f"{_code_sql(b, kinds[b.column])} AS c{i}" for i, b in enumerate(plan)]
        flags = _flags_sql(spec, kinds, positive, threshold)
        if aggregate:
            keys = ", ".join(str(i) for i in range(1, len(codes) + len(flags) + 1))
            sql = f"SELECT {', '.join(codes + flags)}, COUNT(*) AS n FROM {VIEW} GROUP BY {keys}"
        else:
            sql = f"SELECT {', '.join(codes + flags)}, 1 AS n FROM {VIEW}"
        table = engine.query(sql)
    finally:
        engine.close()
    table = table.astype({f"c{i}": np.int32 for i in range(len(plan))} | {"n": np.int64})
    for flag in FLAGS:
        table[flag] = table[flag].fillna(False).astype(bool)
    return SliceData(table, plan, classes, positive, files.source, files.name, "duckdb",
                     {"label": label, "pred": pred, "score": score,
                                 "threshold": threshold if score else None})


class _FrameEngine(DuckDBEngine):
    """DuckDB over an in-memory DataFrame (registered as the view, not copied)."""

    def __init__(self, frame: pd.DataFrame):
        import duckdb

        self._spill = tempfile.mkdtemp(prefix="nnaudit-duckdb-")
        self.connection = duckdb.connect(config={"temp_directory": self._spill})
        self.connection.register(VIEW, frame)


def _open(source: Any, memory_limit: str | None) -> tuple[DuckDBEngine, PredictionFiles]:
    if isinstance(source, pd.DataFrame):
        files = PredictionFiles(FRAME, "predictions", (), "frame")
        if not all(isinstance(c, str) for c in source.columns):
            raise UserInputError("The predictions frame's columns must be named by strings.")
        return _FrameEngine(source.reset_index(drop=True)), files
    files = find_prediction_files(source)
    return DuckDBEngine(files, memory_limit=memory_limit), files


def _sliced_columns(kinds: dict[str, str], chosen: list[str] | None, taken: set[str],
                    where: str) -> list[str]:
    if chosen is None:
        sliced = [c for c in kinds if c not in taken]
    else:
        sliced = list(dict.fromkeys(c.strip() for c in chosen if c.strip()))
        unknown = [c for c in sliced if c not in kinds]
        if unknown:
            raise UserInputError(f"Column {unknown[0]!r} not found in {where} "
                                 f"(its columns: {', '.join(kinds)}).")
        used = [c for c in sliced if c in taken]
        if used:
            raise UserInputError(f"Column {used[0]!r} is the label or the prediction; "
                                 "slicing on it would only restate the error.")
    if not sliced:
        raise UserInputError(f"{where} has no column to slice on besides the label and the "
                             "prediction.")
    return sliced


def _check_complete(engine: DuckDBEngine, files: PredictionFiles, spec, kinds) -> None:
    """Every row has a label and a prediction (or a readable score)."""
    label, decision = spec.label, spec.pred or spec.score
    row = engine.query(
        f"SELECT COUNT(*) AS rows, "
        f"SUM(CASE WHEN {problem_condition(spec, kinds, 'missing', label)} THEN 1 ELSE 0 END) AS a, "
        f"SUM(CASE WHEN {problem_condition(spec, kinds, 'missing', decision)} THEN 1 ELSE 0 END)"
        f" AS b FROM {VIEW}").iloc[0]
    if int(row["rows"]) == 0:
        raise UserInputError(f"{files.source} has no rows.")
    for column, count in ((label, row["a"]), (decision, row["b"])):
        if count and int(count):
            found = first_row(files, problem_condition(spec, kinds, "missing", column)) \
                if files.files else None
            at = f"row {found[1]}" if found else "a row of the frame"
            raise missing_values(column, spec, files.source, int(count), at)


def _decide(engine: DuckDBEngine, spec, kinds, where: str, positive: Any,
            threshold: float | None) -> tuple[list[str], str | None, float | None]:
    """Classes, positive class and threshold, with the black-box audit's checks and words."""
    values = sorted(engine.query(f"SELECT DISTINCT {text(spec.label, kinds[spec.label])} AS v "
                                 f"FROM {VIEW}")["v"], key=natural_order)
    if spec.score is None:
        predicted = sorted(engine.query(f"SELECT DISTINCT {text(spec.pred, kinds[spec.pred])} "
                                        f"AS v FROM {VIEW}")["v"], key=natural_order)
        classes, positive = decide_labelled(values, predicted, spec, where, positive=positive)
        if positive is None and len(classes) == 2:
            positive = classes[1]
        return classes, positive, None
    s = number(spec.score, kinds[spec.score])
    row = engine.query(f"SELECT MIN({s}) AS low, MAX({s}) AS high, SUM(CASE WHEN "
                       f"{problem_condition(spec, kinds, 'non_numeric')} THEN 1 ELSE 0 END) AS bad "
                       f"FROM {VIEW}").iloc[0]
    bad = None
    if row["bad"] and int(row["bad"]):
        bad = (engine.query(f"SELECT CAST({quote(spec.score)} AS VARCHAR) AS v FROM {VIEW} WHERE "
                            f"{problem_condition(spec, kinds, 'non_numeric')} LIMIT 1")["v"][0],
               "a row")
    score_range = None if pd.isna(row["low"]) else (float(row["low"]), float(row["high"]))
    return decide_scored(values, spec, where, positive=positive, threshold=threshold,
                         non_numeric=bad, score_range=score_range)


def _profile(engine: DuckDBEngine, column: str, kind: str, bins: int,
             max_values: int) -> ColumnBins:
    """The bins of one column (one pass over it; Parquet reads that column only)."""
    if kind in NUMBER_KINDS:
        x = number(column, kind)
        few = engine.query(f"SELECT DISTINCT {x} AS v FROM {VIEW} WHERE {x} IS NOT NULL "
                           f"LIMIT {bins + 1}")["v"]
        if len(few) <= bins:
            return ColumnBins(column, "values", values=tuple(sorted(float(v) for v in few)),
                              numeric=True)
        points = [i / bins for i in range(1, bins)]
        cuts = engine.query(f"SELECT quantile_disc({x}, [{', '.join(literal(p) for p in points)}])"
                            f" AS q FROM {VIEW}")["q"][0]
        return ColumnBins(column, "number", cuts=tuple(sorted({float(c) for c in cuts})))
    t = text(column, kind)
    top = engine.query(f"SELECT {t} AS v, COUNT(*) AS n FROM {VIEW} WHERE {t} IS NOT NULL "
                       f"GROUP BY 1 ORDER BY n DESC, v LIMIT {max_values + 1}")
    if len(top) <= max_values:
        return ColumnBins(column, "values", values=tuple(sorted(top["v"], key=natural_order)))
    kept = sorted(top["v"][:max_values - 1], key=natural_order)
    return ColumnBins(column, "values", values=tuple(kept), other=True)


def _code_sql(plan: ColumnBins, kind: str) -> str:
    """The bin code of a row as a SQL expression (the same text on files and frames)."""
    if plan.kind == "number" or plan.numeric:
        x = number(plan.column, kind)
        if plan.kind == "number":
            tests = [f"WHEN {x} <= {literal(c)} THEN {j}" for j, c in enumerate(plan.cuts)]
            last = len(plan.cuts)
        else:
            tests = [f"WHEN {x} = {literal(v)} THEN {j}" for j, v in enumerate(plan.values)]
            last = len(plan.values)
    else:
        x = text(plan.column, kind)
        tests = [f"WHEN {x} = {sql_string(v)} THEN {j}" for j, v in enumerate(plan.values)]
        last = len(plan.values)
    return f"CASE WHEN {x} IS NULL THEN {MISSING} {' '.join(tests)} ELSE {last} END"


def _flags_sql(spec, kinds, positive: str | None, threshold: float | None) -> list[str]:
    label = text(spec.label, kinds[spec.label])
    if spec.score is not None:
        predicted = f"({number(spec.score, kinds[spec.score])} >= {literal(threshold)})"
    else:
        predicted = (f"({text(spec.pred, kinds[spec.pred])} = {sql_string(positive)})"
                     if positive is not None else "NULL")
        wrong = f"({label} <> {text(spec.pred, kinds[spec.pred])})"
    actual = f"({label} = {sql_string(positive)})" if positive is not None else "NULL"
    if spec.score is not None:
        wrong = f"({actual} <> {predicted})"
    return [f"{wrong} AS wrong", f"{actual} AS label_positive", f"{predicted} AS pred_positive"]


def sql_string(value: Any) -> str:
    """A text literal: the value between single quotes, quotes doubled (a value is data)."""
    return "'" + str(value).replace("'", "''") + "'"
