"""The pandas engine (black-box mode): audit any model or API from its predictions alone.

`load_predictions` reads predictions with pandas (a CSV or Parquet file, a glob or a folder of
them, or a DataFrame), checks them at the edge (every problem is one `UserInputError` sentence
naming the file, column, value or row) and returns what `fairness_audit` takes::

    inputs = load_predictions("preds.csv", label="truth", score="risk", threshold=7,
                              groups=["race", "sex"], positive="1")
    result = fairness_audit(**inputs.audit_kwargs(), n_boot=1000, seed=0)

This is the in-memory engine (``engine="pandas"``); `nnaudit.engines.count_predictions` runs the
same checks and the same counting in DuckDB or Spark for data larger than memory. The checks and their sentences
below are shared by all engines, so a bad file is refused in the same words whatever reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from nnaudit.engines._files import PredictionFiles, check_schemas, find_prediction_files
from nnaudit.engines._sql import PredictionColumns
from nnaudit.errors import UserInputError
from nnaudit.fairness import SCORE_BINS, CellCounts, count_rows, natural_order

FRAME = "the predictions frame"


@dataclass
class BlackBoxInput:
    """Labels, predictions and groups read from predictions, and their counts.

    y_true, y_pred: (N,) class labels as strings, the names in ``classes``; scores: (N,) score
    of the positive class or None; groups: one str column per sensitive attribute; counts: the
    `CellCounts` of these rows; card: the dataset card (see `predictions_card`).
    """

    y_true: np.ndarray
    y_pred: np.ndarray
    scores: np.ndarray | None
    groups: pd.DataFrame
    classes: list[str]
    positive: str | None
    threshold: float | None
    counts: CellCounts | None = None
    card: dict[str, Any] = field(default_factory=dict)

    def audit_kwargs(self) -> dict[str, Any]:
        """Arguments of `fairness_audit` for these predictions."""
        kwargs = dict(y_true=self.y_true, y_pred=self.y_pred, groups=self.groups,
                      scores=self.scores, classes=self.classes, positive=self.positive)
        if self.threshold is not None:
            kwargs["threshold"] = self.threshold
        return kwargs


def load_predictions(source: Path | str | pd.DataFrame, *, label: str, pred: str | None = None,
                     score: str | None = None, threshold: float | None = None,
                     groups: list[str] | str, positive: Any = None,
                     score_bins: int = SCORE_BINS) -> BlackBoxInput:
    """Read and check predictions (CSV or Parquet files, or a DataFrame) for the fairness audit.

    ``source``: a file, a glob (``'logs/*.parquet'``), a folder of files, or a DataFrame. Give
    the true-label column, and either the predicted-label column (``pred``) or a score column
    with its decision ``threshold`` (``score``: binary tasks, higher means ``positive``; the
    threshold defaults to 0.5). ``groups`` names the sensitive-attribute columns.
    ``positive`` is the positive class, by default the second of two sorted label values.
    """
    columns = prediction_columns(label, pred=pred, score=score, groups=groups,
                                 threshold=threshold)
    frame, files, at = _read(source, columns)
    where = files.source
    if len(frame) == 0:
        raise UserInputError(f"{where} has no rows.")

    decision = columns.pred or columns.score
    for column in (columns.label, decision):
        absent = frame[column].isna() | (frame[column].astype(str).str.strip() == "")
        if absent.any():
            raise missing_values(column, columns, where, int(absent.sum()),
                                 at(int(np.flatnonzero(absent)[0])))
    y_true = _labels(frame[columns.label])
    values = sorted(set(y_true), key=natural_order)
    scores = None
    if score is not None:
        scores = pd.to_numeric(frame[score], errors="coerce").to_numpy(dtype=float)
        readable = np.isfinite(scores)
        bad = np.flatnonzero(~readable)
        classes, positive, threshold = decide_scored(
            values, columns, where, positive=positive, threshold=threshold,
            non_numeric=(frame[score].iloc[bad[0]], at(int(bad[0]))) if len(bad) else None,
            score_range=(float(scores[readable].min()), float(scores[readable].max()))
            if readable.any() else None)
        y_pred = np.where(scores >= threshold, classes[1], classes[0]).astype(object)
    else:
        y_pred = _labels(frame[pred])
        classes, positive = decide_labelled(values, sorted(set(y_pred), key=natural_order),
                                            columns, where, positive=positive)

    group_frame = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for column in columns.groups:
        col = frame[column]
        absent = col.isna() | (col.astype(str).str.strip() == "")
        if absent.any():
            raise missing_groups(column, where, int(absent.sum()),
                                 at(int(np.flatnonzero(absent)[0])))
        group_frame[column] = _labels(col)

    inputs = BlackBoxInput(y_true=y_true, y_pred=y_pred, scores=scores, groups=group_frame,
                           classes=classes, positive=positive, threshold=threshold)
    inputs.counts = count_rows(**inputs.audit_kwargs(), score_bins=score_bins)
    inputs.card = predictions_card(inputs.counts, columns, files)
    return inputs


# --- the checks every engine shares ------------------------------------------------------------

def prediction_columns(label: str, *, pred: str | None, score: str | None,
                       groups: list[str] | str, threshold: float | None = None
                       ) -> PredictionColumns:
    """The columns to read, or the sentence saying what is wrong with the arguments (the
    threshold included: a NaN or infinite one must never reach an engine's SQL)."""
    if isinstance(groups, str):
        groups = [g.strip() for g in groups.split(",") if g.strip()]
    if threshold is not None and not np.isfinite(threshold):
        raise UserInputError(f"The threshold (--threshold) must be a finite number, not "
                             f"{threshold}.")
    repeated = next((g for i, g in enumerate(groups) if g in groups[:i]), None)
    if repeated is not None:
        raise UserInputError(f"Group column {repeated!r} is named twice in --groups; name each "
                             "sensitive attribute once.")
    if (pred is None) == (score is None):
        raise UserInputError("Give either a prediction column (--pred) or a score column "
                             "(--score), not both and not neither.")
    if not groups:
        raise UserInputError("Name at least one sensitive-attribute column (--groups).")
    return PredictionColumns(label=label, groups=tuple(groups), pred=pred, score=score)


def missing_values(column: str, columns: PredictionColumns, where: str, count: int,
                   at: str) -> UserInputError:
    role, needs = ({columns.label: ("Label", "its true label"),
                    columns.pred: ("Prediction", "a prediction"),
                    columns.score: ("Score", "a score")})[column]
    return UserInputError(f"{role} column {column!r} of {where} has {count} missing values "
                          f"(first at {at}); every row needs {needs}.")


def missing_groups(column: str, where: str, count: int, at: str) -> UserInputError:
    return UserInputError(f"Group column {column!r} of {where} has {count} missing or empty "
                          f"values (first at {at}); every row needs a group.")


def decide_labelled(values: list[str], predicted: list[str], columns: PredictionColumns,
                    where: str, *, positive: Any) -> tuple[list[str], str | None]:
    """Classes and positive class of labelled predictions, from the values that occur."""
    positive = _check_positive(positive, values, columns, where)
    return sorted(set(values) | set(predicted), key=natural_order), positive


def decide_scored(values: list[str], columns: PredictionColumns, where: str, *, positive: Any,
                  threshold: float | None, non_numeric: tuple[Any, str] | None,
                  score_range: tuple[float, float] | None) -> tuple[list[str], str, float]:
    """Classes (negative, positive), positive class and threshold of scored predictions.

    ``non_numeric``: the first unreadable score and where it is, or None; ``score_range``:
    the smallest and largest score.
    """
    positive = _check_positive(positive, values, columns, where)
    label, score = columns.label, columns.score
    if len(values) > 2:
        raise UserInputError(
            f"Column {label!r} of {where} has {len(values)} values ({', '.join(values[:10])}"
            f"{', ...' if len(values) > 10 else ''}); a score column needs a binary label.")
    if positive is None:
        if len(values) < 2:
            raise UserInputError(f"Column {label!r} of {where} holds one value only; "
                                 "name the positive class (--positive).")
        positive = values[-1]
    if non_numeric is not None:
        value, at = non_numeric
        raise UserInputError(f"Score column {score!r} of {where} has non-numeric values "
                             f"(first {str(value)!r} at {at}).")
    threshold = 0.5 if threshold is None else float(threshold)
    low, high = score_range
    if not low <= threshold <= high:
        raise UserInputError(f"Threshold {threshold:g} is outside the range of score column "
                             f"{score!r} of {where} ({low:g} to {high:g}).")
    negative = next((v for v in values if v != positive), f"not {positive}")
    return [negative, positive], positive, threshold


def _check_positive(positive: Any, values: list[str], columns: PredictionColumns,
                    where: str) -> str | None:
    if positive is None:
        return None
    if str(positive) not in values:
        raise UserInputError(f"Positive class {str(positive)!r} does not occur in column "
                             f"{columns.label!r} of {where} (its values: {', '.join(values[:20])}).")
    return str(positive)


def predictions_card(counts: CellCounts, columns: PredictionColumns,
                     files: PredictionFiles) -> dict[str, Any]:
    """The dataset card of audited predictions, from their counts (the same for every engine)."""
    per_cell = counts.confusion.sum(axis=(1, 2))
    per_class = counts.confusion.sum(axis=(0, 2))
    order = np.argsort(-per_class, kind="stable")
    return {
        "name": files.name, "source": files.source,
        "citation": "predictions supplied by the user (black-box audit)", "license": "unknown",
        "size": {"test": counts.n},
        "files": len(files.files),
        "attributes": {c: f"column {c!r} of {files.source}" for c in columns.groups},
        "simulated_attributes": False,
        "subgroup_counts": {"test": {" x ".join(cell): int(n)
                                     for cell, n in zip(counts.cell_labels(), per_cell)}},
        "limits": ["Only the model's outputs were available: no weights, no training data; "
                   "groups are as recorded in the file."],
        "columns": {"label": columns.label, "pred": columns.pred, "score": columns.score,
                    "groups": list(columns.groups)},
        "class_counts": {counts.classes[k]: int(per_class[k]) for k in order if per_class[k]},
    }


# --- reading with pandas -------------------------------------------------------------------------

def _read(source: Path | str | pd.DataFrame, columns: PredictionColumns
          ) -> tuple[pd.DataFrame, PredictionFiles, Callable[[int], str]]:
    """The rows, the files they came from, and where a row of the concatenation is in words."""
    if isinstance(source, pd.DataFrame):
        files = PredictionFiles(FRAME, "predictions", (Path(FRAME),), "frame")
        check_schemas(files, {Path(FRAME): _kinds(source)}, columns.needed)
        return source.reset_index(drop=True), files, lambda row: f"row {row}"
    files = find_prediction_files(source)
    frames = []
    for file in files.files:
        try:
            frames.append(pd.read_csv(file) if files.format == "csv" else pd.read_parquet(file))
        except (ValueError, OSError) as error:
            raise UserInputError(f"Cannot read {file}: {error}") from error
    check_schemas(files, {f: _kinds(frame) for f, frame in zip(files.files, frames)},
                  columns.needed, score=columns.score)
    starts = np.cumsum([0] + [len(f) for f in frames])

    def locate(row: int) -> str:
        if len(files.files) == 1:
            return f"row {row}"
        k = int(np.searchsorted(starts, row, side="right")) - 1
        return f"row {row - int(starts[k])} of {files.files[k]}"

    frame = pd.concat([f[list(dict.fromkeys(columns.needed))] for f in frames], ignore_index=True)
    return frame, files, locate


def _kinds(frame: pd.DataFrame) -> dict[str, str]:
    kinds = {}
    for name, dtype in frame.dtypes.items():
        kinds[str(name)] = ("boolean" if pd.api.types.is_bool_dtype(dtype) else
                            "integer" if pd.api.types.is_integer_dtype(dtype) else
                            "float" if pd.api.types.is_float_dtype(dtype) else
                            _object_kind(frame[name]) if dtype == object else  # noqa: E721
                            "string" if pd.api.types.is_string_dtype(dtype) else str(dtype))
    return kinds


def _object_kind(column: pd.Series) -> str:
    """An object column holds text, unless its values are lists or mappings (Parquet's nested
    types), which no label or group can be."""
    first = column.dropna()
    first = first.iloc[0] if len(first) else None
    if isinstance(first, (list, tuple, np.ndarray)):
        return "list"
    if isinstance(first, dict):
        return "struct"
    return "string"


def _labels(column: pd.Series) -> np.ndarray:
    """Values as strings, integral floats written as ints (1.0 -> "1"), as the SQL engines do."""
    if column.dtype.kind == "f":
        values = column.to_numpy(dtype=float)
        integral = (np.mod(values, 1) == 0) & (np.abs(values) < 2.0 ** 53)
        return np.array([str(int(v)) if i else str(v) for v, i in zip(values, integral)], dtype=object)
    return column.astype(str).str.strip().to_numpy(dtype=object)
