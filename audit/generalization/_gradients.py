"""Gradient health: does the gradient reach every layer, without vanishing or exploding?

Glorot & Bengio 2010, "Understanding the difficulty of training deep feedforward neural
networks". Each weight tensor's gradient norm is recorded at every step of a short training run
and compared with the output layer's at the same step. A layer whose median ratio is below
`VANISHING_RATIO` learns next to nothing; a ratio above `EXPLODING_RATIO`, or a non-finite
gradient, is an explosion.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from nnaudit.train import seed_everything
from nnaudit.models import get_model

VANISHING_RATIO = 1e-3
EXPLODING_RATIO = 1e4


def gradient_norms(model_name, model_options, input_shape, num_classes, x, y, config, device,
                   *, steps: int, seed: int) -> pd.DataFrame:
    """Per-step gradient norm of each weight tensor (biases skipped), input layer first.

    A plain fp32 loop with the configured optimizer and learning rate: the trainer's fused
    step has no per-step hook, and the norms must not be rounded by bf16.
    """
    seed_everything(seed)
    model = get_model(model_name, input_shape, num_classes, **model_options).to(device).train()
    weights = [(name, p) for name, p in model.named_parameters() if p.dim() > 1]
    if config.optimizer == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                                    weight_decay=config.weight_decay)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr,
                                     weight_decay=config.weight_decay)
    x, y = x.to(device), y.to(device)
    order = torch.Generator().manual_seed(seed)
    batch = min(config.batch_size, len(y))
    norms = []
    for step in range(steps):
        idx = torch.randint(0, len(y), (batch,), generator=order).to(device)
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x[idx]), y[idx]).backward()
        norms.append(torch.stack([p.grad.norm() for _, p in weights]))
        optimizer.step()
    values = torch.stack(norms).cpu().numpy()
    return pd.DataFrame({"step": np.repeat(np.arange(1, steps + 1), len(weights)),
                         "layer": [name for name, _ in weights] * steps,
                         "depth": list(range(1, len(weights) + 1)) * steps,
                         "norm": values.ravel()})


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
