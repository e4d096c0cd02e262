"""A model made ready for attribution or attack, and how many rows one pass of it may hold.

`prepare_model`: a float32 eval-mode copy whose gradients flow to the inputs only (the saliency
and robustness audits). `rows_per_pass`: how many input rows one gradient pass may hold:
memory is used, not exceeded.

A gradient attribution holds, for every row of its batch (an image, or one of its IG steps or
SmoothGrad samples), the activations autograd saves for the backward pass, and the backward
pass makes gradients of about the same size. That cost is measured on the model itself, by
counting the tensors autograd saves for two probe batches (``saved_tensors_hooks``); the
difference between them is the cost of the extra rows, free of the weights saved once.

The room it may fill depends on the device:

- CUDA: a share of the memory that is free (on the card and in PyTorch's cache), so the GPU
  gets the largest batches that fit, with room left for the rest of the audit.
- CPU: a working set the size of a cache, because larger passes run slower, not faster.
  Integrated Gradients on one thread: LeNet-5 (99 kB a row) at about 210 images per second
  with 128 to 256 rows a pass, 173 with 768 and 134 with 8,192; the course CNN (1.3 MB a row)
  at 13 with 32 rows, 10 with 128 and 9.5 with 8,192. 32 MiB gives 338 and 25 rows.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

GPU_MEMORY_SHARE = 0.25
CPU_PASS_BYTES = 32 * 2**20
# The backward pass holds gradients about the size of the saved activations.
BACKWARD_FACTOR = 2
_PROBE_ROWS = (2, 10)


def bytes_per_row(model: nn.Module, example: torch.Tensor) -> float:
    """Bytes one more row of ``example``'s kind costs in a forward and backward pass of ``model``.

    ``example`` is one input with its batch dimension (shape ``(1, ...)``), on the model's device.
    """
    saved = [_saved_bytes(model, example.expand(rows, *example.shape[1:]).clone())
             for rows in _PROBE_ROWS]
    extra_rows = _PROBE_ROWS[1] - _PROBE_ROWS[0]
    activations = max(0.0, (saved[1] - saved[0]) / extra_rows)
    # Plus the row itself and its input gradient.
    return BACKWARD_FACTOR * activations + 2 * example[0].numel() * example.element_size()


def rows_per_pass(model: nn.Module, example: torch.Tensor, device: torch.device | str) -> int:
    """Rows of ``example``'s kind that one attribution pass of ``model`` may hold on ``device``."""
    device = torch.device(device)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        cached = torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
        room = GPU_MEMORY_SHARE * (free + cached)
    else:
        room = CPU_PASS_BYTES
    return max(1, int(room // bytes_per_row(model, example.to(device))))


def _saved_bytes(model: nn.Module, batch: torch.Tensor) -> int:
    """Bytes of the distinct storages autograd saves in the forward pass of ``batch``."""
    storages: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    batch.requires_grad_(True)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        model(batch)
    return sum(storages.values())


def prepare_model(model: nn.Module, device: torch.device) -> nn.Module:
    """A float32 eval-mode copy on ``device`` whose gradients flow to the inputs only.

    In-place activations are switched off: Captum's layer hooks (Grad-CAM) need the layer's
    output unmodified after the forward pass.
    """
    model = copy.deepcopy(model).to(device=device, dtype=torch.float32,
                                    memory_format=torch.contiguous_format).eval()
    for module in model.modules():
        if getattr(module, "inplace", False):
            module.inplace = False
    model.requires_grad_(False)
    return model
