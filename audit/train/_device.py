"""Which device, how many CPU threads, and one seed for Python, NumPy and torch."""

from __future__ import annotations

import random
from contextlib import contextmanager
from typing import Iterator

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


@contextmanager
def cpu_threads(threads: int, device: torch.device | str) -> Iterator[None]:
    """Run the block with ``threads`` intra-op threads when ``device`` is a CPU (0: as is).

    The course networks' steps, stacked or attacked, are many small parallel regions, each
    waiting for its slowest thread: when other processes hold the cores, two threads made
    stacked LeNet-5 steps 9 to 60 times slower than one (2 cores, 3 stacked models, batch 32:
    33 s against 3.5 s beside two busy processes) and the robustness audit's default protocol
    run in 35 to 78 s against 7 to 9 s. On idle cores one thread costs little at batch 32 and
    up to half the speed at batch 128 (docs/BENCHMARKS.md).
    """
    if torch.device(device).type != "cpu" or threads == 0:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)
