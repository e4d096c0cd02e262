"""Retraining remedies: the same architecture, seed and settings, with the groups rebalanced.

- ``resample``: every epoch draws its examples so that each intersection of the chosen
  attributes is drawn equally often (with replacement, on the device): the representative-data
  remedy, as if the rare groups had been collected as often as the common ones.
- ``reweight``: every example's loss is weighted by the inverse of its group's frequency
  (Kamiran & Calders 2012, "Data preprocessing techniques for classification without
  discrimination", KAIS 33(1), reweighing by group).

Both are `nnaudit.train.train_model` options; this module only says which groups to balance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from nnaudit.config import RunConfig
    from nnaudit.data import AuditDataset
    from nnaudit.train import TrainResult

RETRAINING = ("resample", "reweight")


def group_codes(groups: pd.DataFrame, attributes: list[str]) -> np.ndarray:
    """(N,) integer code of each row's intersection of ``attributes``."""
    return groups.groupby(list(attributes), sort=True).ngroup().to_numpy(dtype=np.int64, copy=True)


def inverse_frequency_weights(codes: np.ndarray) -> np.ndarray:
    """(N,) weight N / (G n_g) of each row: each of the G groups weighs N / G in all, and the
    weights have mean 1."""
    sizes = np.bincount(codes)
    present = np.count_nonzero(sizes)
    return len(codes) / (present * sizes[codes].astype(float))


def retrain(method: str, dataset: "AuditDataset", config: "RunConfig", device,
            attributes: list[str], *, on_epoch=None) -> "TrainResult":
    """Train the run's architecture afresh with ``method`` over the groups of ``attributes``.

    Seeded as the base run was (`nnaudit.pipeline.run_pipeline`), so the remedy is the only
    difference: same initial weights, same settings, same number of steps per epoch.
    """
    import torch

    from nnaudit.models import factory
    from nnaudit.train import seed_everything, train_model

    codes = group_codes(dataset.train.groups, attributes)
    remedy = ({"balance_groups": torch.as_tensor(codes)} if method == "resample" else
              {"sample_weights": torch.as_tensor(inverse_frequency_weights(codes))})
    seed_everything(config.seed)
    make = factory(config.model.name, dataset.input_shape, dataset.num_classes,
                   **config.model.options)
    return train_model(make(), dataset.train, dataset.val, config.train, device,
                       on_epoch=on_epoch, **remedy)
