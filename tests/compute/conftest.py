"""Small jobs for the compute backends, and real digits for the protocol on Ray."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from nnaudit.compute import TrainingJob
from nnaudit.data import load_dataset
from nnaudit.models import factory
from nnaudit.train import TrainConfig


def toy_job(condition: str = "toy", n: int = 120, **changes) -> TrainingJob:
    """Two small MLPs on 8x8 noise images, one on the labels reversed: a second of work."""
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(n, 1, 8, 8, generator=g), torch.randint(0, 4, (n,), generator=g)
    job = TrainingJob("memorization", condition, factory("mlp", (1, 8, 8), 4, widths=(16,)), x,
                      torch.stack([y, y.flip(0)]), TrainConfig(epochs=2, batch_size=40),
                      (0, 1), x[:40], y[:40])
    return replace(job, **changes)


@pytest.fixture(scope="session")
def shades():
    return load_dataset("shades-mnist", seed=0)
