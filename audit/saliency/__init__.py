"""The interpretability audit: Captum attributions, checked for sanity and faithfulness.

`saliency_audit(model, dataset, device, ...)` returns one `AuditResult` named ``saliency``.
`AttributionMethod` lets a user add a method (or a deliberately broken one, as a control).
See docs/saliency.md for the methods, the checks and their limits.

Names are imported lazily, as in `audit/__init__.py`: the methods table (`_methods`) then needs
only torch and captum, which is what the attribution benchmark carries to a GPU machine.
"""

from importlib import import_module
from typing import Any

_PUBLIC = {
    "saliency_audit": "audit.saliency._audit",
    "AttributionMethod": "audit.saliency._methods",
    "Budget": "audit.saliency._methods",
    "SIMILARITY_THRESHOLD": "audit.saliency._sanity",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'audit.saliency' has no attribute {name!r}")
