"""Fairness intervals: the full subgroup table with a 1,000-resample stratified bootstrap.

Target (issue 9): 1,000 resamples over 1,000,000 rows and 8 intersections in under 2 s on CPU.
References: a plain loop of fairlearn MetricFrame calls on stratified row resamples, and
fairlearn's own MetricFrame(n_boot=...). Both cost seconds per resample at this size, so they
are timed over a few resamples and extrapolated to 1,000 (the output says so).

    python -m benchmarks.fairness_speed [--quick]
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

N_BOOT = 1000


def make_data(n: int, seed: int = 0):
    """Binary labels and predictions, three binary attributes (8 intersections), skewed sizes."""
    rng = np.random.default_rng(seed)
    groups = pd.DataFrame({"tone": rng.choice(["light", "dark"], n, p=[0.8, 0.2]),
                           "stroke": rng.choice(["thin", "thick"], n),
                           "age": rng.choice(["young", "old"], n, p=[0.6, 0.4])})
    y_true = rng.integers(0, 2, n)
    error = np.where(groups["tone"].to_numpy() == "dark", 0.2, 0.1)
    y_pred = np.where(rng.random(n) < error, 1 - y_true, y_true)
    return y_true, y_pred, groups


def reference_metrics():
    from fairlearn.metrics import (count, false_negative_rate, false_positive_rate,
                                   selection_rate, true_negative_rate, true_positive_rate)
    from sklearn.metrics import accuracy_score, precision_score

    return {"count": count, "selection_rate": selection_rate, "tpr": true_positive_rate,
            "fpr": false_positive_rate, "fnr": false_negative_rate, "tnr": true_negative_rate,
            "ppv": lambda t, p: precision_score(t, p, zero_division=np.nan),
            "accuracy": accuracy_score}


def reference_loop(y_true, y_pred, groups, iterations: int, seed: int = 0) -> float:
    """Seconds per resample of a plain loop: resample rows within each intersection, then one
    MetricFrame over the intersection of all attributes."""
    from fairlearn.metrics import MetricFrame

    rng = np.random.default_rng(seed)
    strata = groups.groupby(list(groups.columns)).indices.values()
    metrics = reference_metrics()
    start = time.perf_counter()
    for _ in range(iterations):
        rows = np.concatenate([rng.choice(idx, len(idx)) for idx in strata])
        MetricFrame(metrics=metrics, y_true=y_true[rows], y_pred=y_pred[rows],
                    sensitive_features=groups.iloc[rows].reset_index(drop=True))
    return (time.perf_counter() - start) / iterations


def fairlearn_bootstrap(y_true, y_pred, groups, n_boot: int) -> float:
    """Seconds per resample of MetricFrame(n_boot=...) (fairlearn's unstratified bootstrap)."""
    from fairlearn.metrics import MetricFrame

    start = time.perf_counter()
    MetricFrame(metrics=reference_metrics(), y_true=y_true, y_pred=y_pred,
                sensitive_features=groups, n_boot=n_boot, ci_quantiles=[0.025, 0.975],
                random_state=0)
    return (time.perf_counter() - start) / n_boot


def main(quick: bool = False) -> list[dict]:
    from nnaudit.fairness import subgroup_table

    n = 100_000 if quick else 1_000_000
    reference_iterations = 2 if quick else 3
    y_true, y_pred, groups = make_data(n)
    subgroup_table(y_true[:1000], y_pred[:1000], groups.iloc[:1000], n_boot=10)  # warm imports
    times = []
    for _ in range(3):
        start = time.perf_counter()
        tables = subgroup_table(y_true, y_pred, groups, n_boot=N_BOOT, seed=0)
        times.append(time.perf_counter() - start)
    ours = min(times)
    loop = reference_loop(y_true, y_pred, groups, reference_iterations) * N_BOOT
    by_group = tables["by_group"]
    cells = int((by_group["attribute"] == "tone x stroke x age").sum())
    rows = [{"case": f"table + {N_BOOT} stratified resamples, {n:,} rows, {cells} intersections",
             "nnaudit": round(ours, 3), "reference": round(loop, 1), "ratio": round(loop / ours),
             "reference_kind": f"MetricFrame loop, {reference_iterations} resamples timed, "
                               f"extrapolated to {N_BOOT}"}]
    try:
        builtin = fairlearn_bootstrap(y_true, y_pred, groups, reference_iterations) * N_BOOT
        rows.append({"case": f"same, against fairlearn MetricFrame(n_boot={N_BOOT})",
                     "nnaudit": round(ours, 3), "reference": round(builtin, 1),
                     "ratio": round(builtin / ours),
                     "reference_kind": f"n_boot={reference_iterations} timed, extrapolated to {N_BOOT}"})
    except TypeError:  # fairlearn before 0.11 has no n_boot
        pass
    for row in rows:
        print(f"{row['case']}: nnaudit {row['nnaudit']} s, reference {row['reference']} s "
              f"({row['reference_kind']}), ratio {row['ratio']}x")
    return rows


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
