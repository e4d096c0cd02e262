"""Small synthetic image tasks for the trainer tests (fast on 2 shared CPU cores)."""

from types import SimpleNamespace

import pytest
import torch

from nnaudit.models import get_model


@pytest.fixture(autouse=True)
def one_thread():
    # On a loaded 2-core machine two intra-op threads fight each other; one is ~10x faster.
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _split(x, y):
    """Duck-typed nnaudit.data.Split: the trainer reads .x, .y and .stream."""
    return SimpleNamespace(x=x, y=y, groups=None, stream=None)


def _separable(n=320, classes=4, size=16, seed=0, noise=0.35):
    """Each class is a fixed random pattern plus pixel noise: separable by a linear model."""
    g = torch.Generator().manual_seed(seed)
    templates = torch.rand(classes, 1, size, size, generator=g)
    y = torch.arange(n) % classes
    x = (templates[y] + noise * torch.randn(n, 1, size, size, generator=g)).clamp(0, 1)
    return x, y


@pytest.fixture
def make_split():
    return _split


@pytest.fixture
def task():
    """(train, val): 256 and 64 images of 1x16x16, four classes."""
    x, y = _separable()
    return _split(x[:256], y[:256]), _split(x[256:], y[256:])


@pytest.fixture
def make_lenet():
    def build(dropout=0.0, seed=0, classes=4):
        torch.manual_seed(seed)
        return get_model("lenet5", (1, 16, 16), classes, dropout=dropout)
    return build
