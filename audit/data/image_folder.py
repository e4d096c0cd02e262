"""A folder of images described by a metadata CSV (UTKFace / FairFace style).

One CSV row per image: a file column (path relative to ``image_dir``), a target column and
sensitive columns; numeric attributes such as age can be cut into bands with ``bins``. Images
are decoded with torchvision.io and resized to ``image_size``. When the decoded dataset fits in
``max_memory_mb`` it is decoded once and cached as a uint8 tensor file next to the CSV (or in
``cache_dir``); otherwise each split is a lazily decoding `Split.stream`.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torchvision.io
import torchvision.transforms.v2.functional as TF

from nnaudit.data.dataset import (AuditDataset, Split, check_classes, make_card, read_csv,
                                require_columns, sensitive_groups, stratified_indices)
from nnaudit.errors import UserInputError
from nnaudit.atomic import atomic_torch_save


def decode_image(path: Path, image_size: tuple[int, int], grayscale: bool) -> torch.Tensor:
    """One image as uint8 (C, H, W), resized (with antialiasing); a bad file names itself."""
    mode = torchvision.io.ImageReadMode.GRAY if grayscale else torchvision.io.ImageReadMode.RGB
    try:
        image = torchvision.io.decode_image(str(path), mode=mode)
    except (RuntimeError, OSError, ValueError) as error:
        raise UserInputError(f"the image file {str(path)!r} cannot be decoded ({error}).") from None
    return TF.resize(image, list(image_size), antialias=True)


class LazyImages(torch.utils.data.Dataset):
    """``(image, label)`` pairs decoded on access, for folders too large for memory."""

    def __init__(self, files: Sequence[Path], y: torch.Tensor, image_size: tuple[int, int], grayscale: bool):
        self.files, self.y, self.image_size, self.grayscale = list(files), y, image_size, grayscale

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int):
        image = decode_image(self.files[i], self.image_size, self.grayscale)
        return image.float().div_(255.0), self.y[i]


def _cached_decode(files: list[Path], image_size: tuple[int, int], grayscale: bool,
                   cache_file: Path) -> torch.Tensor:
    """All images as one uint8 tensor, read from ``cache_file`` when a previous run wrote it."""
    shape = (len(files), 1 if grayscale else 3, *image_size)
    cached = _read_cache(cache_file, shape) if cache_file.is_file() else None
    if cached is not None:
        return cached
    images = torch.stack([decode_image(f, image_size, grayscale) for f in files])
    try:  # atomic: a crash never leaves half a cache, nor a temporary file
        atomic_torch_save(cache_file, images)
    except OSError:
        pass  # a read-only folder or a full disk only costs decoding again next time
    return images


def _read_cache(cache_file: Path, shape: tuple[int, ...]) -> torch.Tensor | None:
    """The cached images, or None when the file is not a cache of these images (another
    program's file under its name, a crafted pickle): they are decoded again and the file
    replaced. Loaded with weights_only=True, so no pickle in it runs; torch's error for such a
    file would advise weights_only=False, which must never reach a user."""
    try:
        images = torch.load(cache_file, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError):
        return None
    if isinstance(images, torch.Tensor) and images.dtype == torch.uint8 \
            and tuple(images.shape) == shape:
        return images
    return None


def load_image_folder(*, seed: int = 0, data_dir: Path | None = None, csv: str | None = None,
                      image_dir: str | None = None, file_column: str = "file",
                      target_column: str | None = None, sensitive_columns: Sequence[str] = (),
                      bins: dict | None = None, image_size: int | Sequence[int] = 64,
                      grayscale: bool = False, max_memory_mb: float = 2048,
                      cache_dir: str | None = None, test_size: float = 0.2,
                      val_size: float = 0.1) -> AuditDataset:
    """Images listed in a metadata CSV, with a target column and sensitive columns.

    Relative ``csv`` paths are read from ``data_dir``; ``image_dir`` defaults to the CSV's
    folder. ``image_size`` is one side (square) or (height, width).
    """
    if csv is None or target_column is None:
        raise UserInputError("the 'image-folder' dataset needs the options 'csv' and 'target_column'.")
    csv_path = Path(csv).expanduser()
    if data_dir is not None and not csv_path.is_absolute():
        csv_path = data_dir / csv_path
    frame = read_csv(csv_path, "metadata CSV")
    where = repr(str(csv_path))
    sensitive = list(sensitive_columns)
    require_columns(frame, [file_column, target_column, *sensitive], where)
    root = Path(image_dir).expanduser() if image_dir else csv_path.parent
    files = [root / str(name) for name in frame[file_column]]
    absent = [f for f in files if not f.is_file()]
    if absent:
        raise UserInputError(f"{len(absent)} image file(s) listed in {where} do not exist, e.g. {str(absent[0])!r}.")
    if frame[target_column].isna().any():
        raise UserInputError(f"the target column {target_column!r} of {where} has missing values.")
    labels = frame[target_column].astype(str).to_numpy()
    classes = check_classes(labels, f"column {target_column!r} of {where}")
    y_all = torch.from_numpy(np.searchsorted(classes, labels))
    groups_all = sensitive_groups(frame, sensitive, bins, where)
    size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    channels = 1 if grayscale else 3

    in_memory = len(files) * channels * size[0] * size[1] * 4 <= max_memory_mb * 2**20
    if in_memory:
        # The key covers the CSV's content and the decoding settings, so any change re-decodes.
        key = hashlib.sha256(csv_path.read_bytes() + repr((str(root), size, grayscale)).encode()).hexdigest()[:16]
        cache_folder = Path(cache_dir).expanduser() if cache_dir else csv_path.parent
        images = _cached_decode(files, size, grayscale, cache_folder / f"{csv_path.stem}.{key}.pt")

    indices = stratified_indices(y_all.numpy(), test_size, val_size, seed, classes=classes,
                                 where=where)
    splits = {}
    for split, index in zip(("train", "val", "test"), indices):
        index_t = torch.from_numpy(index)
        y = y_all[index_t]
        groups = groups_all.iloc[index].reset_index(drop=True)
        if in_memory:
            splits[split] = Split(x=images[index_t].float().div_(255.0), y=y, groups=groups)
        else:
            splits[split] = Split(x=None, y=y, groups=groups,
                                  stream=LazyImages([files[i] for i in index], y, size, grayscale))
    card = make_card(
        "image-folder", splits=splits, source=f"images in {str(root)!r} listed in {where}",
        citation="user-supplied image folder", license="as supplied",
        attributes={c: f"column {c!r} of the metadata CSV"
                    + (f", in bands {list(bins[c])}" if bins and c in bins else "") for c in sensitive},
        simulated_attributes=False,
        limits=["Sensitive attributes are as recorded in the metadata CSV; how they were "
                "labelled (self-reported or perceived) is the data owner's to state.",
                f"Images are resized to {size[0]}x{size[1]}, which may remove detail."],
        target=target_column, in_memory=in_memory)
    return AuditDataset("image-folder", splits["train"], splits["val"], splits["test"],
                        classes=classes, sensitive=sensitive, card=card)
