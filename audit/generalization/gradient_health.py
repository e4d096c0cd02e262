"""Per-layer gradient norms, from initialization when a factory is given:
the audit's entry point (registered in `nnaudit.audits`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nnaudit.generalization._audit import gradient_health_audit
from nnaudit.generalization._schemas import GRADIENT_TABLES as TABLES

if TYPE_CHECKING:
    from nnaudit.inputs import AuditInputs
    from nnaudit.results import AuditResult

__all__ = ["run", "TABLES"]


def run(inputs: AuditInputs) -> AuditResult:
    return gradient_health_audit(inputs.dataset, inputs.factory or inputs.model,
                                 inputs.config.train, inputs.device,
                                 protocol=inputs.config.audits.protocol, seed=inputs.config.seed)
