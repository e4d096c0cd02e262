"""nnaudit: train the classic course networks and audit them.

The public API is imported lazily so that `nnaudit --help` starts without importing torch.
"""

from audit._lazy import lazy_getattr

__version__ = "0.1.0"

_PUBLIC = {
    "UserInputError": "audit.errors",
    "AuditResult": "audit.results",
    "Finding": "audit.results",
    "Run": "audit.store",
    "RunWriter": "audit.store",
    "list_runs": "audit.store",
    "load_dataset": "audit.data",
    "list_datasets": "audit.data",
    "TrainConfig": "audit.train",
    "train_model": "audit.train",
    "fairness_audit": "audit.fairness",
    "generalization_audit": "audit.generalization",
    "saliency_audit": "audit.saliency",
    "EnergyMeter": "audit.energy",
    "run_pipeline": "audit.pipeline",
}

__all__ = sorted(_PUBLIC)

__getattr__ = lazy_getattr(__name__, _PUBLIC)
