"""Batches on the device: a resident split sliced by a device-side permutation, or a stream.

A resident split can also carry per-example loss weights (yielded with each batch) and draw
weights: then an epoch's examples are drawn with replacement in proportion to them, by one
`torch.multinomial` on the device per epoch (group-balanced sampling without host work).
"""

from __future__ import annotations

import os
from typing import Any, Iterator

import torch

from nnaudit.errors import UserInputError

# A resident split may use at most this share of the free device memory.
_DEVICE_MEMORY_SHARE = 0.5


class BatchSource:
    """Yields (x, y) batches on the device; implemented for resident and streamed data."""

    order_device: torch.device
    sample_dim: int
    channels: int

    def __len__(self) -> int:
        raise NotImplementedError

    def steps(self, batch_size: int) -> int:
        """Training steps per epoch: the last partial batch is dropped (shapes stay static)."""
        return max(1, len(self) // batch_size)

    def train_batches(self, batch_size: int, order: torch.Generator) -> Iterator[tuple]:
        """(x, y, weights) batches of one epoch; weights is None without loss weights."""
        raise NotImplementedError

    def eval_batches(self, batch_size: int) -> Iterator[tuple]:
        raise NotImplementedError


class _ResidentData(BatchSource):
    def __init__(self, x: torch.Tensor, y: torch.Tensor, device: torch.device, *,
                 loss_weights: torch.Tensor | None = None,
                 draw_weights: torch.Tensor | None = None):
        self.x, self.y = x.to(device), y.to(device)
        self.loss_weights = _on(loss_weights, device)
        self.draw_weights = _on(draw_weights, device)
        self.order_device = device
        self.sample_dim, self.channels = x.dim(), (x.shape[1] if x.dim() > 1 else 1)

    def __len__(self) -> int:
        return self.x.shape[0]

    def train_batches(self, batch_size, order):
        batch = min(batch_size, len(self))
        steps = self.steps(batch_size)
        if self.draw_weights is None:
            picks = torch.randperm(len(self), generator=order, device=self.x.device)
        else:  # the epoch's draws at once, on the device: no per-batch host work
            picks = torch.multinomial(self.draw_weights, steps * batch, replacement=True,
                                      generator=order)
        for i in range(steps):
            idx = picks[i * batch:(i + 1) * batch]
            weights = None if self.loss_weights is None else self.loss_weights.index_select(0, idx)
            yield self.x.index_select(0, idx), self.y.index_select(0, idx), weights

    def eval_batches(self, batch_size):
        for i in range(0, len(self), batch_size):
            yield self.x[i:i + batch_size], self.y[i:i + batch_size]


class _StreamedData(BatchSource):
    """A dataset of (x, y) items read by a DataLoader; pinned memory and non-blocking copies."""

    def __init__(self, dataset: torch.utils.data.Dataset, device: torch.device):
        self.dataset, self.device = dataset, device
        self.order_device = torch.device("cpu")  # DataLoader shuffling draws from a CPU generator
        first = dataset[0][0]
        self.sample_dim, self.channels = first.dim() + 1, (first.shape[0] if first.dim() else 1)
        self.loader_options = {
            "pin_memory": device.type == "cuda",
            "num_workers": min(4, os.cpu_count() or 1) if device.type == "cuda" else 0,
        }

    def __len__(self) -> int:
        return len(self.dataset)

    def _to_device(self, loader):
        for xb, yb in loader:
            yield xb.to(self.device, non_blocking=True), yb.to(self.device, non_blocking=True)

    def train_batches(self, batch_size, order):
        loader = torch.utils.data.DataLoader(
            self.dataset, batch_size=min(batch_size, len(self)), shuffle=True, drop_last=True,
            generator=order, **self.loader_options)
        return ((xb, yb, None) for xb, yb in self._to_device(loader))

    def eval_batches(self, batch_size):
        loader = torch.utils.data.DataLoader(self.dataset, batch_size=batch_size,
                                             **self.loader_options)
        return self._to_device(loader)


def batch_source(split: Any, device: torch.device, *, loss_weights: torch.Tensor | None = None,
                 draw_weights: torch.Tensor | None = None) -> BatchSource:
    """Resident when the split's tensors fit in the device's memory, streamed otherwise.

    ``loss_weights`` (N,): each example's weight in the loss, yielded with its batches.
    ``draw_weights`` (N,): draw an epoch's examples with replacement in proportion to these
    instead of a permutation. Both need the split resident: a streamed one is refused.
    """
    weighted = loss_weights is not None or draw_weights is not None
    if getattr(split, "x", None) is not None and _fits(split.x, device):
        return _ResidentData(split.x, split.y, device, loss_weights=loss_weights,
                             draw_weights=draw_weights)
    if weighted:
        raise UserInputError("per-example loss weights and group-balanced sampling need the "
                             "training split in memory, and this one is streamed.")
    if getattr(split, "x", None) is not None:
        return _StreamedData(torch.utils.data.TensorDataset(split.x, split.y), device)
    if getattr(split, "stream", None) is not None:
        return _StreamedData(split.stream, device)
    raise UserInputError("the split has neither tensors (x) nor a stream to read from.")


def _on(values: torch.Tensor | None, device: torch.device) -> torch.Tensor | None:
    return None if values is None else torch.as_tensor(values, dtype=torch.float32).to(device)


def _fits(x: torch.Tensor, device: torch.device) -> bool:
    if device.type != "cuda" or x.device == device:
        return True
    free, _ = torch.cuda.mem_get_info(device)
    return x.numel() * x.element_size() < _DEVICE_MEMORY_SHARE * free
