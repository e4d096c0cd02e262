"""Is a subgroup's rate different from the rest's? Tests and the multiple-testing correction."""

from __future__ import annotations

import numpy as np
from scipy.stats import false_discovery_control, fisher_exact, norm

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
