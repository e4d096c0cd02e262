"""Random-label test: can the model fit labels that carry no information?

Zhang et al. 2016, "Understanding deep learning requires rethinking generalization".
The true-label and random-label models are rows 0.0 and 1.0 of the label-noise sweep; the full
protocol adds random pixels (Gaussian images with the data's mean and spread, true labels).
"""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import torch

from nnaudit.generalization._noise_sweep import final_accuracy, time_to_fit
from nnaudit.compute import TrainingJob
from nnaudit.train import ManyResult


def random_pixels(x: torch.Tensor, seed: int) -> torch.Tensor:
    """Gaussian noise images with the mean and standard deviation of ``x``."""
    noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(seed))
    return noise * x.std() + x.mean()


def random_pixels_job(subsets, factory, config, budget: int, target: float,
                      seed: int) -> TrainingJob:
    """The model trained on noise images with the true labels (Zhang et al.'s random pixels)."""
    return TrainingJob("memorization", "random pixels", factory,
                       random_pixels(subsets.x_train, seed), subsets.y_train,
                       replace(config, epochs=budget), (seed,), subsets.x_test, subsets.y_test,
                       stop_at_train_acc=target)


def random_label_tables(runs: dict[str, tuple[ManyResult, int]], target: float):
    """``runs``: condition -> (stacked result, model index). Returns (summary, curves, slowdown).

    The slowdown is epochs-to-target with random labels over epochs-to-target with true labels,
    NaN when either run stopped at its budget before the target.
    """
    rows, curves = [], []
    for condition, (result, k) in runs.items():
        rows.append({"condition": condition, **final_accuracy(result, k),
                     **time_to_fit(result, k, target)})
        history = result.history[result.history.model == k]
        curves.append(history[["epoch", "train_loss", "train_acc", "test_acc", "seconds"]]
                      .assign(condition=condition))
    table = pd.DataFrame(rows)
    by_condition = table.set_index("condition").epochs_to_target
    slowdown = float(by_condition["random labels"] / by_condition["true labels"])
    return table, pd.concat(curves, ignore_index=True), (slowdown if math.isfinite(slowdown)
                                                          else math.nan)
