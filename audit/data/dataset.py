"""The two types every loader returns: `Split` (tensors + sensitive groups) and `AuditDataset`.

Also the small helpers all loaders share, so each loader only says what is particular to its
source: seeded stratified splits, subgroup counts for the dataset card, and the card itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
import torch

from nnaudit.errors import UserInputError, one_line


@dataclass
class Split:
    """One split of a dataset.

    ``x`` is float32, images (N, C, H, W) in [0, 1] or tabular features (N, F) already scaled;
    it is None only when the images do not fit in memory, and then ``stream`` is a torch
    Dataset of ``(x_i, y_i)`` pairs decoded lazily. ``groups`` holds one str column per
    sensitive attribute, row i describing example i.
    """

    x: torch.Tensor | None
    y: torch.Tensor
    groups: pd.DataFrame
    stream: torch.utils.data.Dataset | None = None

    def __len__(self) -> int:
        return len(self.y)


@dataclass
class AuditDataset:
    """Train/val/test splits of one dataset, its class names, sensitive columns and card."""

    name: str
    train: Split
    val: Split
    test: Split
    classes: list[str]
    sensitive: list[str]
    card: dict
    positive_class: str | None = None

    @property
    def input_shape(self) -> tuple[int, ...]:
        split = self.train
        if split.x is not None:
            return tuple(split.x.shape[1:])
        return tuple(split.stream[0][0].shape)

    @property
    def num_classes(self) -> int:
        return len(self.classes)


def stratified_indices(y: np.ndarray, test_size: float | int, val_size: float | int,
                       seed: int, *, classes: Sequence[str] | None = None,
                       where: str = "the dataset") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded train/val/test index arrays, each with the class proportions of ``y``.

    Sizes are fractions of the whole or absolute counts, as in scikit-learn. A split that
    cannot keep the proportions (a class with one row, fewer test rows than classes) is a
    `UserInputError` naming ``where`` and the class too small (by its name in ``classes``).
    """
    from sklearn.model_selection import train_test_split  # ~1 s import, only for loaders that split

    index = np.arange(len(y))
    try:
        rest, test = train_test_split(index, test_size=test_size, stratify=y, random_state=seed)
        if isinstance(val_size, float):
            val_size = round(val_size * len(y))
        train, val = train_test_split(rest, test_size=val_size, stratify=y[rest],
                                      random_state=seed + 1)
    except ValueError:
        counts = np.bincount(y)
        smallest = int(np.argmin(counts))
        if counts[smallest] < 3:
            name = classes[smallest] if classes is not None else smallest
            raise UserInputError(
                f"class {str(name)!r} of {where} has {counts[smallest]} row(s); a train, "
                "validation and test split that keeps the class proportions needs at least 3 "
                "per class (drop or merge that class).") from None
        raise UserInputError(
            f"{where} has too few rows ({len(y)}) for a train, validation and test split of "
            f"{len(counts)} classes with test_size={test_size} and val_size={val_size}.") from None
    return np.sort(train), np.sort(val), np.sort(test)


def read_csv(path: Path, what: str = "CSV file", **read_options) -> pd.DataFrame:
    """A CSV file read by pandas; a missing path, a folder or content that is not CSV text is
    a `UserInputError` naming the file (``what`` says which file it is to the user)."""
    if path.is_dir():
        raise UserInputError(f"the {what} {str(path)!r} is a folder, not a file.")
    if not path.is_file():
        raise UserInputError(f"the {what} {str(path)!r} does not exist.")
    try:
        return pd.read_csv(path, **read_options)
    except ValueError as error:  # ParserError, EmptyDataError and UnicodeDecodeError among them
        raise UserInputError(f"the {what} {str(path)!r} cannot be read as CSV text "
                             f"({one_line(error)}).") from None


def check_classes(labels: Sequence[Any], where: str) -> list[str]:
    """Sorted class names of ``labels``; a target with fewer than two classes is an error."""
    classes = sorted({str(v) for v in labels})
    if len(classes) < 2:
        raise UserInputError(
            f"the target {where} has a single class ({classes[0] if classes else 'none'}); "
            "a classifier needs at least two.")
    return classes


def subgroup_counts(groups: pd.DataFrame) -> dict[str, int]:
    """Size of every intersection of the sensitive attributes, e.g. ``{"tone=dark, stroke=thin": 250}``."""
    if groups.shape[1] == 0:
        return {"all": len(groups)}
    counts = groups.value_counts(sort=False).sort_index()
    return {", ".join(f"{c}={v}" for c, v in zip(groups.columns, key if isinstance(key, tuple) else (key,))): int(n)
            for key, n in counts.items()}


def make_card(name: str, *, source: str, citation: str, license: str,
              splits: dict[str, Split], attributes: dict[str, str], simulated_attributes: bool,
              limits: list[str], **extra: Any) -> dict:
    """The dataset card with the keys ARCHITECTURE.md fixes; ``extra`` adds loader-specific keys."""
    return {
        "name": name,
        "source": source,
        "citation": citation,
        "license": license,
        "size": {split: len(s) for split, s in splits.items()},
        "attributes": attributes,
        "simulated_attributes": simulated_attributes,
        "subgroup_counts": {split: subgroup_counts(s.groups) for split, s in splits.items()},
        "limits": limits,
        **extra,
    }


def require_columns(frame: pd.DataFrame, columns: Sequence[str], where: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UserInputError(
            f"{where} has no column {', '.join(map(repr, missing))}; its columns are: "
            f"{', '.join(map(str, frame.columns))}.")


def sensitive_groups(frame: pd.DataFrame, columns: Sequence[str],
                     bins: dict[str, Sequence[float]] | None, where: str) -> pd.DataFrame:
    """One str column per sensitive attribute; numeric columns named in ``bins`` become bands.

    ``bins={"age": [0, 20, 40, 120]}`` gives the bands "0-20", "20-40", "40-120" (left edge
    included). A value outside every band, or a missing value, is an error naming the column.
    """
    bins = bins or {}
    unknown = sorted(set(bins) - set(columns))
    if unknown:
        raise UserInputError(f"bins are given for {unknown[0]!r}, which is not a sensitive column.")
    groups = {}
    for column in columns:
        values = frame[column]
        if column in bins:
            edges = list(bins[column])
            labels = [f"{lo:g}-{hi:g}" for lo, hi in zip(edges[:-1], edges[1:])]
            values = pd.cut(pd.to_numeric(values, errors="coerce"), edges, right=False, labels=labels)
        if values.isna().any():
            raise UserInputError(
                f"sensitive column {column!r} in {where} has {int(values.isna().sum())} missing "
                "or out-of-band values.")
        groups[column] = values.astype(str).to_numpy()
    return pd.DataFrame(groups)
