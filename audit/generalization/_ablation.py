"""Regularizer ablation: augmentation, dropout and weight decay on and off, true and random labels.

Zhang et al. 2016, Table 1: explicit regularizers change test accuracy a little, but they do not
stop a network from fitting random labels.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import torch

from nnaudit.generalization._noise_sweep import final_accuracy, time_to_fit
from nnaudit.generalization._protocol import ABLATION_ROWS
from nnaudit.models import ModelFactory
from nnaudit.train import ManyResult, train_many


def with_dropout(factory: ModelFactory, dropout: float) -> ModelFactory:
    """``factory`` building with the ablation row's dropout rate, for architectures that take one.

    Models without a ``dropout`` option (perceptron, resnet18, most users' factories) are built
    unchanged: a factory refuses options its builder does not take.
    """
    if not factory.takes("dropout"):
        return factory
    return replace(factory, options={**factory.options, "dropout": dropout})


def run_ablation(subsets, factory: ModelFactory, config, device,
                 rows, labels: dict[str, torch.Tensor], budget: int, target: float, seed: int,
                 reuse: tuple[dict, ManyResult, dict[str, int]] | None = None) -> pd.DataFrame:
    """One row per (regularizer setting, label kind): train and test accuracy at the end.

    ``labels``: label kind ("true", "random") -> label vector. ``reuse`` = (settings, result,
    label kind -> model index) skips training a row whose settings an earlier run already had.
    The dropout rate only applies to architectures with a ``dropout`` option (mlp, lenet5,
    cifar_cnn).
    """
    out = []
    kinds = list(labels)
    for row in rows:
        settings = ABLATION_ROWS[row]
        if reuse is not None and reuse[0] == settings:
            result, index = reuse[1], reuse[2]
        else:
            result = train_many(
                with_dropout(factory, settings["dropout"]), subsets.x_train,
                torch.stack([labels[k] for k in kinds]),
                config=replace(config, epochs=budget, augment=settings["augment"],
                               weight_decay=settings["weight_decay"]),
                device=device, x_test=subsets.x_test, y_test=subsets.y_test,
                seeds=[seed] * len(kinds), stop_at_train_acc=target)
            index = {kind: i for i, kind in enumerate(kinds)}
        for kind in kinds:
            out.append({"regularizers": row, "labels": kind, **settings,
                        **final_accuracy(result, index[kind]),
                        **time_to_fit(result, index[kind], target)})
    return pd.DataFrame(out)
