"""Datasets with sensitive attributes: each loader returns an `AuditDataset`.

See docs/ARCHITECTURE.md ("Data") for the contract and docs/datasets.md for each dataset.

May import: nnaudit.errors, nnaudit.atomic, nnaudit._plugins and the standard, numeric and
torch libraries; never the audits, the pipeline or the renderers.
"""

from nnaudit.data.dataset import AuditDataset, Split
from nnaudit.data.registry import list_datasets, load_dataset, register

__all__ = ["Split", "AuditDataset", "load_dataset", "list_datasets", "register"]
