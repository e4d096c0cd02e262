"""The robustness audit: fix the parameters, vary the inputs, per subgroup.

`robustness_audit(model, test_split, classes, device, ...)` returns one `AuditResult` named
``robustness``: accuracy under common corruptions (after MNIST-C and CIFAR-10-C) and under
FGSM and PGD attacks (captum.robust), per subgroup with intervals, each image's smallest
flipping radius, and the comparison with the model's own test split when the audit runs on
another dataset. `CORRUPTIONS` and `ATTACKS` list what it can run. See docs/robustness.md.

Names are imported lazily, as in `audit/__init__.py`.

May import: nnaudit.modelprep, nnaudit.stats, nnaudit.train, nnaudit.config, nnaudit.results,
nnaudit.schema, nnaudit.errors, captum; never another audit, the pipeline or the renderers.
"""

from nnaudit._lazy import lazy_getattr

_PUBLIC = {
    "robustness_audit": "nnaudit.robustness._audit",
    "run": "nnaudit.robustness._audit",  # the entry point the pipeline calls (nnaudit.audits)
    "CORRUPTIONS": "nnaudit.robustness._corruptions",
    "MAX_SEVERITY": "nnaudit.robustness._corruptions",
    "ATTACKS": "nnaudit.robustness._attacks",
    "corrupt": "nnaudit.robustness._corruptions",
    "TABLES": "nnaudit.robustness._schemas",
}

__all__ = sorted(_PUBLIC)

__getattr__ = lazy_getattr(__name__, _PUBLIC)
