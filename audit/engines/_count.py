"""`count_predictions`: a predictions source in, `CellCounts` out, whichever engine counts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nnaudit.engines._pandas import (decide_labelled, decide_scored, load_predictions, missing_groups,
                              missing_values, prediction_columns, predictions_card)
from nnaudit.engines._duckdb import DuckDBEngine, file_schemas, first_row
from nnaudit.engines._files import PredictionFiles, check_schemas, find_prediction_files
from nnaudit.engines._spark import SparkEngine, require_spark
from nnaudit.engines._sql import PredictionColumns, cells_sql, problem_condition, score_range_sql
from nnaudit.errors import UserInputError
from nnaudit.fairness import SCORE_BINS, CellCounts, natural_order, positive_index

ENGINES = ("duckdb", "spark", "pandas")


@dataclass
class CountedPredictions:
    """The counts of a predictions source, its dataset card, and the engine that counted.

    ``training_groups`` is None: a predictions file says nothing of the training data.
    """

    counts: CellCounts
    card: dict[str, Any]
    engine: str
    training_groups: pd.DataFrame | None = None

    @property
    def attributes(self) -> list[str]:
        return list(self.counts.attributes)


def count_predictions(source: Path | str | pd.DataFrame | Any, *, label: str,
                      groups: list[str] | str, pred: str | None = None,
                      score: str | None = None, threshold: float | None = None,
                      positive: Any = None, engine: str = "auto",
                      score_bins: int = SCORE_BINS, spark: Any = None,
                      spark_master: str | None = None,
                      memory_limit: str | None = None) -> CountedPredictions:
    """Check and count predictions for the fairness audit, where the data is.

    Parameters
    ----------
    source
        A CSV or Parquet file, a glob (``'logs/*.parquet'``), a folder of such files, a pandas
        DataFrame or a Spark DataFrame; with the Spark engine also a cluster path
        (``hdfs://...``, ``s3a://...``) that Spark lists itself.
    label, groups, pred, score, threshold, positive
        As in `nnaudit.engines.load_predictions`.
    engine
        ``duckdb`` (out of core, the default for files), ``spark`` (a cluster, or local mode),
        ``pandas`` (in memory, the default for a DataFrame) or ``auto``.
    score_bins
        Equal-width bins of the score histograms (see `nnaudit.fairness.CellCounts`).
    spark, spark_master
        An existing SparkSession, or the master URL of one to start (default ``local[*]``).
    memory_limit
        DuckDB's memory limit, e.g. ``'2GB'`` (default: DuckDB's, 80 % of RAM); beyond it
        DuckDB spills to a temporary folder.

    Every engine gives the same counts, card and error sentences for the same data.
    """
    columns = prediction_columns(label, pred=pred, score=score, groups=groups,
                                 threshold=threshold)
    engine = _choose(engine, source, spark, spark_master)
    if engine == "pandas":
        inputs = load_predictions(source, label=label, pred=pred, score=score, threshold=threshold,
                                  groups=list(columns.groups), positive=positive,
                                  score_bins=score_bins)
        return CountedPredictions(inputs.counts, inputs.card, "pandas")
    if engine == "spark":
        require_spark()
    files = _local_files(source, columns)
    if engine == "duckdb":
        runner = DuckDBEngine(files, memory_limit=memory_limit)
    else:
        runner = SparkEngine(files if files.files else source, session=spark, master=spark_master)
    try:
        kinds = runner.kinds()
        check_schemas(PredictionFiles(files.source, files.name, (Path(files.source),), ""),
                      {Path(files.source): kinds}, columns.needed)
        counts = _count(runner, files, columns, kinds, threshold=threshold, positive=positive,
                        bins=score_bins)
    finally:
        runner.close()
    return CountedPredictions(counts, predictions_card(counts, columns, files), runner.name)


def _choose(engine: str, source: Any, spark: Any, spark_master: str | None) -> str:
    if engine not in ("auto", *ENGINES):
        raise UserInputError(f"Engine {engine!r} is not one of auto, {', '.join(ENGINES)}.")
    if engine not in ("auto", "spark") and (spark is not None or spark_master is not None):
        raise UserInputError(f"A Spark session or master goes with the spark engine, not {engine}.")
    if engine != "auto":
        return engine
    if isinstance(source, pd.DataFrame):
        return "pandas"
    if spark is not None or spark_master is not None or _is_spark_frame(source):
        return "spark"
    return "duckdb"


def _is_spark_frame(source: Any) -> bool:
    return type(source).__module__.startswith("pyspark.")


def _local_files(source: Any, columns: PredictionColumns) -> PredictionFiles:
    """The files of a local source, checked file by file; a Spark frame or cluster path has no
    local files (Spark reads it, and its errors name what it could not read)."""
    if _is_spark_frame(source):
        return PredictionFiles("the Spark DataFrame", "predictions", (), "spark")
    if isinstance(source, str) and "://" in source:
        return PredictionFiles(source, Path(source.rstrip("/")).stem or "predictions", (), "spark")
    if isinstance(source, pd.DataFrame):
        raise UserInputError("A pandas DataFrame is counted in memory: use engine='pandas'.")
    files = find_prediction_files(source)
    check_schemas(files, file_schemas(files), columns.needed, score=columns.score)
    return files


def _count(runner, files: PredictionFiles, columns: PredictionColumns, kinds: dict[str, str], *,
           threshold: float | None, positive: Any, bins: int) -> CellCounts:
    """The two passes (score range, then cells), the shared checks, and the counts."""
    where = files.source

    def at(problem: str, column: str | None = None, value_of: str | None = None) -> tuple[str, Any]:
        """Where the first row with ``problem`` is, and the value of ``value_of`` there."""
        found = first_row(files, problem_condition(columns, kinds, problem, column), value_of) \
            if files.files else None
        if found is None:
            return "a row Spark read", None
        file, row, value = found
        return (f"row {row}" if len(files.files) == 1 else f"row {row} of {file}"), value

    score_range = missing_scores = non_numeric = None
    if columns.score is not None:
        row = runner.query(score_range_sql(columns, kinds)).iloc[0]
        if pd.notna(row["score_min"]):
            score_range = (float(row["score_min"]), float(row["score_max"]))
        # SUM over no rows is NULL (NaN here): a file with a header only
        missing_scores, non_numeric = (int(row[k]) if pd.notna(row[k]) else 0
                                       for k in ("missing", "non_numeric"))
    low, high = score_range or (0.0, 0.0)
    table = runner.query(cells_sql(columns, kinds, threshold=0.5 if threshold is None else threshold,
                                   score_low=low, score_high=high, bins=bins))

    if table.empty:
        raise UserInputError(f"{where} has no rows.")
    decision = columns.pred or columns.score
    absent = {columns.label: int(table.loc[table["label"].isna(), "n"].sum()),
              decision: missing_scores if columns.score else
              int(table.loc[table["prediction"].isna(), "n"].sum())}
    for column, count in absent.items():
        if count:
            raise missing_values(column, columns, where, count, at("missing", column)[0])
    values = sorted(table["label"].unique(), key=natural_order)
    if columns.score is not None:
        classes, positive, threshold = decide_scored(
            values, columns, where, positive=positive, threshold=threshold,
            non_numeric=at("non_numeric", value_of=columns.score)[::-1] if non_numeric else None,
            score_range=score_range)
    else:
        classes, positive = decide_labelled(values, sorted(table["prediction"].unique(),
                                                           key=natural_order),
                                            columns, where, positive=positive)
    attributes = list(columns.groups)
    for i, column in enumerate(attributes):
        count = int(table.loc[table[f"g{i}"].isna(), "n"].sum())
        if count:
            raise missing_groups(column, where, count, at("missing", column)[0])

    table = table.rename(columns={f"g{i}": a for i, a in enumerate(attributes)})
    if columns.score is None:
        cells, histograms = table, None
    else:
        cells, histograms = _split_scored(table, attributes, classes, positive)
    chosen = positive_index(positive, classes)
    return CellCounts.from_tables(cells, histograms, attributes=attributes, classes=classes,
                                  positive=None if chosen is None else classes[chosen],
                                  threshold=threshold if columns.score else None)


def _split_scored(table: pd.DataFrame, attributes: list[str], classes: list[str],
                  positive: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scored pass's rows as the ``cell_counts`` and ``score_histograms`` tables."""
    table = table.assign(bin=table["bin"].astype(np.int64),
                         at_threshold=table["at_threshold"].astype(bool))
    cells = table.groupby([*attributes, "label", "at_threshold"], as_index=False, sort=False)["n"].sum()
    cells.insert(len(attributes) + 1, "prediction",
                 np.where(cells.pop("at_threshold"), classes[1], classes[0]))
    table["is_class"] = table["label"] == positive
    histograms = table.groupby([*attributes, "is_class", "bin"], as_index=False, sort=False)["n"].sum()
    bounds = table.groupby("bin").agg(score_min=("score_min", "min"), score_max=("score_max", "max"))
    histograms = histograms.join(bounds, on="bin")
    histograms.insert(0, "score_of", positive)
    return cells, histograms
