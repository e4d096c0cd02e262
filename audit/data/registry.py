"""Datasets by name: `load_dataset(name, seed=..., data_dir=..., **options)` and `list_datasets()`.

Each loader is a function with keyword-only options; an option it does not take is reported
with the list of those it does, so a typo in a config never passes silently. A user's own
dataset is added with `register`, or by a package through the ``nnaudit.datasets`` entry-point
group (each entry point names a loader ``loader(*, seed, **options) -> AuditDataset``; its
docstring's first line is the description).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any, Callable

from nnaudit._plugins import Registry
from nnaudit.data.dataset import AuditDataset
from nnaudit.errors import UserInputError

ENTRY_POINT_GROUP = "nnaudit.datasets"

@dataclass(frozen=True)
class _Loader:
    description: str
    function: Callable[..., AuditDataset] | None = None  # a user's loader
    module: str = ""                                     # a built-in one, imported on use
    name: str = ""

    def resolve(self) -> Callable[..., AuditDataset]:
        return self.function or getattr(import_module(f"nnaudit.data.{self.module}"), self.name)


# name: (module, loader function, one-line description). Modules are imported on use, so that
# building shades-mnist on every run does not pay for torchvision's or scikit-learn's import.
_BUILTIN_TABLE: dict[str, tuple[str, str, str]] = {
    "shades-mnist": ("shades_mnist", "load_shades_mnist",
                     "5,000 real MNIST digits (embedded, offline) with simulated tone and stroke attributes"),
    "mnist": ("torchvision_sets", "load_mnist", "MNIST digits from torchvision files in data_dir"),
    "fashion-mnist": ("torchvision_sets", "load_fashion_mnist",
                      "Fashion-MNIST clothing images from torchvision files in data_dir"),
    "cifar10": ("torchvision_sets", "load_cifar10", "CIFAR-10 colour images from torchvision files in data_dir"),
    "celeba": ("torchvision_sets", "load_celeba",
               "CelebA faces; any of its 40 attributes as target or sensitive attribute"),
    "image-folder": ("image_folder", "load_image_folder",
                     "a folder of images with a metadata CSV (UTKFace / FairFace style)"),
    "csv": ("tabular", "load_csv", "a tabular CSV: target column, sensitive columns, other columns as features"),
    "adult": ("tabular", "load_adult", "UCI Adult census income (adult.data, adult.test in data_dir)"),
    "german": ("tabular", "load_german", "UCI Statlog German credit (german.data in data_dir)"),
}
_REGISTRY = Registry("dataset", "loader", ENTRY_POINT_GROUP,
                     {name: _Loader(description, module=module, name=function)
                      for name, (module, function, description) in _BUILTIN_TABLE.items()},
                     lambda loader, description: _Loader(description, loader))


def register(name: str, loader: Callable[..., AuditDataset], description: str = "", *,
             replace: bool = False) -> None:
    """Make ``loader(*, seed, **options)`` available as dataset ``name``.

    The loader returns an `AuditDataset`; it may take ``data_dir`` (the ``--data-dir`` folder).
    Registering a name that exists is an error unless ``replace``.
    """
    _REGISTRY.register(name, loader, description, replace=replace)


def list_datasets() -> list[tuple[str, str]]:
    """(name, one-line description) for every dataset `load_dataset` knows."""
    return [(name, entry.description) for name, entry in _REGISTRY.entries().items()]


def load_dataset(name: str, *, seed: int = 0, data_dir: Path | str | None = None,
                 **options: Any) -> AuditDataset:
    """Load dataset ``name`` with train/val/test splits, sensitive groups and a dataset card.

    ``data_dir`` is where file-based datasets live; ``options`` are the loader's own keyword
    options (see docs/datasets.md).
    """
    entries = _REGISTRY.entries()
    if name not in entries:
        raise UserInputError(f"unknown dataset {name!r}; choose one of: {', '.join(entries)}.")
    loader = entries[name].resolve()
    accepted = [p for p in inspect.signature(loader).parameters if p != "seed"]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise UserInputError(
            f"dataset {name!r} has no option {unknown[0]!r}; its options are: "
            f"{', '.join(a for a in accepted if a != 'data_dir') or 'none'}.")
    if "data_dir" in accepted:
        options["data_dir"] = Path(data_dir).expanduser() if data_dir is not None else None
    dataset = loader(seed=seed, **options)
    if not isinstance(dataset, AuditDataset):
        raise UserInputError(f"the loader of dataset {name!r} returned a "
                             f"{type(dataset).__name__}, not an AuditDataset.")
    return dataset
