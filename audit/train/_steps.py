"""One training step, eager or captured once as a CUDA graph and replayed.

The same step trains one model (`train_model`: logits (B, C), one loss) and a stack of K models
(`train_many`: logits (K, B, C), one mean loss per model, summed for the backward pass).
"""

from __future__ import annotations

import warnings
from typing import Callable

import torch
import torch.nn.functional as F

# Eager steps before CUDA graph capture: optimizer state and cudnn autotuning must exist first.
_GRAPH_WARMUP_STEPS = 3


def stacked_cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Each model's mean cross-entropy: logits (K, B, C), labels (K, B) -> (K,)."""
    return F.cross_entropy(logits.float().flatten(0, 1), y.flatten(),
                           reduction="none").view(y.shape).mean(-1)


class TrainStep:
    """Forward, backward and optimizer step; loss and hits are summed into ``sums`` on device.

    ``loss(logits, y)`` is one model's mean loss (a scalar; ``sums`` has shape (2,)) or a stack's
    mean loss per model ((K,); ``sums`` (K, 2)): the models share no parameter, so the gradient
    of the summed losses is each model's own. With per-example weights ``wb`` (one model) the
    loss is the batch mean of ``weight * cross-entropy`` (weights of mean 1 over the training
    split keep the learning rate's meaning).
    """

    def __init__(self, forward: Callable[[torch.Tensor], torch.Tensor],
                 optimizer: torch.optim.Optimizer, sums: torch.Tensor, *, amp: bool,
                 device: torch.device,
                 loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.cross_entropy):
        self.forward, self.optimizer, self.sums, self.loss = forward, optimizer, sums, loss
        self.amp, self.device_type = amp, device.type

    def __call__(self, xb: torch.Tensor, yb: torch.Tensor, wb: torch.Tensor | None = None,
                 zero_grad: bool = True) -> None:
        if zero_grad:
            self.optimizer.zero_grad(set_to_none=True)
        # cache_enabled=False: autocast's weight cache must not outlive a CUDA graph capture.
        with torch.autocast(self.device_type, dtype=torch.bfloat16, enabled=self.amp,
                            cache_enabled=False):
            logits = self.forward(xb)
            if wb is None:
                loss = self.loss(logits, yb)
            else:  # one model's per-example weights (the reweighting remedy)
                loss = (F.cross_entropy(logits, yb, reduction="none") * wb).mean()
        loss.sum().backward()
        self.optimizer.step()
        with torch.no_grad():
            hits = (logits.argmax(dim=-1) == yb).sum(-1)
            self.sums.add_(torch.stack([loss.detach().double() * yb.shape[-1], hits.double()],
                                       dim=-1))


class GraphedStep:
    """The training step captured once as a CUDA graph and replayed for every batch.

    Follows PyTorch's whole-network capture recipe: a few eager warm-up steps on a side stream
    (they are real training steps), then capture with gradients set to None so backward
    allocates them from the graph's pool. Batches are copied into static input buffers.
    """

    def __init__(self, step: TrainStep, optimizer: torch.optim.Optimizer):
        self.step, self.optimizer = step, optimizer
        self.graph: torch.cuda.CUDAGraph | None = None
        self.static_x: torch.Tensor | None = None
        self.static_y: torch.Tensor | None = None
        self.static_w: torch.Tensor | None = None
        self.warm_steps = 0

    def __call__(self, xb: torch.Tensor, yb: torch.Tensor, wb: torch.Tensor | None = None) -> None:
        if self.static_x is None:  # every training batch has this shape (last partial one dropped)
            self.static_x, self.static_y = torch.empty_like(xb), torch.empty_like(yb)
            self.static_w = None if wb is None else torch.empty_like(wb)
        self.static_x.copy_(xb, non_blocking=True)
        self.static_y.copy_(yb, non_blocking=True)
        if wb is not None:
            self.static_w.copy_(wb, non_blocking=True)
        if self.graph is None and self.warm_steps < _GRAPH_WARMUP_STEPS:
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side), warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*capturable=True.*")
                self.step(self.static_x, self.static_y, self.static_w)
            torch.cuda.current_stream().wait_stream(side)
            self.warm_steps += 1
            return
        if self.graph is None:
            self.graph = torch.cuda.CUDAGraph()
            self.optimizer.zero_grad(set_to_none=True)
            with torch.cuda.graph(self.graph):
                self.step(self.static_x, self.static_y, self.static_w, zero_grad=False)
        self.graph.replay()
