"""Models as a user writes them, for the `nnaudit audit` tests (imported as ``my_models``)."""

from torch import nn


def small_cnn(channels: int = 4, num_classes: int = 10) -> nn.Module:
    """A small convolutional network for 28x28 grey digits."""
    return nn.Sequential(nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4),
                         nn.Flatten(), nn.Linear(channels * 7 * 7, num_classes))


def broken() -> nn.Module:
    raise RuntimeError("the GPU driver is missing")


def not_a_model():
    return "a model, promised"
