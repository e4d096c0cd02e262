"""The membership attack (on the random-label model too when the memorization audit ran):
the audit's entry point (registered in `nnaudit.audits`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nnaudit.generalization._audit import membership_audit
from nnaudit.generalization._schemas import MEMBERSHIP_TABLES as TABLES

if TYPE_CHECKING:
    from nnaudit.inputs import AuditInputs
    from nnaudit.results import AuditResult

__all__ = ["run", "TABLES"]


def run(inputs: AuditInputs) -> AuditResult:
    return membership_audit(inputs.model, inputs.dataset, inputs.device,
                            protocol=inputs.config.audits.protocol, seed=inputs.config.seed,
                            memorization=inputs.results.get("memorization"))
