"""Confidence intervals: exact-ish ones for proportions, a stratified bootstrap for the rest."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import beta, norm


def proportion_interval(k, n, *, method: str = "wilson",
                        confidence: float = 0.95) -> tuple:
    """Interval for a binomial proportion k/n, vectorized; NaN where n is 0.

    Arrays in, arrays out; scalars in, floats out (a 0-d array is no number to pytest.approx,
    JSON or a format string).

    ``wilson``: Wilson (1927), JASA 22(158), the score interval; good coverage down to small n.
    ``clopper-pearson``: Clopper & Pearson (1934), Biometrika 26(4); exact, conservative.
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    alpha = 1 - confidence
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "wilson":
            z = norm.ppf(1 - alpha / 2)
            p = k / n
            center = (p + z * z / (2 * n)) / (1 + z * z / n)
            half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
            low, high = center - half, center + half
        elif method == "clopper-pearson":
            low = np.where(k > 0, beta.ppf(alpha / 2, k, n - k + 1), 0.0)
            high = np.where(k < n, beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
        else:
            raise ValueError(f"unknown interval method {method!r}: use 'wilson' or 'clopper-pearson'")
    undefined = ~(n > 0)
    low = np.where(undefined, np.nan, np.clip(low, 0, 1))
    high = np.where(undefined, np.nan, np.clip(high, 0, 1))
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def stratified_bootstrap(cell_counts: np.ndarray, n_boot: int,
                         rng: np.random.Generator) -> np.ndarray:
    """Bootstrap confusion counts, resampling rows within each stratum.

    ``cell_counts`` is (strata, cells): the confusion counts of each stratum (each intersection
    of all sensitive attributes). Resampling a stratum's n rows with replacement and counting
    its confusion cells is exactly one multinomial draw of n over the cells with the observed
    proportions, so the whole bootstrap is one (n_boot, strata, cells) multinomial draw,
    whatever the number of rows. Each stratum keeps its size in every resample, so no subgroup
    ever vanishes (Efron & Tibshirani 1993, An Introduction to the Bootstrap, ch. 8).
    """
    counts = np.asarray(cell_counts, dtype=np.int64)
    n = counts.sum(axis=1)
    return rng.multinomial(n, counts / n[:, None], size=(n_boot, len(n)))


def percentile_interval(samples: np.ndarray, confidence: float = 0.95,
                        axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval, ignoring resamples where the statistic is undefined.

    The order-statistic rule (no interpolation) keeps infinite ratios meaningful.
    """
    alpha = 1 - confidence
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN
        low, high = np.nanquantile(samples, [alpha / 2, 1 - alpha / 2], axis=axis,
                                   method="inverted_cdf")
    return low, high
