"""Gradient health: does the gradient reach every layer, without vanishing or exploding?

Glorot & Bengio 2010, "Understanding the difficulty of training deep feedforward neural
networks". Each weight tensor's gradient norm is recorded at every step of a short training run
and compared with the output layer's at the same step. A layer whose median ratio is below
`VANISHING_RATIO` learns next to nothing; a ratio above `EXPLODING_RATIO`, or a non-finite
gradient, is an explosion.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from nnaudit.errors import UserInputError
from nnaudit.models import ModelFactory
from nnaudit.train import seed_everything

VANISHING_RATIO = 1e-3
EXPLODING_RATIO = 1e4


def gradient_norms(model_or_factory: nn.Module | ModelFactory, x, y, config, device, *,
                   steps: int, seed: int) -> pd.DataFrame:
    """Per-step gradient norm of each weight tensor (biases skipped), input layer first.

    With a `ModelFactory`, a fresh model is trained for ``steps`` steps with the configured
    optimizer and learning rate, recording the norms at each step: vanishing gradients show at
    initialization. With a trained model, a copy is measured on ``steps`` batches at its weights,
    never updated. A plain fp32 loop either way: the trainer's fused step has no per-step hook,
    and the norms must not be rounded by bf16.
    """
    seed_everything(seed)
    training = isinstance(model_or_factory, ModelFactory)
    model = (model_or_factory() if training else copy.deepcopy(model_or_factory))
    model = model.to(device).train()
    weights = [(name, p) for name, p in model.named_parameters() if p.dim() > 1]
    if not weights:
        raise UserInputError("the gradient-health check found no weight matrix in the model.")
    for _, p in weights:
        p.requires_grad_(True)
    optimizer = _optimizer(model, config) if training else None
    x, y = x.to(device), y.to(device)
    order = torch.Generator().manual_seed(seed)
    batch = min(config.batch_size, len(y))
    norms = []
    for _ in range(steps):
        idx = torch.randint(0, len(y), (batch,), generator=order).to(device)
        model.zero_grad(set_to_none=True)
        F.cross_entropy(model(x[idx]), y[idx]).backward()
        norms.append(torch.stack([p.grad.norm() if p.grad is not None
                                  else torch.tensor(float("nan"), device=p.device)
                                  for _, p in weights]))
        if optimizer is not None:
            optimizer.step()
    values = torch.stack(norms).detach().cpu().numpy()
    return pd.DataFrame({"step": np.repeat(np.arange(1, steps + 1), len(weights)),
                         "layer": [name for name, _ in weights] * steps,
                         "depth": list(range(1, len(weights) + 1)) * steps,
                         "norm": values.ravel()})


def _optimizer(model: nn.Module, config) -> torch.optim.Optimizer:
    if config.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                               weight_decay=config.weight_decay)
    return torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)


def gradient_health(norms: pd.DataFrame) -> pd.DataFrame:
    """One row per layer: median norm, median ratio to the output layer, status."""
    output = norms[norms.depth == norms.depth.max()].set_index("step").norm
    ratio = norms.norm.to_numpy() / output.reindex(norms.step).to_numpy()
    table = (norms.assign(ratio=ratio).groupby(["depth", "layer"], sort=True)
             .agg(median_norm=("norm", "median"), max_norm=("norm", "max"),
                  ratio_to_output=("ratio", "median"),
                  finite=("norm", lambda s: bool(np.isfinite(s).all())))
             .reset_index())
    table["status"] = np.select(
        [~table.finite | (table.ratio_to_output > EXPLODING_RATIO),
         table.ratio_to_output < VANISHING_RATIO],
        ["exploding", "vanishing"], default="healthy")
    return table.drop(columns="finite")
