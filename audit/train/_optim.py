"""The optimizer and the learning-rate schedule, shared by `train_model` and `train_many`."""

from __future__ import annotations

import math
from typing import Callable

import torch

from nnaudit.config import TrainConfig


def make_optimizer(params: list[torch.Tensor], config: TrainConfig, device: torch.device, *,
                   capturable: bool = False) -> torch.optim.Optimizer:
    """The configured Adam or SGD over ``params``, fused on CUDA (``capturable`` for graphs)."""
    fused = device.type == "cuda"
    # A tensor learning rate lets the scheduler change it in place under a captured graph.
    lr = torch.tensor(config.lr, device=device) if capturable else config.lr
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=config.momentum,
                               weight_decay=config.weight_decay, fused=fused or None)
    return torch.optim.Adam(params, lr=lr, weight_decay=config.weight_decay,
                            fused=fused or None, capturable=capturable)


def lr_factor(schedule: str, epochs: int, steps_per_epoch: int) -> Callable[[int], float]:
    """Learning-rate multiplier as a function of the optimizer step count."""
    total = epochs * steps_per_epoch
    if schedule == "cosine":
        return lambda step: 0.5 * (1 + math.cos(math.pi * min(step, total) / total))
    if schedule == "step":
        milestones = (math.ceil(epochs * 0.5), math.ceil(epochs * 0.75))
        return lambda step: 0.1 ** sum(step // steps_per_epoch >= m for m in milestones)
    return lambda step: 1.0
