"""The interpretability audit: Captum attributions, checked for sanity and faithfulness.

`saliency_audit(model, dataset, device, ...)` returns one `AuditResult` named ``saliency``.
`AttributionMethod` lets a user add a method (or a deliberately broken one, as a control).
See docs/saliency.md for the methods, the checks and their limits.

Names are imported lazily, as in `audit/__init__.py`: the methods table (`_methods`) then needs
only torch and captum, which is what the attribution benchmark carries to a GPU machine.

May import: nnaudit.modelprep, nnaudit.train, nnaudit.config, nnaudit.results, nnaudit.schema,
nnaudit.errors, captum; never another audit, the pipeline or the renderers.
"""

from nnaudit._lazy import lazy_getattr

_PUBLIC = {
    "saliency_audit": "nnaudit.saliency._audit",
    "run": "nnaudit.saliency._audit",  # the entry point the pipeline calls (nnaudit.audits)
    "AttributionMethod": "nnaudit.saliency._methods",
    "Budget": "nnaudit.saliency._methods",
    "image_methods": "nnaudit.saliency._methods",
    "tabular_methods": "nnaudit.saliency._methods",
    "SIMILARITY_THRESHOLD": "nnaudit.saliency._sanity",
    "TABLES": "nnaudit.saliency._schemas",
}

__all__ = sorted(_PUBLIC)

__getattr__ = lazy_getattr(__name__, _PUBLIC)
