"""What an audit receives: `AuditInputs`, and the `Predictions` contract it carries.

Every audit module has one entry point, ``run(inputs: AuditInputs) -> AuditResult``
(`nnaudit.audits.AuditModule`). The pipeline, the Python API and mitigation build one
`AuditInputs` per run; an audit reads what it declared it needs (`nnaudit.audits.Need`).
This module imports the standard library only (torch on use): it sits beside the registry,
below every audit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from nnaudit.audits import Need

if TYPE_CHECKING:
    import pandas as pd
    import torch

    from nnaudit.compute import Backend
    from nnaudit.config import RunConfig
    from nnaudit.data import AuditDataset
    from nnaudit.fairness import CellCounts
    from nnaudit.models import ModelFactory
    from nnaudit.results import AuditResult

__all__ = ["AuditInputs", "Predictions"]


@runtime_checkable
class Predictions(Protocol):
    """The test predictions as the fairness audit reads them, counted per intersection cell.

    Implemented by `nnaudit.pipeline.ModelPredictions` (a model's class probabilities),
    `nnaudit.engines.CountedPredictions` (a predictions file counted by an engine) and
    `nnaudit.mitigation.Decisions` (a remedy's decisions).
    """

    @property
    def counts(self) -> "CellCounts":
        """Confusion counts and score histograms per intersection cell."""

    @property
    def attributes(self) -> list[str]:
        """The sensitive attributes (empty: the data has none)."""

    @property
    def training_groups(self) -> "pd.DataFrame | None":
        """The training split's groups (how many training examples each subgroup had)."""


@dataclass
class AuditInputs:
    """Everything the pipeline has for the audits of one run; any part may be missing.

    predictions: the test predictions counted per intersection cell (`Predictions`).
    model:       the trained model to audit (eval mode), or None.
    factory:     fresh untrained copies of its architecture, or None.
    trained_on_train_split: the model was trained on ``dataset.train`` (membership attack).
    reference_accuracy: the model's accuracy on its own test split, when ``dataset`` is another
                 one (the robustness audit compares the two: a shift).
    results:     the audits that already ran, by name.
    compute:     where the audits that retrain run their trainings (`nnaudit.compute`);
                 None: in this process.
    """

    config: "RunConfig"
    device: "torch.device | None" = None
    dataset: "AuditDataset | None" = None
    predictions: Predictions | None = None
    model: "torch.nn.Module | None" = None
    factory: "ModelFactory | None" = None
    trained_on_train_split: bool = False
    reference_accuracy: float | None = None
    results: dict[str, "AuditResult"] = field(default_factory=dict)
    compute: "Backend | None" = None

    def available(self) -> set[Need]:
        have = set()
        if self.predictions is not None:
            have.add(Need.PREDICTIONS)
            if self.predictions.attributes:
                have.add(Need.GROUPS)
        if self.model is not None:
            have.add(Need.MODEL)
            if self.dataset is not None and self.dataset.test.x is not None and \
                    _input_gradients(self.model, self.dataset.test.x[:1], self.device):
                have.add(Need.GRADIENTS)
        if self.factory is not None:
            have.add(Need.FACTORY)
        if self.dataset is not None:
            if len(self.dataset.train) > 0:
                have.add(Need.TRAINING_DATA)
            if self.dataset.test.x is not None:
                have.add(Need.TEST_INPUTS)
            if self.trained_on_train_split and self.model is not None:
                have.add(Need.MEMBERS)
        return have


def _input_gradients(model, x, device) -> bool:
    """Does a backward pass from the model's output reach its input?"""
    import torch

    x = x.to(device).clone().requires_grad_(True)
    try:
        with torch.enable_grad():
            model(x).float().sum().backward()
    except (RuntimeError, TypeError, NotImplementedError):
        return False
    finally:
        model.zero_grad(set_to_none=True)
    return x.grad is not None
