"""Label-noise sweep: the same model trained on labels corrupted at several rates, all at once.

Zhang et al. 2016, "Understanding deep learning requires rethinking generalization", Sec. 2.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import torch

from nnaudit.compute import TrainingJob
from nnaudit.train import ManyResult


def corrupt_labels(y: torch.Tensor, fraction: float, num_classes: int,
                   generator: torch.Generator) -> torch.Tensor:
    """Replace each label, with probability ``fraction``, by a class drawn uniformly at random.

    As in Zhang et al., a replaced label may fall on the true class, so fraction 1.0 gives
    completely random labels (a share 1/num_classes of them correct by chance).
    """
    replaced = torch.rand(len(y), generator=generator) < fraction
    drawn = torch.randint(0, num_classes, (len(y),), generator=generator)
    return torch.where(replaced, drawn, y)


def noisy_label_sets(y: torch.Tensor, fractions, num_classes: int, seed: int) -> torch.Tensor:
    """(len(fractions), N) label vectors, one corruption rate per row, reproducible from ``seed``."""
    return torch.stack([corrupt_labels(y, f, num_classes, torch.Generator().manual_seed(seed + i))
                        for i, f in enumerate(fractions)])


def noise_sweep_job(subsets, factory, num_classes: int, config, fractions, budget: int,
                    target: float, seed: int) -> tuple[TrainingJob, torch.Tensor]:
    """One model per corruption rate, trained together until each fits ``target`` or the
    budget ends; returns the job and its (len(fractions), N) labels. Test accuracy is read
    after every epoch for the learning curves (true and random labels: rates 0 and 1), once at
    the end for the other rates."""
    labels = noisy_label_sets(subsets.y_train, fractions, num_classes, seed)
    curves = tuple(k for k, fraction in enumerate(fractions) if fraction in (0.0, 1.0))
    job = TrainingJob("memorization", "label noise " + ", ".join(f"{f:g}" for f in fractions),
                      factory, subsets.x_train, labels, replace(config, epochs=budget),
                      (seed,) * len(fractions), subsets.x_test, subsets.y_test,
                      stop_at_train_acc=target, test_every_epoch=curves)
    return job, labels


def noise_sweep_table(result: ManyResult, fractions, target: float) -> pd.DataFrame:
    """One row per corruption rate: final accuracies and time to fit."""
    return pd.DataFrame([{"fraction": float(fraction), **final_accuracy(result, k),
                          **time_to_fit(result, k, target)}
                         for k, fraction in enumerate(fractions)])


def final_accuracy(result: ManyResult, k: int) -> dict:
    last = result.history[result.history.model == k].iloc[-1]
    return {"train_acc": float(last.train_acc), "test_acc": float(last.test_acc)}


def time_to_fit(result: ManyResult, k: int, target: float) -> dict:
    """First epoch at which model k's training accuracy reached ``target`` (NaN if never), and
    the epochs it trained (it stops at the target: `train_many`'s ``stop_at_train_acc``)."""
    history = result.history[result.history.model == k]
    reached = history[history.train_acc >= target]
    epochs_run = int(history.epoch.max())
    if reached.empty:
        return {"reached_target": False, "epochs_to_target": math.nan,
                "seconds_to_target": math.nan, "epochs_run": epochs_run}
    first = reached.iloc[0]
    return {"reached_target": True, "epochs_to_target": int(first.epoch),
            "seconds_to_target": float(first.seconds), "epochs_run": epochs_run}
