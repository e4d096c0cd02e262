"""The architecture retrained with several seeds: the audit's entry point (registered in `nnaudit.audits`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nnaudit.generalization._audit import seed_stability_audit
from nnaudit.generalization._schemas import SEED_TABLES as TABLES

if TYPE_CHECKING:
    from nnaudit.inputs import AuditInputs
    from nnaudit.results import AuditResult

__all__ = ["run", "TABLES"]


def run(inputs: AuditInputs) -> AuditResult:
    return seed_stability_audit(inputs.dataset, inputs.factory, inputs.config.train,
                                inputs.device, protocol=inputs.config.audits.protocol,
                                seed=inputs.config.seed, compute=inputs.compute)
