"""The random-label test, the label-noise sweep and the regularizer ablation:
the audit's entry point (registered in `nnaudit.audits`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nnaudit.generalization._audit import memorization_audit
from nnaudit.generalization._schemas import MEMORIZATION_TABLES as TABLES

if TYPE_CHECKING:
    from nnaudit.inputs import AuditInputs
    from nnaudit.results import AuditResult

__all__ = ["run", "TABLES"]


def run(inputs: AuditInputs) -> AuditResult:
    return memorization_audit(inputs.dataset, inputs.factory, inputs.config.train, inputs.device,
                              protocol=inputs.config.audits.protocol, seed=inputs.config.seed,
                              compute=inputs.compute)
