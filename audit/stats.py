"""Statistics shared by the audits: confidence intervals and tests of two proportions.

Intervals: exact-ish ones for proportions (Wilson, Clopper-Pearson, ...), a stratified bootstrap
for the rest. Tests: is a subgroup's rate different from the rest's (two proportions; Fisher's
exact test for small cells), with the Benjamini-Hochberg correction for many tests. The
fairness and robustness tables and the mitigation comparison use them; this module imports
numpy and scipy only.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import beta, false_discovery_control, fisher_exact, norm


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


# --- tests of two proportions ---------------------------------------------------------------

# Below this expected cell count the normal approximation is poor: use Fisher's exact test.
MIN_EXPECTED = 5


def two_proportion_test(k1, n1, k2, n2) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided p-values for k1/n1 vs k2/n2, vectorized, with the test used per pair.

    The pooled two-proportion z-test when every expected cell count is at least 5, Fisher's
    exact test otherwise (Fisher 1922, JRSS 85(1)). NaN where either proportion is undefined.
    """
    k1, n1, k2, n2 = (np.asarray(a, dtype=float) for a in (k1, n1, k2, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (k1 + k2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (k1 / n1 - k2 / n2) / se
        p = np.where(se > 0, 2 * norm.sf(np.abs(z)), 1.0)
        expected = np.minimum(np.minimum(n1, n2) * pooled, np.minimum(n1, n2) * (1 - pooled))
    defined = (n1 > 0) & (n2 > 0)
    small = defined & (expected < MIN_EXPECTED) & (se > 0)
    for i in np.flatnonzero(small):
        table = [[k1.flat[i], n1.flat[i] - k1.flat[i]], [k2.flat[i], n2.flat[i] - k2.flat[i]]]
        p.flat[i] = fisher_exact(table).pvalue
    p = np.where(defined, p, np.nan)
    test = np.where(~defined, "undefined", np.where(small, "fisher", "z"))
    return p, test


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """BH-adjusted p-values (Benjamini & Hochberg 1995, JRSS B 57(1)); NaN stays NaN."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p, np.nan)
    defined = ~np.isnan(p)
    if defined.any():
        adjusted[defined] = false_discovery_control(p[defined], method="bh")
    return adjusted
