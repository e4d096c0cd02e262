"""nnaudit: train the classic course networks, or bring your own model, and audit them.

    import nnaudit
    run = nnaudit.audit("my_models.py:build", "shades-mnist", weights="weights.pt")
    nnaudit.load_run(run.path).findings("fairness")

The public API is imported lazily so that `nnaudit --help` starts without importing torch.
docs/ARCHITECTURE.md describes each part; docs/your-model.md shows how to bring a model.

May import: nothing eagerly (names load on first use), so `import nnaudit` stays light.
"""

from nnaudit._lazy import lazy_getattr

__version__ = "0.1.0"

_PUBLIC = {
    "audit": "nnaudit.api",
    "load_run": "nnaudit.api",
    "UserInputError": "nnaudit.errors",
    "AuditResult": "nnaudit.results",
    "Finding": "nnaudit.results",
    "Run": "nnaudit.store",
    "RunWriter": "nnaudit.store",
    "list_runs": "nnaudit.store",
    "RunConfig": "nnaudit.config",
    "load_config": "nnaudit.config",
    "TrainConfig": "nnaudit.config",
    "load_dataset": "nnaudit.data",
    "list_datasets": "nnaudit.data",
    "train_model": "nnaudit.train",
    "fairness_audit": "nnaudit.fairness",
    "memorization_audit": "nnaudit.generalization",
    "membership_audit": "nnaudit.generalization",
    "seed_stability_audit": "nnaudit.generalization",
    "gradient_health_audit": "nnaudit.generalization",
    "saliency_audit": "nnaudit.saliency",
    "robustness_audit": "nnaudit.robustness",
    "EnergyMeter": "nnaudit.energy",
    "run_pipeline": "nnaudit.pipeline",
    "run_audit": "nnaudit.pipeline",
    "run_blackbox": "nnaudit.pipeline",
    "mitigate": "nnaudit.mitigation",
}

__all__ = sorted(_PUBLIC)

__getattr__ = lazy_getattr(__name__, _PUBLIC)
