"""Before and after: the same evaluation rows decided by the base model and by each remedy.

Both decisions are known for every evaluation row, so the comparison is paired: each row falls
in one cell of (its intersection of the sensitive attributes, its confusion cell before, its
confusion cell after), and the stratified bootstrap of the fairness audit
(`nnaudit.fairness.stratified_bootstrap`) resamples those joint counts within each
intersection. Every gap before, after, and its change is computed on the same resample, so the
interval of a change is that of the difference, not of two independent estimates.

A gap is the widest difference of a rate between the subgroups of a grouping (fairlearn's
``MetricFrame.difference()``, ``between_groups``), over the subgroups with at least
``min_group_size`` rows whose rate is defined before and after.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nnaudit.fairness import (BINARY, CONFIDENCE, CORRECTNESS, binary_codes, count_cells,
                              prepare, subgroup_table)
from nnaudit.fairness import grouping as grouping_counts
from nnaudit.stats import percentile_interval, stratified_bootstrap
from nnaudit.results import Finding

# Rates whose gaps are compared (accuracy's gap is the error rate's; base rate is the data's).
BINARY_GAPS = ("error_rate", "selection_rate", "tpr", "fpr", "fnr", "tnr", "ppv", "npv")
MULTICLASS_GAPS = ("error_rate",)


@dataclass
class DecisionSpace:
    """The decisions compared, made as the fairness audit makes them.

    ``classes``: class names of the decisions; ``positive``: index of the positive class, or
    None (multi-class: right or wrong); ``threshold``: the positive class's score from which
    a decision is positive. A multi-class model with a chosen positive class is compared on
    the binary decision "positive or not" (``folded``), as the fairness audit's binary table
    is; ``source_positive`` is then the positive class's index among the model's classes.
    """

    classes: list[str]
    positive: int | None = None
    threshold: float = 0.5
    source_positive: int | None = None
    folded: bool = False

    @classmethod
    def of(cls, classes: list[str], positive: str | None, threshold: float) -> "DecisionSpace":
        """The space of a model with ``classes``: binary when it has two classes or a
        ``positive`` one."""
        classes = [str(c) for c in classes]
        if positive is None and len(classes) == 2:
            positive = classes[1]
        if positive is None:
            return cls(classes)
        k = classes.index(str(positive))
        if len(classes) == 2:
            return cls(classes, k, float(threshold), k)
        return cls([f"not {positive}", str(positive)], 1, float(threshold), k, folded=True)

    @property
    def binary(self) -> bool:
        return self.positive is not None

    @property
    def positive_name(self) -> str | None:
        """The positive class by name (the fairness audit's ``positive``), or None."""
        return self.classes[self.positive] if self.binary else None

    def labels(self, y: np.ndarray) -> np.ndarray:
        """The model's class indices as class indices of this space."""
        y = np.asarray(y, dtype=np.int64)
        return (y == self.source_positive).astype(np.int64) if self.folded else y

    def decide(self, probs: np.ndarray) -> np.ndarray:
        """Decisions from (N, C) class probabilities: the argmax, or the positive class's
        score against the threshold."""
        probs = np.asarray(probs)
        if not self.binary:
            return probs.argmax(axis=1)
        return self.from_positive(probs[:, self.source_positive] >= self.threshold)

    def from_positive(self, positive: np.ndarray) -> np.ndarray:
        """Class indices from positive decisions (bool)."""
        return np.where(positive, self.positive, 1 - self.positive).astype(np.int64)


@dataclass
class Remedy:
    """One remedy's decisions on the evaluation rows, and what it cost.

    method: threshold, resample or reweight; label: how tables and findings name it
    ("threshold (equalized_odds)"); decisions: (N,) class indices of the `DecisionSpace`;
    targets: the rates it sets out to equalize; fitted_on: the rows it learned from, in words;
    extra_kwh: the energy of its own training or fitting (None when not measured) and
    energy_label its `nnaudit.energy` label; seconds: its wall time; thresholds: the group
    rules of a threshold remedy; notes: findings of its own (how it was fitted, ...).
    """

    method: str
    label: str
    decisions: np.ndarray
    targets: tuple[str, ...]
    fitted_on: str
    constraint: str | None = None
    extra_kwh: float | None = None
    energy_label: str = "missing"
    seconds: float = 0.0
    thresholds: pd.DataFrame | None = None
    notes: list[Finding] = field(default_factory=list)


@dataclass
class PairedGaps:
    """One remedy against the base model: the gap rows (``GAP_COLUMNS`` and ``significant``),
    the accuracy before, after and its change with intervals, and the sensitive attributes of
    each grouping named in ``gaps``."""

    gaps: pd.DataFrame
    accuracy: dict[str, float]
    groupings: dict[str, tuple[str, ...]]


def paired_gaps(y_true: np.ndarray, before: np.ndarray, after: np.ndarray, groups: pd.DataFrame,
                space: DecisionSpace, *, min_group_size: int, n_boot: int, seed: int,
                targets: tuple[str, ...] = ()) -> PairedGaps:
    """Every grouping's rate gaps before and after, their change, and the accuracy change,
    each with its paired percentile-bootstrap interval (see the module docstring)."""
    rate_set = BINARY if space.binary else CORRECTNESS
    rows_before = prepare(y_true, before, groups, classes=space.classes,
                          positive=space.positive_name)
    rows_after = prepare(y_true, after, groups, classes=space.classes,
                         positive=space.positive_name)
    k = len(rate_set.cells)
    code_before, code_after = (_cell_codes(rows, space) for rows in (rows_before, rows_after))
    counts = count_cells(rows_before)
    dims = [len(v) for v in rows_before.values]
    _, cell = np.unique(np.ravel_multi_index(tuple(rows_before.codes.T), dims),
                        return_inverse=True)
    joint = np.bincount((cell * k + code_before) * k + code_after,
                        minlength=len(counts.cells) * k * k).reshape(-1, k * k)
    rng = np.random.default_rng(seed)
    # sample 0 is the data itself, the others its bootstrap resamples
    samples = np.concatenate([joint[None], stratified_bootstrap(joint, n_boot, rng)]) \
        if n_boot > 0 else joint[None]

    def rates(summed: np.ndarray) -> tuple[dict, dict]:
        """Rates before and after from joint counts (..., k * k)."""
        square = summed.reshape(*summed.shape[:-1], k, k)
        return (rate_set.rates_from_counts(square.sum(axis=-1)),
                rate_set.rates_from_counts(square.sum(axis=-2)))

    overall_before, overall_after = rates(samples.sum(axis=1))
    accuracy = _with_interval("accuracy_before", overall_before["accuracy"])
    accuracy |= _with_interval("accuracy_after", overall_after["accuracy"])
    accuracy |= _with_interval("accuracy_change",
                               overall_after["accuracy"] - overall_before["accuracy"])

    metrics = BINARY_GAPS if space.binary else MULTICLASS_GAPS
    rows, groupings = [], {}
    for attributes in counts.groupings:
        grouping = grouping_counts(counts, joint, attributes)
        groupings[grouping.name] = tuple(counts.attributes[a] for a in attributes)
        member = np.zeros((len(grouping.cell_group), len(grouping.labels)))
        member[np.arange(len(grouping.cell_group)), grouping.cell_group] = 1
        by_group_before, by_group_after = rates(np.einsum("bsk,sg->bgk", samples, member))
        sizes = grouping.counts.sum(axis=1)
        for metric in metrics:
            rate_before, rate_after = by_group_before[metric], by_group_after[metric]
            eligible = (sizes >= min_group_size) & ~np.isnan(rate_before[0]) \
                & ~np.isnan(rate_after[0])
            if eligible.sum() < 2:
                continue
            labels = np.asarray(grouping.labels, dtype=object)[eligible]
            gap_before = _spread(rate_before[:, eligible])
            gap_after = _spread(rate_after[:, eligible])
            rows.append({
                "attribute": grouping.name, "metric": metric, "targeted": metric in targets,
                "groups": int(eligible.sum()),
                "highest_before": labels[np.argmax(rate_before[0, eligible])],
                "lowest_before": labels[np.argmin(rate_before[0, eligible])],
                "highest_after": labels[np.argmax(rate_after[0, eligible])],
                "lowest_after": labels[np.argmin(rate_after[0, eligible])],
                **_with_interval("before", gap_before), **_with_interval("after", gap_after),
                **_with_interval("change", gap_after - gap_before)})
    gaps = pd.DataFrame(rows, columns=GAP_COLUMNS)
    gaps["significant"] = (gaps["change_high"] < 0) | (gaps["change_low"] > 0)
    return PairedGaps(gaps, accuracy, groupings)


GAP_COLUMNS = ["attribute", "metric", "targeted", "groups", "highest_before", "lowest_before",
               "highest_after", "lowest_after", "before", "before_low", "before_high", "after",
               "after_low", "after_high", "change", "change_low", "change_high"]


def _cell_codes(rows, space: DecisionSpace) -> np.ndarray:
    """Each row's confusion cell: tp, fp, tn, fn (binary) or correct, wrong."""
    if space.binary:
        return binary_codes(rows.is_positive, rows.predicted_positive)
    return (rows.y_pred != rows.y_true).astype(np.int64)


def _spread(rates: np.ndarray) -> np.ndarray:
    """Highest minus lowest rate of each sample (a resample may leave a rate undefined)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmax(rates, axis=1) - np.nanmin(rates, axis=1)


def _with_interval(name: str, samples: np.ndarray) -> dict[str, float]:
    """The point estimate (sample 0) and the percentile interval of the resamples."""
    low, high = (percentile_interval(samples[1:], CONFIDENCE) if len(samples) > 1
                 else (np.nan, np.nan))
    return {name: float(samples[0]), f"{name}_low": float(low), f"{name}_high": float(high)}


def by_group_rates(y_true: np.ndarray, decisions: np.ndarray, groups: pd.DataFrame,
                   space: DecisionSpace, *, min_group_size: int) -> pd.DataFrame:
    """The fairness audit's ``by_group`` table (every rate with its Wilson interval) of
    ``decisions``, without its subgroup-against-the-rest flag."""
    table = subgroup_table(y_true, decisions, groups, classes=space.classes,
                           positive=space.positive_name, min_group_size=min_group_size,
                           n_boot=0)["by_group"]
    return table.drop(columns=["significant"])
