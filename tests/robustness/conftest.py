"""LeNet-5s trained on the embedded shades-mnist digits, once per test session.

- ``shades_lenet``: the default setting of `nnaudit run` (5 % dark-tone training images), where
  the dark, low-contrast images are the group a robustness audit must find fragile.
- ``plain_lenet`` and ``rotation_lenet``: the same network on balanced tones, trained with the
  same seed without and with random rotations (up to 45 degrees), for the augmentation test.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from nnaudit.data import load_dataset
from nnaudit.models import get_model
from nnaudit.train import TrainConfig, augment_images, cpu_threads, train_model


def single_thread():
    # On a loaded 2-core machine two intra-op threads fight each other (see tests/train); the
    # audit pins itself the same way.
    return cpu_threads(1, "cpu")


@pytest.fixture(autouse=True)
def one_thread():
    with single_thread():
        yield


@pytest.fixture(scope="session")
def shades():
    return load_dataset("shades-mnist", seed=0)


@pytest.fixture(scope="session")
def balanced_shades():
    return load_dataset("shades-mnist", seed=0, skew=0.5)


@pytest.fixture(scope="session")
def shades_lenet(shades):
    torch.manual_seed(0)  # the initial weights: the same model whatever ran before
    model = get_model("lenet5", shades.input_shape, shades.num_classes)
    with single_thread():
        train_model(model, shades.train, shades.val, TrainConfig(epochs=8, batch_size=32), "cpu")
    return model.eval()


def _train_rotating(dataset, rotate: bool, seed: int = 0, epochs: int = 6):
    """Adam on the training split; ``rotate``: each batch turned by up to 45 degrees either way
    (`augment_images` without its scaling and shifting)."""
    torch.manual_seed(seed)
    model = get_model("lenet5", dataset.input_shape, dataset.num_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    generator = torch.Generator().manual_seed(seed)
    x, y = dataset.train.x, dataset.train.y
    with single_thread():
        for _ in range(epochs):
            for batch in torch.randperm(len(x), generator=generator).split(64):
                xb = x[batch]
                if rotate:
                    xb = augment_images(xb, generator, degrees=45, scale=(1.0, 1.0),
                                        max_shift=0)
                optimizer.zero_grad()
                F.cross_entropy(model(xb), y[batch]).backward()
                optimizer.step()
    return model.eval()


@pytest.fixture(scope="session")
def plain_lenet(balanced_shades):
    return _train_rotating(balanced_shades, rotate=False)


@pytest.fixture(scope="session")
def rotation_lenet(balanced_shades):
    return _train_rotating(balanced_shades, rotate=True)


@pytest.fixture(scope="session")
def default_result(shades_lenet, shades):
    """The default protocol on the default model: what `nnaudit run` will record."""
    from nnaudit.robustness import robustness_audit

    with single_thread():
        return robustness_audit(shades_lenet, shades.test, shades.classes, "cpu", seed=0)
