"""torchvision datasets: MNIST, Fashion-MNIST, CIFAR-10 (as in-memory tensors) and CelebA.

Files are read from ``data_dir`` in torchvision's layout. ``download=True`` (the default) lets
torchvision fetch missing files; without a network the error says which files to put where.
MNIST, Fashion-MNIST and CIFAR-10 have no sensitive attribute of their own: ``attributes=
"shades"`` adds the simulated tone and stroke of `nnaudit.data.shades` (skewed in training,
balanced in test). CelebA's 40 binary attributes serve as target and sensitive attributes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import torch
import torchvision
from torchvision.datasets.mnist import read_image_file, read_label_file
from torchvision.datasets.utils import extract_archive

from nnaudit.data.dataset import AuditDataset, Split, make_card
from nnaudit.data.shades import ATTRIBUTE_DEFINITIONS, assign_shades, render_shades
from nnaudit.errors import UserInputError

DEFAULT_DATA_DIR = Path("~/.cache/nnaudit/data")

_NO_ATTRIBUTE_LIMIT = ("This dataset has no sensitive attribute of its own: without "
                       "attributes='shades' the fairness audit can only compare classes.")


def _data_dir(data_dir: Path | None) -> Path:
    return (data_dir or DEFAULT_DATA_DIR).expanduser()


def _download_failed(name: str, folder: Path | str, files: Sequence[str],
                     error: Exception | None) -> UserInputError:
    """``folder``: a path (quoted in the sentence) or the places in words."""
    folder = repr(str(folder)) if isinstance(folder, Path) else folder
    reason = "download was off" if error is None else f"the download failed ({type(error).__name__})"
    return UserInputError(
        f"{name} files are missing and {reason}: put {', '.join(files)} in {folder} "
        "(or run once with network access and download on).")


def _read_idx_pair(cls, root: Path, prefix: str, download: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Images and labels of one MNIST-format split, from raw files (``.gz`` or extracted), in
    torchvision's layout (``root/MNIST/raw``) or straight in ``root`` (as the MNIST site and
    most mirrors ship them). The data folder is only read: archives are extracted elsewhere."""
    names = [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]
    torchvision_layout = root / cls.__name__ / "raw"

    def holds_all(folder: Path) -> bool:
        return all((folder / n).is_file() or (folder / f"{n}.gz").is_file() for n in names)

    raw = next((f for f in (torchvision_layout, root) if holds_all(f)), None)
    if raw is None:
        error = None
        if download:
            try:
                cls(str(root), train=prefix == "train", download=True)
            except Exception as exc:  # any network or mirror failure: explain what to do instead
                error = exc
        if not holds_all(torchvision_layout):
            raise _download_failed(cls.__name__, f"{str(root)!r} or {str(torchvision_layout)!r}",
                                   [f"{n}.gz" for n in names], error)
        raw = torchvision_layout
    tensors = []
    with tempfile.TemporaryDirectory() as extracted:
        for name in names:
            path = raw / name
            if not path.is_file():
                path = Path(extract_archive(str(raw / f"{name}.gz"), extracted))
            tensors.append(read_image_file(str(path)) if "images" in name
                           else read_label_file(str(path)))
    return tensors[0], tensors[1]


def _finish(name: str, x: dict[str, torch.Tensor], y: dict[str, torch.Tensor], classes: list[str],
            attributes: str | None, skew: float, seed: int, val_size: float, card: dict) -> AuditDataset:
    """Carve the validation split out of train, add shades attributes if asked, build the card."""
    if attributes not in (None, "shades"):
        raise UserInputError(f"attributes must be 'shades' or left out, got {attributes!r}.")
    if not 0.0 <= float(skew) <= 1.0:
        raise UserInputError(f"skew must be a share between 0 and 1, got {skew!r}.")
    rng = np.random.default_rng(seed)
    order = torch.from_numpy(rng.permutation(len(y["train"])))
    n_val = round(val_size * len(order))
    parts = {"train": order[n_val:].sort().values, "val": order[:n_val].sort().values}
    x["train"], x["val"] = x["train"][parts["train"]], x["train"][parts["val"]]
    y["train"], y["val"] = y["train"][parts["train"]], y["train"][parts["val"]]
    splits = {}
    for split in ("train", "val", "test"):
        images = x[split]
        if attributes == "shades":
            groups = assign_shades(y[split].numpy(), 0.5 if split == "test" else skew, rng)
            images = render_shades(images, groups)
        else:
            groups = pd.DataFrame(index=pd.RangeIndex(len(images)))
        splits[split] = Split(x=images, y=y[split], groups=groups)
    shaded = attributes == "shades"
    card = make_card(name, splits=splits, **card,
                     attributes=ATTRIBUTE_DEFINITIONS if shaded else {},
                     simulated_attributes=shaded,
                     limits=_card_limits(shaded), skew=float(skew) if shaded else None)
    return AuditDataset(name, splits["train"], splits["val"], splits["test"], classes=classes,
                        sensitive=list(groups.columns), card=card)


def _card_limits(shaded: bool) -> list[str]:
    if shaded:
        return ["The tone and stroke attributes are simulated renderings assigned at random; "
                "they describe no person."]
    return [_NO_ATTRIBUTE_LIMIT]


def _mnist_like(cls, name: str, classes: list[str], card: dict, *, seed: int, data_dir: Path | None,
                download: bool, test_only: bool, test_share: float, attributes: str | None,
                skew: float, val_size: float) -> AuditDataset:
    if not 0.0 < float(test_share) <= 1.0:
        raise UserInputError(f"test_share must be a share in (0, 1], got {test_share!r}.")
    root = _data_dir(data_dir)
    images, labels = _read_idx_pair(cls, root, "t10k", download)
    x_test = images.unsqueeze(1).float().div_(255.0)
    if test_only:
        # Only the official test files are needed: split them into train(+val) and test;
        # test_share=1 keeps every official test image for the test split (auditing a model
        # trained elsewhere).
        cut = torch.from_numpy(np.random.default_rng(seed + 7).permutation(len(labels)))
        n_train = round((1 - test_share) * len(labels))
        x = {"train": x_test[cut[:n_train]], "test": x_test[cut[n_train:]]}
        y = {"train": labels[cut[:n_train]], "test": labels[cut[n_train:]]}
        card = {**card, "source": card["source"] + " (official test files only, "
                f"{100 * (1 - test_share):g} % for training, {100 * test_share:g} % for test)"}
    else:
        train_images, train_labels = _read_idx_pair(cls, root, "train", download)
        x = {"train": train_images.unsqueeze(1).float().div_(255.0), "test": x_test}
        y = {"train": train_labels, "test": labels}
    return _finish(name, x, y, classes, attributes, skew, seed, val_size, card)


def load_mnist(*, seed: int = 0, data_dir: Path | None = None, download: bool = True,
               test_only: bool = False, test_share: float = 0.3, attributes: str | None = None,
               skew: float = 0.05, val_size: float = 0.1) -> AuditDataset:
    """MNIST from ``data_dir/MNIST/raw``; ``test_only`` uses only the t10k files, of which
    ``test_share`` form the test split."""
    return _mnist_like(torchvision.datasets.MNIST, "mnist", [str(d) for d in range(10)],
                       dict(source="MNIST, torchvision layout", license="CC BY-SA 3.0",
                            citation="LeCun, Cortes & Burges, The MNIST database (1998)"),
                       seed=seed, data_dir=data_dir, download=download, test_only=test_only,
                       test_share=test_share, attributes=attributes, skew=skew,
                       val_size=val_size)


def load_fashion_mnist(*, seed: int = 0, data_dir: Path | None = None, download: bool = True,
                       test_only: bool = False, test_share: float = 0.3,
                       attributes: str | None = None, skew: float = 0.05,
                       val_size: float = 0.1) -> AuditDataset:
    """Fashion-MNIST from ``data_dir/FashionMNIST/raw``."""
    return _mnist_like(torchvision.datasets.FashionMNIST, "fashion-mnist",
                       list(torchvision.datasets.FashionMNIST.classes),
                       dict(source="Fashion-MNIST, torchvision layout", license="MIT",
                            citation="Xiao, Rasul & Vollgraf, Fashion-MNIST (arXiv:1708.07747, 2017)"),
                       seed=seed, data_dir=data_dir, download=download, test_only=test_only,
                       test_share=test_share, attributes=attributes, skew=skew,
                       val_size=val_size)


def load_cifar10(*, seed: int = 0, data_dir: Path | None = None, download: bool = True,
                 attributes: str | None = None, skew: float = 0.05, val_size: float = 0.1) -> AuditDataset:
    """CIFAR-10 from ``data_dir/cifar-10-batches-py``."""
    root = _data_dir(data_dir)
    x, y, classes = {}, {}, []
    for split in ("train", "test"):
        try:
            data = torchvision.datasets.CIFAR10(str(root), train=split == "train", download=download)
        except Exception as error:  # noqa: BLE001  network failure or missing files
            raise _download_failed("CIFAR-10", root, ["cifar-10-python.tar.gz (or its extracted "
                                   "cifar-10-batches-py/ folder)"], error if download else None) from None
        x[split] = torch.from_numpy(data.data).permute(0, 3, 1, 2).float().div_(255.0)
        y[split] = torch.as_tensor(data.targets, dtype=torch.int64)
        classes = list(data.classes)
    return _finish("cifar10", x, y, classes, attributes, skew, seed, val_size,
                   dict(source="CIFAR-10, torchvision layout", license="unspecified (MIT-style use)",
                        citation="Krizhevsky, Learning multiple layers of features from tiny images (2009)"))


class _CelebAImages(torch.utils.data.Dataset):
    """Lazily decoded CelebA images (202,599 JPEGs do not fit in memory as float tensors)."""

    def __init__(self, celeba, index: torch.Tensor, y: torch.Tensor, image_size: int):
        self.celeba, self.index, self.y = celeba, index, y
        self.transform = torchvision.transforms.Compose([
            torchvision.transforms.Resize(image_size), torchvision.transforms.CenterCrop(image_size),
            torchvision.transforms.ToTensor()])

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int):
        image, _ = self.celeba[int(self.index[i])]
        return self.transform(image), self.y[i]


def load_celeba(*, seed: int = 0, data_dir: Path | None = None, download: bool = True,
                target: str = "Smiling", sensitive: Sequence[str] = ("Male", "Young"),
                image_size: int = 64) -> AuditDataset:
    """CelebA aligned faces; ``target`` and ``sensitive`` are names among its 40 attributes.

    Uses CelebA's official train/valid/test partition; images are streamed (``Split.stream``).
    """
    root = _data_dir(data_dir)
    splits = {}
    for split, official in (("train", "train"), ("val", "valid"), ("test", "test")):
        try:
            celeba = torchvision.datasets.CelebA(str(root), split=official, target_type="attr",
                                                 download=download)
        except Exception as error:  # noqa: BLE001  network failure or missing files
            raise _download_failed("CelebA", root / "celeba", [
                "img_align_celeba/ (unzipped)", "list_attr_celeba.txt", "list_eval_partition.txt",
                "identity_CelebA.txt", "list_bbox_celeba.txt", "list_landmarks_align_celeba.txt"],
                error if download else None) from None
        names = list(celeba.attr_names[:40])
        unknown = [a for a in [target, *sensitive] if a not in names]
        if unknown:
            raise UserInputError(f"CelebA has no attribute {unknown[0]!r}; its attributes are: {', '.join(names)}.")
        attr = celeba.attr
        y = attr[:, names.index(target)].long()
        groups = pd.DataFrame({s: np.where(attr[:, names.index(s)].numpy() == 1, s, f"not {s}")
                               for s in sensitive})
        stream = _CelebAImages(celeba, torch.arange(len(y)), y, image_size)
        splits[split] = Split(x=None, y=y, groups=groups, stream=stream)
    card = make_card(
        "celeba", splits=splits, source="CelebA aligned and cropped faces, torchvision layout",
        citation="Liu, Luo, Wang & Tang, Deep learning face attributes in the wild (ICCV 2015)",
        license="non-commercial research only (CelebA agreement)",
        attributes={s: f"CelebA binary annotation {s!r}, as labelled by annotators" for s in sensitive},
        simulated_attributes=False,
        limits=["CelebA's attributes are annotators' perceptions of celebrities' photos, not "
                "self-identified; 'Male' is binary and 'Young' is undefined.",
                "Celebrities are not a sample of any population."],
        target=target)
    return AuditDataset("celeba", splits["train"], splits["val"], splits["test"],
                        classes=[f"not {target}", target], sensitive=list(sensitive), card=card,
                        positive_class=target)
