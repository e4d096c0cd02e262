"""The interpretability audit: Captum attributions, checked for sanity and faithfulness.

`saliency_audit(model, dataset, device, ...)` returns one `AuditResult` named ``saliency``.
`AttributionMethod` lets a user add a method (or a deliberately broken one, as a control).
See docs/saliency.md for the methods, the checks and their limits.
"""

from audit.saliency._audit import saliency_audit
from audit.saliency._methods import AttributionMethod, Budget
from audit.saliency._sanity import SIMILARITY_THRESHOLD

__all__ = ["saliency_audit", "AttributionMethod", "Budget", "SIMILARITY_THRESHOLD"]
