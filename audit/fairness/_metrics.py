"""Subgroup rates from confusion counts, and the per-subgroup AUC.

Every rate of the table is a ratio of sums of confusion cells, so a subgroup's confusion counts
are a sufficient statistic for all of them: the point estimates, the Wilson intervals, the
significance tests and the bootstrap all work from counts, never from rows again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

Cells = tuple[str, ...]


@dataclass(frozen=True)
class RateSet:
    """The confusion cells of a task and the rates defined on them.

    rates:        name -> (numerator cells, denominator cells or None for all rows).
    tested:       rates tested subgroup-vs-rest (one per pair of complementary rates).
    complement:   rate -> the tested rate whose test answers for it (accuracy -> error_rate).
    higher_is_better: rates where the best subgroup is the highest (the others: the lowest).
    """

    cells: Cells
    rates: dict[str, tuple[Cells, Cells | None]]
    tested: tuple[str, ...]
    complement: dict[str, str]
    higher_is_better: frozenset[str]

    def num_den(self, counts: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Numerator and denominator of every rate; ``counts`` has the cells on its last axis."""
        index = {c: i for i, c in enumerate(self.cells)}
        total = counts.sum(axis=-1)
        out = {}
        for name, (num_cells, den_cells) in self.rates.items():
            num = counts[..., [index[c] for c in num_cells]].sum(axis=-1)
            den = total if den_cells is None else counts[..., [index[c] for c in den_cells]].sum(axis=-1)
            out[name] = (num, den)
        return out

    def rates_from_counts(self, counts: np.ndarray) -> dict[str, np.ndarray]:
        """Every rate; NaN where its denominator is 0 (undefined, never 0)."""
        return {name: safe_divide(num, den) for name, (num, den) in self.num_den(counts).items()}

    def test_of(self, rate: str) -> str | None:
        return rate if rate in self.tested else self.complement.get(rate)


def safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.full(np.broadcast(num, den).shape, np.nan), where=den > 0)


# Row code of a binary prediction: index into BINARY.cells.
TP, FP, TN, FN = 0, 1, 2, 3

BINARY = RateSet(
    cells=("tp", "fp", "tn", "fn"),
    rates={
        "base_rate": (("tp", "fn"), None),
        "selection_rate": (("tp", "fp"), None),
        "ppv": (("tp",), ("tp", "fp")),
        "npv": (("tn",), ("tn", "fn")),
        "tpr": (("tp",), ("tp", "fn")),
        "fpr": (("fp",), ("fp", "tn")),
        "fnr": (("fn",), ("tp", "fn")),
        "tnr": (("tn",), ("fp", "tn")),
        "accuracy": (("tp", "tn"), None),
        "error_rate": (("fp", "fn"), None),
    },
    tested=("selection_rate", "ppv", "npv", "tpr", "fpr", "error_rate"),
    complement={"fnr": "tpr", "tnr": "fpr", "accuracy": "error_rate"},
    # selection rate: the lowest counts as worst (the disparate-impact convention, where being
    # selected is the favourable outcome); base rate describes the data, not the model.
    higher_is_better=frozenset({"selection_rate", "ppv", "npv", "tpr", "tnr", "accuracy"}),
)

# Multi-class without a chosen positive class: a prediction is right or wrong.
CORRECT, WRONG = 0, 1
CORRECTNESS = RateSet(
    cells=("correct", "wrong"),
    rates={"accuracy": (("correct",), None), "error_rate": (("wrong",), None)},
    tested=("error_rate",),
    complement={"accuracy": "error_rate"},
    higher_is_better=frozenset({"accuracy"}),
)

# Rates compared best-vs-worst in the disparity table (base rate is a property of the data).
def disparity_rates(rate_set: RateSet) -> list[str]:
    return [r for r in rate_set.rates if r != "base_rate"]


def binary_codes(y_true_positive: np.ndarray, y_pred_positive: np.ndarray) -> np.ndarray:
    """Row code TP/FP/TN/FN from two boolean arrays."""
    return np.where(y_pred_positive, np.where(y_true_positive, TP, FP),
                    np.where(y_true_positive, FN, TN)).astype(np.int64)


def histogram_auc(positives: np.ndarray, negatives: np.ndarray, mixed: np.ndarray,
                  confidence: float = 0.95) -> tuple[float, float, float, float]:
    """AUC with its DeLong interval from score histograms, and the most binning can move it.

    ``positives``, ``negatives``: (B,) rows per score bin, bins in score order; ``mixed``: (B,)
    bins that hold more than one score value. DeLong, DeLong & Clarke-Pearson (1988), Biometrics
    44(3): the AUC is the mean of the positives' placement values among the negatives, and its
    variance follows from theirs and the negatives'. Pairs in one bin count one half, as ties do
    in sklearn's ``roc_auc_score``: exact when no bin is mixed. In a mixed bin a pair's true
    contribution lies between 0 and 1, so the AUC is off by at most half the share of
    positive-negative pairs that share a mixed bin (the fourth value, 0 when exact).
    Returns NaNs when the group lacks positives or negatives.
    """
    pos = np.asarray(positives, dtype=float)
    neg = np.asarray(negatives, dtype=float)
    n1, n0 = pos.sum(), neg.sum()
    if n1 == 0 or n0 == 0:
        return (np.nan, np.nan, np.nan, np.nan)
    # placement of a positive among the negatives, and of a negative among the positives
    v10 = (np.cumsum(neg) - neg / 2) / n0
    v01 = (n1 - np.cumsum(pos) + pos / 2) / n1
    auc = float(pos @ v10 / n1)
    var = ((pos @ (v10 - auc) ** 2) / (n1 - 1) / n1 if n1 > 1 else 0.0) + \
          ((neg @ (v01 - auc) ** 2) / (n0 - 1) / n0 if n0 > 1 else 0.0)
    half = norm.ppf(0.5 + confidence / 2) * np.sqrt(var)
    max_error = float(0.5 * (pos[mixed] @ neg[mixed]) / (n1 * n0))
    return (auc, float(max(0.0, auc - half)), float(min(1.0, auc + half)), max_error)
