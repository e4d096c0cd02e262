"""Class probabilities of a model over a split or a tensor, in batches, in inference mode."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from nnaudit.train._batches import batch_source

if TYPE_CHECKING:
    from nnaudit.data import Split


@torch.inference_mode()
def predict_proba(model: nn.Module, split_or_x: "Split | torch.Tensor", device: torch.device | str,
                  batch_size: int = 4096) -> torch.Tensor:
    """Class probabilities (N, C), float32 on the CPU, computed in batches in inference mode."""
    device = torch.device(device)
    if isinstance(split_or_x, torch.Tensor):
        chunks = (split_or_x[i:i + batch_size].to(device, non_blocking=True)
                  for i in range(0, len(split_or_x), batch_size))
    else:  # a Split: resident on the device when it fits, streamed otherwise
        chunks = (xb for xb, _ in batch_source(split_or_x, device).eval_batches(batch_size))
    was_training = model.training
    model.eval()
    try:
        probs = [torch.softmax(model(xb).float(), dim=1) for xb in chunks]
    finally:
        model.train(was_training)
    return torch.cat(probs).cpu()
