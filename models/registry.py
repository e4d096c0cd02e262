"""Models by name, in the manner of torchvision's `get_model` / `list_models`."""

from __future__ import annotations

import inspect
from typing import Any, Callable

from torch import nn

from nnaudit.errors import UserInputError
from nnaudit.models.cifar_cnn import cifar_cnn
from nnaudit.models.lenet import lenet5
from nnaudit.models.mlp import mlp
from nnaudit.models.perceptron import perceptron
from nnaudit.models.resnet import resnet18

_BUILDERS: dict[str, tuple[Callable[..., nn.Module], str, bool]] = {
    # name: (builder, one-line description, needs image input)
    "perceptron": (perceptron, "one linear layer (Rosenblatt 1958)", False),
    "mlp": (mlp, "multi-layer perceptron; widths, activation (relu/sigmoid/tanh), dropout", False),
    "lenet5": (lenet5, "LeNet-5 (LeCun et al. 1998), for 28x28 and 32x32 images", True),
    "cifar_cnn": (cifar_cnn, "the course CIFAR-10 CNN: 3 conv-conv-pool blocks + FC head", True),
    "resnet18": (resnet18, "torchvision ResNet-18 from scratch, for larger images", True),
}


def list_models() -> list[str]:
    return sorted(_BUILDERS)


def describe_model(name: str) -> str:
    return _check(name)[1]


def model_options(name: str) -> list[str]:
    """The keyword options model ``name`` takes (beyond input shape and class count), in order."""
    builder = _check(name)[0]
    return [p for p in inspect.signature(builder).parameters
            if p not in ("input_shape", "num_classes")]


def get_model(name: str, input_shape: tuple[int, ...], num_classes: int, **options: Any) -> nn.Module:
    """Build model ``name`` for inputs of ``input_shape`` (without the batch dimension).

    ``options`` are the builder's own keyword options (see `model_options`); any other key is a
    `UserInputError`, never silently ignored.
    """
    builder, _, needs_image = _check(name)
    accepted = model_options(name)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise UserInputError(
            f"model {name!r} has no option {unknown[0]!r}; its options are: "
            f"{', '.join(accepted) or 'none'}.")
    if needs_image and len(input_shape) != 3:
        raise UserInputError(
            f"model {name!r} needs image inputs (channels, height, width); this dataset gives "
            f"feature vectors of shape {tuple(input_shape)}: use 'mlp' or 'perceptron'.")
    return builder(tuple(input_shape), num_classes, **options)


def _check(name: str):
    if name not in _BUILDERS:
        raise UserInputError(f"unknown model {name!r}; choose one of: {', '.join(list_models())}.")
    return _BUILDERS[name]
