"""Interval methods: a known Wilson value, and coverage on simulated data."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from nnaudit.fairness import percentile_interval, proportion_interval, stratified_bootstrap, subgroup_table


def test_wilson_known_values():
    # 0 of 10: the Wilson upper bound has the closed form z^2 / (n + z^2)
    z2 = 1.959963984540054 ** 2
    low, high = proportion_interval(0, 10)
    assert low == 0 and high == pytest.approx(z2 / (10 + z2))
    reference = binomtest(81, 263).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = proportion_interval(81, 263)
    assert (low, high) == pytest.approx((reference.low, reference.high))
    exact = binomtest(3, 17).proportion_ci(method="exact")
    assert proportion_interval(3, 17, method="clopper-pearson") == pytest.approx((exact.low, exact.high))
    low, high = proportion_interval(np.array([1, 0]), np.array([4, 0]))
    assert np.isnan(low[1]) and np.isnan(high[1]) and 0 < low[0] < 0.25 < high[0]


def test_wilson_coverage_near_95_percent():
    rng = np.random.default_rng(0)
    covered = []
    for p, n in ((0.05, 200), (0.2, 60), (0.5, 30)):
        k = rng.binomial(n, p, size=4000)
        low, high = proportion_interval(k, np.full_like(k, n))
        covered.append(np.mean((low <= p) & (p <= high)))
    assert all(0.925 <= c <= 0.975 for c in covered), covered


def test_stratified_bootstrap_keeps_group_sizes():
    counts = np.array([[5, 1, 3, 1], [0, 2, 0, 1]])
    boot = stratified_bootstrap(counts, 500, np.random.default_rng(0))
    assert boot.shape == (500, 2, 4)
    assert (boot.sum(axis=2) == counts.sum(axis=1)).all()      # no stratum vanishes or grows
    assert (boot[:, 1, [0, 2]] == 0).all()                     # empty cells stay empty
    assert boot[:, 0, 0].mean() == pytest.approx(5, abs=0.2)


def test_bootstrap_gap_interval_coverage():
    """Difference of error rates between two groups: about 95% of intervals hold the truth."""
    rng = np.random.default_rng(1)
    true_gap, hits, reps = 0.2 - 0.1, 0, 1000
    for _ in range(reps):
        errors = rng.binomial([150, 400], [0.2, 0.1])
        counts = np.stack([errors, [150, 400] - errors], axis=1)     # (wrong, right) per group
        boot = stratified_bootstrap(counts, 1000, rng)
        rates = boot[:, :, 0] / boot.sum(axis=2)
        low, high = percentile_interval(rates[:, 0] - rates[:, 1])
        hits += low <= true_gap <= high
    assert 0.92 <= hits / reps <= 0.97   # percentile bootstrap: about 0.94 here


@pytest.mark.slow
def test_table_gap_interval_covers_simulated_truth():
    rng = np.random.default_rng(2)
    hits, reps = 0, 30
    for seed in range(reps):
        n = 1200
        groups = pd.DataFrame({"g": rng.choice(["a", "b"], n, p=[0.25, 0.75])})
        y = rng.integers(0, 2, n)
        error = np.where(groups["g"] == "a", 0.25, 0.1)
        y_pred = np.where(rng.random(n) < error, 1 - y, y)
        disparity = subgroup_table(y, y_pred, groups, n_boot=300, seed=seed)["disparity"]
        row = disparity[disparity["metric"] == "error_rate"].iloc[0]
        assert row["worst_group"] == "a"
        hits += row["difference_low"] <= 0.15 <= row["difference_high"]
    assert hits / reps >= 0.8
