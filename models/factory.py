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
    """

    name: str
    build: Callable[..., nn.Module]
    options: Mapping[str, Any] = field(default_factory=dict)
    accepts: frozenset[str] | None = None

    def __call__(self, **overrides: Any) -> nn.Module:
        model = self.build(**{**self.options, **overrides})
        if not isinstance(model, nn.Module):
            raise UserInputError(f"the model factory {self.name!r} returned a "
                                 f"{type(model).__name__}, not a torch.nn.Module.")
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
