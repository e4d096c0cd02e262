"""nnaudit: train the classic course networks and audit them.

The public API is imported lazily so that `nnaudit --help` starts without importing torch.
"""

from nnaudit._lazy import lazy_getattr

__version__ = "0.1.0"

_PUBLIC = {
    "UserInputError": "nnaudit.errors",
    "AuditResult": "nnaudit.results",
    "Finding": "nnaudit.results",
    "Run": "nnaudit.store",
    "RunWriter": "nnaudit.store",
    "list_runs": "nnaudit.store",
    "load_dataset": "nnaudit.data",
    "list_datasets": "nnaudit.data",
    "TrainConfig": "nnaudit.train",
    "train_model": "nnaudit.train",
    "fairness_audit": "nnaudit.fairness",
    "generalization_audit": "nnaudit.generalization",
    "saliency_audit": "nnaudit.saliency",
    "robustness_audit": "nnaudit.robustness",
    "EnergyMeter": "nnaudit.energy",
    "run_pipeline": "nnaudit.pipeline",
}

__all__ = sorted(_PUBLIC)

__getattr__ = lazy_getattr(__name__, _PUBLIC)
