"""Models by name, in the manner of torchvision's `get_model` / `list_models`.

The course architectures are built in; a user's own are added with `register`, or by a package
through the ``nnaudit.models`` entry-point group (each entry point names a builder
``builder(input_shape, num_classes, **options) -> nn.Module``; its docstring's first line is
the description).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

from torch import nn

from nnaudit._plugins import Registry
from nnaudit.errors import UserInputError
from nnaudit.models.cifar_cnn import cifar_cnn
from nnaudit.models.factory import ModelFactory
from nnaudit.models.lenet import lenet5
from nnaudit.models.mlp import mlp
from nnaudit.models.perceptron import perceptron
from nnaudit.models.resnet import resnet18

ENTRY_POINT_GROUP = "nnaudit.models"


@dataclass(frozen=True)
class _Entry:
    builder: Callable[..., nn.Module]
    description: str
    image_input: bool  # refuses feature vectors


_BUILTIN = {
    "perceptron": _Entry(perceptron, "one linear layer (Rosenblatt 1958)", False),
    "mlp": _Entry(mlp, "multi-layer perceptron; widths, activation (relu/sigmoid/tanh), dropout",
                  False),
    "lenet5": _Entry(lenet5, "LeNet-5 (LeCun et al. 1998), for 28x28 and 32x32 images", True),
    "cifar_cnn": _Entry(cifar_cnn, "the course CIFAR-10 CNN: 3 conv-conv-pool blocks + FC head",
                        True),
    "resnet18": _Entry(resnet18, "torchvision ResNet-18 from scratch, for larger images", True),
}
_REGISTRY = Registry("model", "builder", ENTRY_POINT_GROUP, _BUILTIN,
                     lambda builder, description, image_input=False:
                     _Entry(builder, description, image_input))


def register(name: str, builder: Callable[..., nn.Module], description: str = "", *,
             image_input: bool = False, replace: bool = False) -> None:
    """Make ``builder(input_shape, num_classes, **options)`` available as model ``name``.

    ``image_input``: the model takes (channels, height, width) inputs only, so datasets of
    feature vectors are refused with a clear message. Registering a name that exists is an
    error unless ``replace``.
    """
    _REGISTRY.register(name, builder, description, replace=replace, image_input=image_input)


def list_models() -> list[str]:
    return sorted(_REGISTRY.entries())


def describe_model(name: str) -> str:
    return _check(name).description


def model_options(name: str) -> list[str]:
    """The keyword options model ``name`` takes (beyond input shape and class count), in order."""
    builder = _check(name).builder
    return [p for p in inspect.signature(builder).parameters
            if p not in ("input_shape", "num_classes")]


def get_model(name: str, input_shape: tuple[int, ...], num_classes: int, **options: Any) -> nn.Module:
    """Build model ``name`` for inputs of ``input_shape`` (without the batch dimension).

    ``options`` are the builder's own keyword options (see `model_options`); any other key is a
    `UserInputError`, never silently ignored.
    """
    entry = _check(name)
    accepted = model_options(name)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise UserInputError(
            f"model {name!r} has no option {unknown[0]!r}; its options are: "
            f"{', '.join(accepted) or 'none'}.")
    if entry.image_input and len(input_shape) != 3:
        raise UserInputError(
            f"model {name!r} needs image inputs (channels, height, width); this dataset gives "
            f"feature vectors of shape {tuple(input_shape)}: use 'mlp' or 'perceptron'.")
    return entry.builder(tuple(input_shape), num_classes, **options)


def factory(name: str, input_shape: tuple[int, ...], num_classes: int,
            **options: Any) -> ModelFactory:
    """Fresh copies of model ``name`` for this input shape and class count."""
    _check(name)
    return ModelFactory(name, partial(get_model, name, tuple(input_shape), num_classes), options,
                        accepts=frozenset(model_options(name)))


def _check(name: str) -> _Entry:
    entries = _REGISTRY.entries()
    if name not in entries:
        raise UserInputError(f"unknown model {name!r}; choose one of: {', '.join(sorted(entries))}.")
    return entries[name]
