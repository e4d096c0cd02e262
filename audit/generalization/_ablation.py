"""Regularizer ablation: augmentation, dropout and weight decay on and off, true and random labels.

Zhang et al. 2016, Table 1: explicit regularizers change test accuracy a little, but they do not
stop a network from fitting random labels.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import torch

from nnaudit.compute import TrainingJob
from nnaudit.generalization._noise_sweep import final_accuracy, time_to_fit
from nnaudit.generalization._protocol import ABLATION_ROWS
from nnaudit.models import ModelFactory
from nnaudit.train import ManyResult


def with_dropout(factory: ModelFactory, dropout: float) -> ModelFactory:
    """``factory`` building with the ablation row's dropout rate, for architectures that take one.

    Models without a ``dropout`` option (perceptron, resnet18, most users' factories) are built
    unchanged: a factory refuses options its builder does not take.
    """
    if not factory.takes("dropout"):
        return factory
    return replace(factory, options={**factory.options, "dropout": dropout})


def ablation_jobs(subsets, factory: ModelFactory, config, rows, labels: dict[str, torch.Tensor],
                  budget: int, target: float, seed: int,
                  trained: dict | None = None) -> dict[str, TrainingJob]:
    """One job per regularizer row, the label kinds of ``labels`` ("true", "random") stacked.

    A row whose settings equal ``trained`` (the settings an earlier training already had) gets
    no job: `ablation_table` reads that training instead. The dropout rate only applies to
    architectures with a ``dropout`` option (mlp, lenet5, cifar_cnn).
    """
    return {row: TrainingJob(
                "memorization", f"regularizers: {row}",
                with_dropout(factory, ABLATION_ROWS[row]["dropout"]), subsets.x_train,
                torch.stack(list(labels.values())),
                replace(config, epochs=budget, augment=ABLATION_ROWS[row]["augment"],
                        weight_decay=ABLATION_ROWS[row]["weight_decay"]),
                (seed,) * len(labels), subsets.x_test, subsets.y_test, stop_at_train_acc=target,
                test_every_epoch=False)  # the table reads the end of each training
            for row in rows if ABLATION_ROWS[row] != trained}


def ablation_table(rows, results: dict[str, tuple[ManyResult, dict[str, int]]],
                   target: float) -> pd.DataFrame:
    """One row per (regularizer setting, label kind): train and test accuracy at the end.

    ``results``: row -> (the training that has its settings, label kind -> model index).
    """
    out = []
    for row in rows:
        result, index = results[row]
        for kind, k in index.items():
            out.append({"regularizers": row, "labels": kind, **ABLATION_ROWS[row],
                        **final_accuracy(result, k), **time_to_fit(result, k, target)})
    return pd.DataFrame(out)
