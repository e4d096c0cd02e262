"""Confusion counts and score histograms per intersection cell: all the fairness tables need.

Every rate of the tables is a ratio of confusion counts, and every subgroup (one attribute, a
pair) is a union of intersections of all the sensitive attributes, so the rows enter the audit
once, as counts per intersection cell (`CellCounts`). An engine computes them where the data is
(`count_cells` here from arrays in memory; DuckDB or Spark over files in `nnaudit.engines`) and
everything after - rates, Wilson intervals, tests, the stratified bootstrap, parity, findings -
works from them, so the numbers are the same whatever the engine.

The AUC and a decision threshold moved after the fact need the order of the scores, not only
counts: per cell, a histogram of each scored class's score over ``SCORE_BINS`` equal-width bins
between the smallest and the largest score, with the smallest and largest score seen in each
bin. A bin that holds one score value (risk deciles, rounded scores) loses nothing; a bin that
holds several counts its positive-negative pairs as ties, which bounds the AUC's error (see
`histogram_auc`).

Stored in a run directory as two long tables (`CellCounts.to_tables`):

- ``cell_counts``: one row per intersection cell, true class and predicted class: the sensitive
  attributes' columns, ``label``, ``prediction`` and ``n`` (the confusion matrix of each cell;
  for a predictions file scored at a threshold, the prediction is the decision at it).
- ``score_histograms``: one row per scored class, cell, class membership and bin: ``score_of``,
  the attributes' columns, ``is_class``, ``bin``, ``n``, and the bin's ``score_min`` and
  ``score_max`` over all cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from nnaudit.fairness._metrics import binary_codes

if TYPE_CHECKING:
    from nnaudit.fairness._inputs import Prepared

# Equal-width score bins per class: on [0, 1] a bin is 1e-4 wide, so thresholds on a 0.01 grid
# fall between bins of probabilities and the AUC of continuous scores moves by ~1e-4 at most.
SCORE_BINS = 10_000

# Column names of the stored count tables (an attribute may not take one of them).
COUNT_COLUMNS = ("label", "prediction", "n", "score_of", "is_class", "bin", "score_min",
                 "score_max")


def natural_order(value: str):
    """Sort key: numbers numerically and before words (2 < 10 < 'no' < 'yes')."""
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


@dataclass
class ScoreHistogram:
    """One class's score binned per cell.

    counts: (S, 2, B) rows per cell, class membership (0: not of the class, 1: of it) and bin;
    low, high: (B,) smallest and largest score in each bin over all cells, NaN when empty.
    Bins are in score order.
    """

    counts: np.ndarray
    low: np.ndarray
    high: np.ndarray

    @property
    def mixed(self) -> np.ndarray:
        """(B,) bins that hold more than one score value."""
        return self.low < self.high

    def split(self, threshold: float) -> tuple[np.ndarray, int]:
        """(S, 2) rows whose score is at least ``threshold``, and the rows left unsure.

        A bin counts as at or above the threshold when its smallest score is; a bin whose scores
        straddle the threshold (``low < threshold <= high``) cannot be split without the rows:
        it counts as below, and its rows are returned as unsure (0: the counts are exact).
        """
        above = self.low >= threshold
        straddles = (self.low < threshold) & (self.high >= threshold)
        return (self.counts[..., above].sum(axis=-1),
                int(self.counts[..., straddles].sum()))


@dataclass
class CellCounts:
    """The rows of a fairness audit reduced to counts per intersection cell.

    attributes: sensitive attribute names; values: each attribute's value names, in order;
    cells: (S, A) value index of each attribute in each intersection present in the data.
    classes: class names, index = class index; confusion: (S, C, C) rows per cell, true class
    and predicted class.
    positive: index of the positive class of the binary table, or None (multi-class).
    binary: (S, 4) tp, fp, tn, fn per cell when there is a positive class, else None.
    threshold: the score threshold that decided ``binary``, or None when labels decided it.
    histograms: class index -> `ScoreHistogram` of that class's score (classes with scores).
    confidence: with class probabilities, the `ScoreHistogram` of the predicted class's
    probability, membership = the prediction is right (top-label calibration); counted in
    memory only, not stored.
    """

    attributes: list[str]
    values: list[list[str]]
    cells: np.ndarray
    classes: list[str]
    confusion: np.ndarray
    positive: int | None = None
    binary: np.ndarray | None = None
    threshold: float | None = None
    histograms: dict[int, ScoreHistogram] = field(default_factory=dict)
    confidence: ScoreHistogram | None = None

    @property
    def n(self) -> int:
        return int(self.confusion.sum())

    @property
    def groupings(self) -> list[tuple[int, ...]]:
        """Each attribute, each pair when there are more than two, and the full intersection."""
        a = len(self.attributes)
        out = [(i,) for i in range(a)]
        if a > 2:
            out += list(combinations(range(a), 2))
        if a > 1:
            out.append(tuple(range(a)))
        return out

    def grouping_name(self, grouping: tuple[int, ...]) -> str:
        return " x ".join(self.attributes[i] for i in grouping)

    def cell_labels(self) -> list[tuple[str, ...]]:
        """Each cell's value of every attribute."""
        return [tuple(self.values[a][v] for a, v in enumerate(row)) for row in self.cells]

    def correctness(self) -> np.ndarray:
        """(S, 2) correct and wrong predictions per cell."""
        correct = np.trace(self.confusion, axis1=1, axis2=2)
        return np.stack([correct, self.confusion.sum(axis=(1, 2)) - correct], axis=1)

    def one_vs_rest(self, k: int) -> np.ndarray:
        """(S, 4) tp, fp, tn, fn per cell with class ``k`` as positive, from the predicted labels."""
        tp = self.confusion[:, k, k]
        fn = self.confusion[:, k, :].sum(axis=1) - tp
        fp = self.confusion[:, :, k].sum(axis=1) - tp
        tn = self.confusion.sum(axis=(1, 2)) - tp - fn - fp
        return np.stack([tp, fp, tn, fn], axis=1)

    def at_threshold(self, positive: int, threshold: float) -> tuple["CellCounts", int]:
        """These counts with ``positive`` decided by ``score >= threshold``, from its histogram.

        Returns the counts and the number of rows whose side of the threshold is unsure (their
        score bin straddles it; 0 when the split is exact). The confusion matrix, the other
        classes' histograms and the AUCs do not depend on the threshold.
        """
        histogram = self.histograms[positive]
        above, unsure = histogram.split(threshold)
        rows = histogram.counts.sum(axis=-1)
        tp, fp = above[:, 1], above[:, 0]
        binary = np.stack([tp, fp, rows[:, 0] - fp, rows[:, 1] - tp], axis=1)
        return replace(self, positive=positive, binary=binary, threshold=float(threshold)), unsure

    # --- storage -----------------------------------------------------------------------------

    def to_tables(self) -> dict[str, pd.DataFrame]:
        """The ``cell_counts`` and ``score_histograms`` tables (see the module docstring)."""
        labels = pd.DataFrame(self.cell_labels(), columns=self.attributes)
        names = np.asarray(self.classes, dtype=object)
        s, t, p = np.nonzero(self.confusion)
        cells = labels.iloc[s].reset_index(drop=True)
        cells["label"] = names[t]
        cells["prediction"] = names[p]
        cells["n"] = self.confusion[s, t, p].astype(np.int64)
        frames = []
        for k, histogram in sorted(self.histograms.items()):
            s, member, b = np.nonzero(histogram.counts)
            part = labels.iloc[s].reset_index(drop=True)
            part.insert(0, "score_of", self.classes[k])
            part["is_class"] = member.astype(bool)
            part["bin"] = b.astype(np.int64)
            part["n"] = histogram.counts[s, member, b].astype(np.int64)
            part["score_min"] = histogram.low[b]
            part["score_max"] = histogram.high[b]
            frames.append(part)
        columns = ["score_of", *self.attributes, "is_class", "bin", "n", "score_min", "score_max"]
        histograms = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
        return {"cell_counts": cells, "score_histograms": histograms}

    @classmethod
    def from_tables(cls, cell_counts: pd.DataFrame, score_histograms: pd.DataFrame | None, *,
                    attributes: list[str], classes: list[str], positive: str | None = None,
                    threshold: float | None = None) -> "CellCounts":
        """Counts from the ``cell_counts`` and ``score_histograms`` tables.

        ``classes`` fixes the class order; the binary table of ``positive`` comes from the
        predicted labels (for a scored predictions file the prediction is the decision at
        ``threshold``; `at_threshold` decides it again from the histograms).
        """
        cells, histograms = cell_counts, score_histograms
        classes = [str(c) for c in classes]
        values = [sorted(map(str, pd.unique(cells[a])), key=natural_order) for a in attributes]
        dims = [len(v) for v in values]
        flat = _flat_cells(cells, attributes, values, dims)
        present, cell_of_row = np.unique(flat, return_inverse=True)
        s, c = len(present), len(classes)
        class_index = pd.Index(classes)
        t = class_index.get_indexer(cells["label"].astype(str))
        p = class_index.get_indexer(cells["prediction"].astype(str))
        confusion = np.bincount((cell_of_row * c + t) * c + p,
                                weights=cells["n"].to_numpy(dtype=np.int64),
                                minlength=s * c * c).round().astype(np.int64).reshape(s, c, c)
        counts = cls(attributes=list(attributes), values=values,
                     cells=np.stack(np.unravel_index(present, dims), axis=1), classes=classes,
                     confusion=confusion,
                     threshold=None if threshold is None else float(threshold))
        if positive is not None:
            counts.positive = classes.index(str(positive))
            counts.binary = counts.one_vs_rest(counts.positive)
        if histograms is not None and len(histograms):
            cell = np.searchsorted(present, _flat_cells(histograms, attributes, values, dims))
            counts.histograms = _histograms_from_table(histograms, cell, s, classes)
        return counts


def _flat_cells(table: pd.DataFrame, attributes: list[str], values: list[list[str]],
                dims: list[int]) -> np.ndarray:
    """Each row's intersection cell as one integer."""
    codes = [pd.Index(v).get_indexer(table[a].astype(str)) for a, v in zip(attributes, values)]
    return np.ravel_multi_index(tuple(codes), dims)


def _histograms_from_table(table: pd.DataFrame, cell: np.ndarray, n_cells: int,
                          classes: list[str]) -> dict[int, ScoreHistogram]:
    bins = int(table["bin"].max()) + 1
    b = table["bin"].to_numpy(dtype=np.int64)
    member = table["is_class"].to_numpy(dtype=bool).astype(np.int64)
    n = table["n"].to_numpy(dtype=np.int64)
    out = {}
    for name, rows in table.groupby("score_of", sort=False).indices.items():
        hist = np.zeros((n_cells, 2, bins), dtype=np.int64)
        np.add.at(hist, (cell[rows], member[rows], b[rows]), n[rows])
        low = np.full(bins, np.nan)
        high = np.full(bins, np.nan)
        low[b[rows]] = table["score_min"].to_numpy(dtype=float)[rows]
        high[b[rows]] = table["score_max"].to_numpy(dtype=float)[rows]
        out[classes.index(str(name))] = ScoreHistogram(hist, low, high)
    return out


def count_cells(data: Prepared, score_bins: int = SCORE_BINS) -> CellCounts:
    """The counts of rows in memory: one ``bincount`` per table over (cell, class, ...) keys.

    The in-memory engine; `nnaudit.engines` runs the same aggregation as SQL where the data is.
    """
    dims = [len(v) for v in data.values]
    present, cell = np.unique(np.ravel_multi_index(tuple(data.codes.T), dims), return_inverse=True)
    s, c = len(present), len(data.classes)
    confusion = np.bincount((cell * c + data.y_true) * c + data.y_pred,
                            minlength=s * c * c).reshape(s, c, c)
    binary = None
    if data.positive is not None:
        codes = binary_codes(data.is_positive, data.predicted_positive)
        binary = np.bincount(cell * 4 + codes, minlength=s * 4).reshape(s, 4)
    if data.probabilities is not None:
        scored = {k: data.probabilities[:, k] for k in range(c)}
    elif data.positive_scores is not None:
        scored = {data.positive: data.positive_scores}
    else:
        scored = {}
    decided = data.positive is not None and data.positive_scores is not None
    confidence = None
    if data.probabilities is not None:
        top = data.probabilities[np.arange(len(data.y_pred)), data.y_pred]
        confidence = score_histogram(cell, s, data.y_pred == data.y_true, top, score_bins)
    return CellCounts(
        attributes=data.attributes, values=data.values,
        cells=np.stack(np.unravel_index(present, dims), axis=1), classes=data.classes,
        confusion=confusion, positive=data.positive, binary=binary,
        threshold=data.threshold if decided else None,
        histograms={k: score_histogram(cell, s, data.y_true == k, scores, score_bins)
                    for k, scores in scored.items()}, confidence=confidence)


def score_histogram(cell: np.ndarray, n_cells: int, member: np.ndarray, scores: np.ndarray,
                    bins: int = SCORE_BINS) -> ScoreHistogram:
    """One class's scores binned per cell and class membership (see `bin_scores`)."""
    scores = np.asarray(scores, dtype=np.float64)
    low_score, high_score = float(scores.min()), float(scores.max())
    b = bin_scores(scores, low_score, high_score - low_score, bins)
    counts = np.bincount((cell * 2 + member) * bins + b,
                         minlength=n_cells * 2 * bins).reshape(n_cells, 2, bins)
    low = np.full(bins, np.inf)
    high = np.full(bins, -np.inf)
    np.minimum.at(low, b, scores)
    np.maximum.at(high, b, scores)
    empty = counts.sum(axis=(0, 1)) == 0
    low[empty] = high[empty] = np.nan
    return ScoreHistogram(counts, low, high)


def bin_scores(scores: np.ndarray, low: float, width: float, bins: int) -> np.ndarray:
    """Bin index of each score: ``bins`` equal-width bins from ``low`` over ``width``.

    The SQL engines evaluate the same expression, in the same order, on the same doubles
    (`nnaudit.engines` writes it as ``LEAST(FLOOR((s - low) / width * bins), bins - 1)``), so
    every engine puts every score in the same bin.
    """
    if width <= 0:
        return np.zeros(len(scores), dtype=np.int64)
    return np.minimum(np.floor((scores - low) / width * bins), bins - 1).astype(np.int64)
