"""`ModelFactory`: fresh copies of one architecture, for the audits that retrain it.

The random-label test, the label-noise sweep, seed stability and the mitigation remedies train new
models of the audited architecture. They need a way to build one, not the trained weights: a
registered name (`nnaudit.models.factory`) or a user's callable (``module:callable``). Weights
are drawn from torch's global generator, which the caller seeds.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from torch import nn

from nnaudit.errors import UserInputError


@dataclass(frozen=True)
class ModelFactory:
    """Builds freshly initialized models: ``factory()``, or ``factory(dropout=0.5)``.

    name:    how the architecture is shown in manifests and reports.
    build:   ``build(**options) -> nn.Module``.
    options: keyword options passed to every build (a registered model's options).
    accepts: the option names ``build`` takes; None reads them from its signature.
    input_shape: one input's shape; given, lazy modules (``nn.LazyLinear``) are materialized.
    """

    name: str
    build: Callable[..., nn.Module]
    options: Mapping[str, Any] = field(default_factory=dict)
    accepts: frozenset[str] | None = None
    input_shape: tuple[int, ...] | None = None

    def __call__(self, **overrides: Any) -> nn.Module:
        model = self.build(**{**self.options, **overrides})
        if not isinstance(model, nn.Module):
            raise UserInputError(f"the model factory {self.name!r} returned a "
                                 f"{type(model).__name__}, not a torch.nn.Module.")
        if self.input_shape is not None:
            materialize(model, self.input_shape)
        return model

    def takes(self, option: str) -> bool:
        """Whether ``option`` can be passed (e.g. the ablation's ``dropout``)."""
        if self.accepts is not None:
            return option in self.accepts
        try:
            parameters = inspect.signature(self.build).parameters.values()
        except (TypeError, ValueError):  # builtins and some C callables have no signature
            return False
        return any(p.name == option and p.kind is not p.POSITIONAL_ONLY for p in parameters)


def materialize(model: nn.Module, input_shape: tuple[int, ...]) -> nn.Module:
    """Give a model's lazy modules (``nn.LazyLinear``, ``nn.LazyConv2d``) their shapes with one
    forward pass of zeros in eval mode (no dropout, no batch-norm statistics change); a model
    without them is left untouched."""
    import torch
    from torch.nn.modules.lazy import LazyModuleMixin

    if not any(isinstance(m, LazyModuleMixin) for m in model.modules()):
        return model
    training = model.training
    try:
        with torch.no_grad():
            model.eval()(torch.zeros((1, *input_shape)))
    except Exception as exc:  # the user's forward fails on the dataset's shape: say so
        raise UserInputError(f"the model's lazy modules cannot be sized from inputs of shape "
                             f"{tuple(input_shape)}: {type(exc).__name__}: {exc}.") from None
    finally:
        model.train(training)
    return model
