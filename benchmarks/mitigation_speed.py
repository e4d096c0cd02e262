"""Mitigation: the group-balanced draw, the paired before/after bootstrap, fitting thresholds.

- Balanced draw: one epoch of (x, y) batches drawn so each group comes up equally often.
  nnaudit draws the epoch's indices with one `torch.multinomial` on the device and slices
  resident tensors; the reference is the tutorials' way, a DataLoader over a TensorDataset
  with a `WeightedRandomSampler` and a `.to(device)` per batch. The training epoch with and
  without the balanced draw is timed too (the remedy's overhead).
- Paired comparison: gaps of every rate before and after, with 1,000 paired resamples,
  against a loop that resamples rows (both decisions together) and calls fairlearn's
  MetricFrame twice per resample (timed on a few resamples and extrapolated; said so).
- Fitting thresholds: fairlearn's ThresholdOptimizer on precomputed scores (absolute time).

    PYTHONPATH=. python -m benchmarks.mitigation_speed [--quick]
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler

from benchmarks.common import run_standalone, synchronize, timeit_cuda_aware

N_BOOT = 1000
REFERENCE_RESAMPLES = 3


def _device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def balanced_draw(n: int, batch: int, device: torch.device) -> list[dict]:
    """Seconds per epoch of balanced batches: nnaudit's device draw against the DataLoader's."""
    from nnaudit.train._batches import batch_source
    from nnaudit.train._loop import _balanced_draw

    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (n,), generator=g)
    groups = (torch.rand(n, generator=g) < 0.05).long()  # 5 % rare group
    weights = _balanced_draw(groups, n)
    split = type("Split", (), {"x": x, "y": y, "stream": None})()
    source = batch_source(split, device, draw_weights=weights)
    order = torch.Generator(device=source.order_device).manual_seed(0)

    def ours():
        for _xb, _yb, _ in source.train_batches(batch, order):
            pass
        synchronize(device)

    loader = DataLoader(TensorDataset(x, y), batch_size=batch, drop_last=True,
                        sampler=WeightedRandomSampler(weights, n, replacement=True,
                                                      generator=torch.Generator().manual_seed(0)))

    def reference():
        for xb, yb in loader:
            xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
        synchronize(device)

    mine, theirs = timeit_cuda_aware(ours, device=device), timeit_cuda_aware(reference,
                                                                            device=device)
    return [{"case": f"balanced batches, one epoch of {n:,} images, batch {batch}",
             "nnaudit": f"{mine['median_s']:.3f} s", "reference": f"{theirs['median_s']:.3f} s",
             "ratio": f"{theirs['median_s'] / mine['median_s']:.1f}x"}]


def remedy_overhead(n: int, epochs: int, device: torch.device) -> list[dict]:
    """LeNet-5 training time with the balanced draw or loss weights against plain training."""
    from nnaudit.models import get_model
    from nnaudit.train import TrainConfig, train_model

    g = torch.Generator().manual_seed(0)
    split = type("Split", (), {"x": torch.rand(n, 1, 28, 28, generator=g),
                               "y": torch.randint(0, 10, (n,), generator=g), "stream": None})()
    groups = (torch.rand(n, generator=g) < 0.05).long()
    config = TrainConfig(epochs=epochs, schedule="none")

    def train(**remedy) -> float:
        torch.manual_seed(0)
        model = get_model("lenet5", (1, 28, 28), 10)
        start = time.perf_counter()
        train_model(model, split, None, config, device, **remedy)
        return time.perf_counter() - start

    plain = train(), train()
    rows = []
    for name, remedy in (("resample (balanced draw)", {"balance_groups": groups}),
                         ("reweight (loss weights)",
                          {"sample_weights": torch.where(groups == 1, 10.0, 0.5)})):
        seconds = min(train(**remedy), train(**remedy))
        rows.append({"case": f"LeNet-5 training, {n:,} images x {epochs} epochs: {name} "
                             "against plain", "nnaudit": f"{seconds:.2f} s",
                     "reference": f"{min(plain):.2f} s",
                     "ratio": f"{min(plain) / seconds:.2f}x"})
    return rows


def paired(n: int) -> list[dict]:
    """The paired comparison of every rate's gaps against MetricFrame on resampled rows."""
    from fairlearn.metrics import (MetricFrame, false_positive_rate, selection_rate,
                                   true_positive_rate)

    from nnaudit.mitigation import DecisionSpace, paired_gaps

    rng = np.random.default_rng(0)
    groups = pd.DataFrame({"tone": rng.choice(["light", "dark"], n, p=[0.8, 0.2]),
                           "stroke": rng.choice(["thin", "thick"], n),
                           "age": rng.choice(["young", "old"], n, p=[0.6, 0.4])})
    y = rng.integers(0, 2, n)
    before = np.where(rng.random(n) < np.where(groups["tone"] == "dark", 0.2, 0.1), 1 - y, y)
    after = np.where(rng.random(n) < 0.12, 1 - y, y)
    space = DecisionSpace.of(["no", "yes"], None, 0.5)
    start = time.perf_counter()
    paired_gaps(y, before, after, groups, space, min_group_size=30, n_boot=N_BOOT, seed=0)
    mine = time.perf_counter() - start

    metrics = {"selection_rate": selection_rate, "tpr": true_positive_rate,
               "fpr": false_positive_rate}
    strata = groups.groupby(list(groups.columns)).indices.values()
    start = time.perf_counter()
    for _ in range(REFERENCE_RESAMPLES):
        rows = np.concatenate([rng.choice(idx, len(idx)) for idx in strata])
        for decided in (before, after):
            MetricFrame(metrics=metrics, y_true=y[rows], y_pred=decided[rows],
                        sensitive_features=groups["tone"].to_numpy()[rows]).difference()
    theirs = (time.perf_counter() - start) / REFERENCE_RESAMPLES * N_BOOT
    return [{"case": f"paired gaps, {N_BOOT:,} resamples, {n:,} rows, 8 intersections",
             "nnaudit": f"{mine:.2f} s", "reference": f"{theirs:,.0f} s (extrapolated from "
                                                      f"{REFERENCE_RESAMPLES})",
             "ratio": f"{theirs / mine:,.0f}x"}]


def fitting(n: int) -> list[dict]:
    from nnaudit.mitigation import fit_thresholds

    rng = np.random.default_rng(0)
    group = rng.choice(["a", "b", "c", "d"], n)
    z = rng.normal(size=n)
    y = rng.random(n) < 1 / (1 + np.exp(-3 * z))
    score = 1 / (1 + np.exp(-3 * (z + (group == "b") * 0.8)))
    start = time.perf_counter()
    fitted = fit_thresholds(score, y, group, constraint="equalized_odds")
    fit = time.perf_counter() - start
    start = time.perf_counter()
    fitted.decide(score, group, seed=0)
    decide = time.perf_counter() - start
    return [{"case": f"fit equalized-odds thresholds, {n:,} rows, 4 groups",
             "nnaudit": f"{fit:.2f} s (decide {decide:.2f} s)", "reference": "-", "ratio": "-"}]


def main(quick: bool = False) -> list[dict]:
    device = _device()
    rows = balanced_draw(20_000 if quick else 60_000, 32 if quick else 256, device)
    rows += remedy_overhead(3_500 if quick else 60_000, 2 if quick else 5, device)
    rows += paired(100_000 if quick else 1_000_000)
    rows += fitting(100_000 if quick else 1_000_000)
    return rows


if __name__ == "__main__":
    run_standalone(main)
