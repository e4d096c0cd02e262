"""How large a gap the audit could have seen: the minimum detectable difference.

"No significant disparity" is also what a small or noisy test set gives, so it is never said
without the smallest gap the tests had a fair chance to find. For a subgroup of n1 rows against
the other n2, a two-sided two-proportion test at level alpha detects a true gap d with power
1 - beta when d >= (z(1 - alpha/2) + z(1 - beta)) * sqrt(p(1-p)(1/n1 + 1/n2)) (the normal
approximation; e.g. Chow, Shao & Wang 2008, Sample Size Calculations in Clinical Research,
4.2). With m tests under Benjamini-Hochberg, a lone true gap is found only when its p-value is
below alpha/m, so the level used is alpha/m.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

POWER = 0.8


def detectable_difference(p: float, n1, n2, *, alpha: float, tests: int,
                          power: float = POWER) -> np.ndarray:
    """The smallest gap from a base rate ``p`` detectable between groups of n1 and n2 rows."""
    n1, n2 = np.asarray(n1, dtype=float), np.asarray(n2, dtype=float)
    z = norm.ppf(1 - alpha / (2 * max(tests, 1))) + norm.ppf(power)
    p = min(max(p, 0.5 / (n1.sum() + n2.sum())), 1 - 0.5 / (n1.sum() + n2.sum()))
    with np.errstate(divide="ignore"):
        return z * np.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
