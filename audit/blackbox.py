"""Black-box mode: audit any model or API from a file of its predictions, no weights needed.

`load_predictions` reads a CSV or Parquet file, checks it at the edge (every problem is one
`UserInputError` sentence naming the file, column or value) and returns what `fairness_audit`
takes::

    inputs = load_predictions("preds.csv", label="truth", score="risk", threshold=7,
                              groups=["race", "sex"], positive="1")
    result = fairness_audit(**inputs.audit_kwargs(), n_boot=1000, seed=0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nnaudit.errors import UserInputError


@dataclass
class BlackBoxInput:
    """Labels, predictions and groups read from a predictions file.

    y_true, y_pred: (N,) class labels as strings, the names in ``classes``; scores: (N,) score
    of the positive class or None; groups: one str column per sensitive attribute; card: the
    dataset card of the file (the keys of a dataset card, see docs/ARCHITECTURE.md).
    """

    y_true: np.ndarray
    y_pred: np.ndarray
    scores: np.ndarray | None
    groups: pd.DataFrame
    classes: list[str]
    positive: str | None
    threshold: float | None
    card: dict[str, Any] = field(default_factory=dict)

    def audit_kwargs(self) -> dict[str, Any]:
        """Arguments of `fairness_audit` for these predictions."""
        kwargs = dict(y_true=self.y_true, y_pred=self.y_pred, groups=self.groups,
                      scores=self.scores, classes=self.classes, positive=self.positive)
        if self.threshold is not None:
            kwargs["threshold"] = self.threshold
        return kwargs

    def predictions(self) -> pd.DataFrame:
        """The run directory's ``predictions.parquet`` frame (see audit/store.py)."""
        index = {c: i for i, c in enumerate(self.classes)}
        frame = pd.DataFrame({"y_true": [index[v] for v in self.y_true],
                              "y_pred": [index[v] for v in self.y_pred],
                              "label": self.y_true, "prediction": self.y_pred})
        if self.scores is not None:
            frame[f"score_{self.positive}"] = self.scores
        return pd.concat([frame, self.groups], axis=1)


def load_predictions(path: Path | str, *, label: str, pred: str | None = None,
                     score: str | None = None, threshold: float | None = None,
                     groups: list[str] | str, positive: Any = None) -> BlackBoxInput:
    """Read and check a predictions file (CSV or Parquet) for the fairness audit.

    Give the true-label column, and either the predicted-label column (``pred``) or a score
    column with its decision ``threshold`` (``score``: binary tasks, higher means ``positive``;
    the threshold defaults to 0.5). ``groups`` names the sensitive-attribute columns.
    ``positive`` is the positive class, by default the second of two sorted label values.
    """
    path = Path(path)
    frame = _read(path)
    if isinstance(groups, str):
        groups = [g.strip() for g in groups.split(",") if g.strip()]
    if (pred is None) == (score is None):
        raise UserInputError("Give either a prediction column (--pred) or a score column "
                             "(--score), not both and not neither.")
    if not groups:
        raise UserInputError("Name at least one sensitive-attribute column (--groups).")
    wanted = [label, pred or score, *groups]
    unknown = [c for c in wanted if c not in frame.columns]
    if unknown:
        raise UserInputError(f"Column(s) {', '.join(map(repr, unknown))} not found in {path} "
                             f"(its columns: {', '.join(map(str, frame.columns))}).")
    if len(frame) == 0:
        raise UserInputError(f"{path} has no rows.")

    for column in (label, pred or score):
        missing = frame[column].isna() | (frame[column].astype(str).str.strip() == "")
        if missing.any():
            raise UserInputError(
                f"Column {column!r} of {path} has {int(missing.sum())} missing values (first at "
                f"row {int(np.flatnonzero(missing)[0])}), so predictions and labels differ in "
                f"length; every row needs both.")
    y_true = _labels(frame[label])
    values = sorted(set(y_true), key=_natural)
    if positive is not None:
        positive = str(positive)
        if positive not in values:
            raise UserInputError(f"Positive class {positive!r} does not occur in column {label!r} "
                                 f"of {path} (its values: {', '.join(values[:20])}).")

    scores = None
    if score is not None:
        if len(values) > 2:
            raise UserInputError(
                f"Column {label!r} of {path} has {len(values)} values ({', '.join(values[:10])}"
                f"{', ...' if len(values) > 10 else ''}); a score column needs a binary label.")
        if positive is None:
            if len(values) < 2:
                raise UserInputError(f"Column {label!r} of {path} holds one value only; "
                                     "name the positive class (--positive).")
            positive = values[-1]
        scores = pd.to_numeric(frame[score], errors="coerce").to_numpy(dtype=float)
        if np.isnan(scores).any():
            raise UserInputError(f"Score column {score!r} of {path} has non-numeric values "
                                 f"(first at row {int(np.flatnonzero(np.isnan(scores))[0])}).")
        threshold = 0.5 if threshold is None else float(threshold)
        low, high = float(scores.min()), float(scores.max())
        if not low <= threshold <= high:
            raise UserInputError(f"Threshold {threshold:g} is outside the range of score column "
                                 f"{score!r} of {path} ({low:g} to {high:g}).")
        negative = next((v for v in values if v != positive), f"not {positive}")
        classes = [negative, positive]
        y_pred = np.where(scores >= threshold, positive, negative).astype(object)
    else:
        threshold = None
        y_pred = _labels(frame[pred])
        classes = sorted(set(values) | set(y_pred), key=_natural)

    group_frame = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for column in groups:
        col = frame[column]
        missing = col.isna() | (col.astype(str).str.strip() == "")
        if missing.any():
            raise UserInputError(
                f"Group column {column!r} of {path} has {int(missing.sum())} missing or empty "
                f"values (first at row {int(np.flatnonzero(missing)[0])}); every row needs a group.")
        group_frame[column] = _labels(col)

    counts = group_frame.value_counts().sort_index()
    card = {
        "name": path.stem, "source": str(path),
        "citation": "predictions supplied by the user (black-box audit)", "license": "unknown",
        "size": {"test": int(len(frame))},
        "attributes": {c: f"column {c!r} of {path.name}" for c in groups},
        "simulated_attributes": False,
        "subgroup_counts": {"test": {" x ".join(map(str, k if isinstance(k, tuple) else (k,))): int(v)
                                     for k, v in counts.items()}},
        "limits": ["Only the model's outputs were available: no weights, no training data; "
                   "groups are as recorded in the file."],
        "columns": {"label": label, "pred": pred, "score": score, "groups": list(groups)},
        "class_counts": {str(k): int(v) for k, v in pd.Series(y_true).value_counts().items()},
    }
    return BlackBoxInput(y_true=y_true, y_pred=y_pred, scores=scores, groups=group_frame,
                         classes=classes, positive=positive, threshold=threshold, card=card)


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise UserInputError(f"Predictions file {path} does not exist.")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            return pd.read_csv(path)
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
    except (ValueError, OSError) as error:
        raise UserInputError(f"Cannot read {path}: {error}") from error
    raise UserInputError(f"{path} is neither CSV (.csv) nor Parquet (.parquet).")


def _labels(column: pd.Series) -> np.ndarray:
    """Values as strings, with integral floats written as ints (1.0 -> "1")."""
    if column.dtype.kind == "f" and np.all(np.mod(column.to_numpy(), 1) == 0):
        column = column.astype(np.int64)
    return column.astype(str).str.strip().to_numpy(dtype=object)


def _natural(value: str):
    """Sort numbers numerically and before words (2 < 10 < 'no' < 'yes')."""
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)
