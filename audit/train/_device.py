"""Which device, and one seed for Python, NumPy and torch."""

from __future__ import annotations

import random

import numpy as np
import torch

from nnaudit.errors import UserInputError


def resolve_device(name: str = "auto") -> torch.device:
    """"auto" gives CUDA when present, else the CPU; "cpu", "cuda" and "cuda:N" are checked."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UserInputError(f"unknown device {name!r}; use auto, cpu or cuda.") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UserInputError(f"device {name!r} was asked for but no CUDA GPU is available.")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise UserInputError(
                f"device {name!r} does not exist; this machine has "
                f"{torch.cuda.device_count()} CUDA device(s).")
    elif device.type != "cpu":
        raise UserInputError(f"unsupported device {name!r}; use auto, cpu or cuda.")
    return device


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and every CUDA device) from one integer."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
