"""Generalization audits: memorization, membership leakage, seed stability, gradient health.

Zhang et al. 2016 ("Understanding deep learning requires rethinking generalization") showed that
a network fitting true labels also fits random ones; these audits run that test on the user's
architecture and data, and the questions that follow from it. Each is its own audit because
each needs something else (`nnaudit.audits`), and each has its entry-point module
(`run(inputs)` and `TABLES`: `nnaudit.generalization.memorization`, `.membership`,
`.seed_stability`, `.gradient_health`):

- `memorization_audit`: random labels, the label-noise sweep and the regularizer ablation. It
  retrains the architecture: it needs a model factory and training data.
- `membership_audit`: a loss-threshold attack on the audited model (and on the random-label
  model when the memorization audit ran). It needs the model and the examples it was trained on.
- `seed_stability_audit`: the architecture retrained with several seeds (a factory again).
- `gradient_health_audit`: per-layer gradient norms, from initialization when a factory is
  given, at the trained weights otherwise.

See docs/generalization.md for what each result means and what it does not prove.

May import: nnaudit.compute, nnaudit.train, nnaudit.models, nnaudit.config, nnaudit.results,
nnaudit.schema, nnaudit.errors; never another audit, the pipeline or the renderers.
"""

from nnaudit._lazy import lazy_getattr

_PUBLIC = {
    "memorization_audit": "nnaudit.generalization._audit",
    "membership_audit": "nnaudit.generalization._audit",
    "seed_stability_audit": "nnaudit.generalization._audit",
    "gradient_health_audit": "nnaudit.generalization._audit",
    "MEMORIZATION_TABLES": "nnaudit.generalization._schemas",
    "MEMBERSHIP_TABLES": "nnaudit.generalization._schemas",
    "SEED_TABLES": "nnaudit.generalization._schemas",
    "GRADIENT_TABLES": "nnaudit.generalization._schemas",
}

__all__ = sorted(_PUBLIC)

__getattr__ = lazy_getattr(__name__, _PUBLIC)
