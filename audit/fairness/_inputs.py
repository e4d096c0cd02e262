"""Turn the audit's array-likes into class indices, binary outcomes and sensitive strata."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from nnaudit.fairness._counts import COUNT_COLUMNS, natural_order
from nnaudit.fairness._metrics import BINARY, CORRECTNESS
from nnaudit.errors import UserInputError


# Columns of the subgroup tables and of the stored counts; every sensitive attribute gets a
# column of its own beside them, so an attribute may not take one of these names.
RESERVED_COLUMNS = frozenset({
    "attribute", "subgroup", "n", "share", "small_group", "significant", "class", "metric", "value",
    "rest", "p_value", "p_adjusted", "test", "positive", "threshold", "balanced_share",
    *(f"{rate}{suffix}" for rate in (*BINARY.rates, *CORRECTNESS.rates, "auc")
      for suffix in ("", "_low", "_high")),
    "auc_max_error", *BINARY.cells, *CORRECTNESS.cells, *COUNT_COLUMNS})


@dataclass
class Prepared:
    """The audit's inputs in one normalized form.

    classes:    class names, index = class index.
    y_true, y_pred: (N,) int class indices (y_pred is the decision when one score per row
                decides between two classes).
    positive:   index of the positive class, or None (multi-class without a chosen class).
    is_positive, predicted_positive: (N,) bool for the binary table, or None.
    positive_scores: (N,) score of the positive class, or None.
    probabilities:   (N, C) class probabilities, or None.
    attributes: sensitive attribute names; values: their value names, in `natural_order`;
    codes: (N, A) indices into ``values``.
    """

    classes: list[str]
    y_true: np.ndarray
    y_pred: np.ndarray
    positive: int | None
    is_positive: np.ndarray | None
    predicted_positive: np.ndarray | None
    positive_scores: np.ndarray | None
    probabilities: np.ndarray | None
    threshold: float
    attributes: list[str]
    values: list[list[str]]
    codes: np.ndarray


def prepare(y_true, y_pred, groups: pd.DataFrame, *, scores=None, classes=None, positive=None,
            threshold: float = 0.5) -> Prepared:
    y_true = np.asarray(y_true).ravel()
    y_pred = np.asarray(y_pred).ravel()
    if not (len(y_true) == len(y_pred) == len(groups)):
        raise ValueError(f"y_true, y_pred and groups differ in length "
                         f"({len(y_true)}, {len(y_pred)}, {len(groups)}).")
    if len(y_true) == 0:
        raise UserInputError("There are no predictions to audit (0 rows).")
    names, t, p = _class_indices(y_true, y_pred, classes)
    pos = positive_index(positive, names)

    probabilities = positive_scores = None
    if scores is not None:
        s = np.asarray(scores, dtype=float)
        if s.ndim == 2:
            if s.shape != (len(y_true), len(names)):
                raise ValueError(f"scores of shape {s.shape} do not match {len(y_true)} rows "
                                 f"and {len(names)} classes {names}.")
            probabilities = s
            positive_scores = s[:, pos] if pos is not None else None
            _check_finite(s)
        else:
            if pos is None:
                raise UserInputError("One score per row needs a positive class: pass positive=.")
            positive_scores = s.ravel()
            if len(positive_scores) != len(y_true):
                raise ValueError(f"scores has {len(positive_scores)} rows, labels {len(y_true)}.")
            _check_finite(positive_scores)
    is_positive = predicted_positive = None
    if pos is not None:
        is_positive = t == pos
        predicted_positive = positive_scores >= threshold if positive_scores is not None else p == pos
        if probabilities is None and positive_scores is not None and len(names) == 2:
            p = np.where(predicted_positive, pos, 1 - pos)  # one score decides the prediction

    attributes = [str(c) for c in groups.columns]
    if not attributes:
        raise UserInputError("No sensitive attribute given: name at least one group column.")
    clash = next((a for a in attributes if a in RESERVED_COLUMNS), None)
    if clash is not None:
        raise UserInputError(f"Sensitive attribute {clash!r} has the name of a column of the "
                             "fairness tables; rename it.")
    codes = np.empty((len(groups), len(attributes)), dtype=np.int64)
    values = []
    for j, column in enumerate(groups.columns):
        col = groups[column]
        c, uniques = pd.factorize(col, sort=True)
        missing = int((c < 0).sum())
        names_j = [str(u) for u in uniques]
        empty = int(np.isin(c, [k for k, v in enumerate(names_j) if not v.strip()]).sum())
        if missing or empty:
            raise UserInputError(f"Sensitive attribute {column!r} has {missing + empty} missing or "
                                 f"empty values; every row needs a group.")
        # the order every engine gives the values (they are strings there), so tables match
        order = sorted(range(len(names_j)), key=lambda k: natural_order(names_j[k]))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        codes[:, j] = rank[c]
        values.append([names_j[k] for k in order])
    return Prepared(names, t, p, pos, is_positive, predicted_positive, positive_scores,
                    probabilities, float(threshold), attributes, values, codes)


def _check_finite(scores: np.ndarray) -> None:
    bad = ~np.isfinite(scores)
    if bad.any():
        raise UserInputError(f"Scores have {int(bad.sum())} missing or infinite values (first at "
                             f"row {int(np.flatnonzero(bad.reshape(len(scores), -1).any(axis=1))[0])}).")


def _class_indices(y_true: np.ndarray, y_pred: np.ndarray, classes) -> tuple[list[str], np.ndarray, np.ndarray]:
    ints = y_true.dtype.kind in "iub" and y_pred.dtype.kind in "iub"
    if classes is not None:
        names = [str(c) for c in classes]
        if ints:
            t, p = y_true.astype(np.int64), y_pred.astype(np.int64)
            bad = (t < 0) | (t >= len(names)) | (p < 0) | (p >= len(names))
        else:
            index = pd.Index(names)
            t = index.get_indexer(y_true.astype(str))
            p = index.get_indexer(y_pred.astype(str))
            bad = (t < 0) | (p < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise UserInputError(f"Label or prediction {y_true[i]!r}/{y_pred[i]!r} (row {i}) is not "
                                 f"one of the classes {names}.")
        return names, t, p
    if y_true.dtype.kind != y_pred.dtype.kind and not ints:
        y_true, y_pred = y_true.astype(str), y_pred.astype(str)
    codes, uniques = pd.factorize(pd.Series(np.concatenate([y_true, y_pred])), sort=True)
    if (codes < 0).any():
        raise UserInputError("Labels or predictions contain missing values.")
    n = len(y_true)
    return [str(u) for u in uniques], codes[:n].astype(np.int64), codes[n:].astype(np.int64)


def positive_index(positive, names: list[str]) -> int | None:
    """The positive class's index: the one named, or the second of two classes, or None."""
    if positive is None:
        return 1 if len(names) == 2 else None
    if str(positive) in names:
        return names.index(str(positive))
    if isinstance(positive, (int, np.integer)) and 0 <= positive < len(names):
        return int(positive)
    raise UserInputError(f"Positive class {positive!r} is not one of the classes {names}.")
