"""Batches on the device: a resident split sliced by a device-side permutation, or a stream."""

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
        raise NotImplementedError

    def eval_batches(self, batch_size: int) -> Iterator[tuple]:
        raise NotImplementedError


class _ResidentData(BatchSource):
    def __init__(self, x: torch.Tensor, y: torch.Tensor, device: torch.device):
        self.x, self.y = x.to(device), y.to(device)
        self.order_device = device
        self.sample_dim, self.channels = x.dim(), (x.shape[1] if x.dim() > 1 else 1)

    def __len__(self) -> int:
        return self.x.shape[0]

    def train_batches(self, batch_size, order):
        perm = torch.randperm(len(self), generator=order, device=self.x.device)
        batch = min(batch_size, len(self))
        for i in range(self.steps(batch_size)):
            idx = perm[i * batch:(i + 1) * batch]
            yield self.x.index_select(0, idx), self.y.index_select(0, idx)

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
        return self._to_device(loader)

    def eval_batches(self, batch_size):
        loader = torch.utils.data.DataLoader(self.dataset, batch_size=batch_size,
                                             **self.loader_options)
        return self._to_device(loader)


def batch_source(split: Any, device: torch.device) -> BatchSource:
    """Resident when the split's tensors fit in the device's memory, streamed otherwise."""
    if getattr(split, "x", None) is not None:
        if _fits(split.x, device):
            return _ResidentData(split.x, split.y, device)
        return _StreamedData(torch.utils.data.TensorDataset(split.x, split.y), device)
    if getattr(split, "stream", None) is not None:
        return _StreamedData(split.stream, device)
    raise UserInputError("the split has neither tensors (x) nor a stream to read from.")


def _fits(x: torch.Tensor, device: torch.device) -> bool:
    if device.type != "cuda" or x.device == device:
        return True
    free, _ = torch.cuda.mem_get_info(device)
    return x.numel() * x.element_size() < _DEVICE_MEMORY_SHARE * free
