"""Macro-averaged one-vs-rest rates of a multi-class model, per subgroup, with intervals.

A multi-class model has no single PPV, TPR or FPR: each class, taken as the positive one
against the rest, has its own. Their unweighted mean over the classes (the macro average,
scikit-learn's ``average="macro"``) is the one number per subgroup that a table laid out like
Gender Shades (Buolamwini & Gebru 2018) can show. A class whose rate is undefined in a
subgroup (no row of it there, or never predicted) is left out of that subgroup's mean rather
than counted as 0. Intervals are percentile intervals of the stratified bootstrap of the
confusion matrices of the intersection cells (`stratified_bootstrap`), as the disparities'.
"""

from __future__ import annotations

import warnings

import numpy as np

from nnaudit.stats import percentile_interval, stratified_bootstrap

MACRO_RATES = ("ppv", "tpr", "fpr")
# Resamples drawn at once: bounds the memory to (chunk, cells, classes²) counts.
BOOTSTRAP_CHUNK = 100


def macro_rates(confusion: np.ndarray) -> dict[str, np.ndarray]:
    """Macro PPV, TPR and FPR of confusion matrices (..., C, C): true class, predicted class."""
    tp = np.diagonal(confusion, axis1=-2, axis2=-1).astype(float)
    fn = confusion.sum(axis=-1) - tp
    fp = confusion.sum(axis=-2) - tp
    tn = confusion.sum(axis=(-2, -1))[..., None] - tp - fn - fp
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a subgroup with no defined class: NaN
        return {"ppv": np.nanmean(tp / (tp + fp), axis=-1),
                "tpr": np.nanmean(tp / (tp + fn), axis=-1),
                "fpr": np.nanmean(fp / (fp + tn), axis=-1)}


def macro_columns(confusion: np.ndarray, membership: np.ndarray, n_boot: int,
                  rng: np.random.Generator, confidence: float) -> dict[str, np.ndarray]:
    """``macro_<rate>`` and its ``_low``/``_high`` columns for groups of intersection cells.

    confusion:  (S, C, C) rows per intersection cell, true and predicted class.
    membership: (S, G) 1 where cell s belongs to group g (a grouping's groups, or one column of
        ones for everyone).
    """
    groups = np.einsum("sij,sg->gij", confusion, membership)
    columns = {f"macro_{name}": value for name, value in macro_rates(groups).items()}
    samples: dict[str, list[np.ndarray]] = {name: [] for name in MACRO_RATES}
    flat = confusion.reshape(len(confusion), -1)
    for start in range(0, n_boot, BOOTSTRAP_CHUNK):
        size = min(BOOTSTRAP_CHUNK, n_boot - start)
        boot = stratified_bootstrap(flat, size, rng).reshape(size, *confusion.shape)
        for name, value in macro_rates(np.einsum("bsij,sg->bgij", boot, membership)).items():
            samples[name].append(value)
    for name in MACRO_RATES:
        low, high = (percentile_interval(np.concatenate(samples[name]), confidence)
                     if n_boot > 0 else (np.full(len(groups), np.nan),) * 2)
        columns[f"macro_{name}_low"], columns[f"macro_{name}_high"] = low, high
    return columns
