"""One training step, eager or captured once as a CUDA graph and replayed."""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F
from torch import nn

# Eager steps before CUDA graph capture: optimizer state and cudnn autotuning must exist first.
_GRAPH_WARMUP_STEPS = 3


class TrainStep:
    """Forward, backward and optimizer step; loss and hits are summed into ``sums`` on device.

    With per-example weights ``wb`` the loss is the batch mean of ``weight * cross-entropy``
    (weights of mean 1 over the training split keep the learning rate's meaning).
    """

    def __init__(self, forward: nn.Module, optimizer: torch.optim.Optimizer, sums: torch.Tensor,
                 *, amp: bool, device: torch.device):
        self.forward, self.optimizer, self.sums = forward, optimizer, sums
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
                loss = F.cross_entropy(logits, yb)
            else:
                loss = (F.cross_entropy(logits, yb, reduction="none") * wb).mean()
        loss.backward()
        self.optimizer.step()
        with torch.no_grad():
            hits = (logits.argmax(dim=1) == yb).sum()
            self.sums.add_(torch.stack([loss.detach().double() * yb.shape[0], hits.double()]))


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
