"""Simulated sensitive attributes for digit images, after the Gender Shades setting.

Gender Shades (Buolamwini & Gebru 2018, "Gender Shades: Intersectional Accuracy Disparities in
Commercial Gender Classification") found that face classifiers trained on benchmarks where dark
skin was rare made far more errors on dark-skinned women. We cannot ship faces, so we give each
digit image two attributes that play the same role:

- ``tone``: ``light`` keeps the usual rendering (bright ink on a black background); ``dark``
  draws the digit in darker ink than its mid-grey background, with little contrast. The digit
  loses no information, so a model that saw enough dark images reads them as well as light
  ones; a model that saw few learns features tuned to the light rendering and errs on them.
- ``stroke``: ``thin`` or ``thick``, by grey-level morphological erosion or dilation of the ink.

Counts are exact: which images get which attributes is a seeded permutation, stratified over the
classes, so ``dark_share`` of the images are dark and half of each tone is thick.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

# The dark rendering, on the [0, 1] scale. Tuned so that LeNet-5 trained with 5 % dark images
# errs clearly more on them, while a balanced training set closes most of the gap; a brighter,
# low-contrast ink on grey left too small a gap (docs/datasets.md records the measurements).
DARK_BACKGROUND = 0.6
DARK_INK = 0.25

ATTRIBUTE_DEFINITIONS = {
    "tone": f"simulated: 'dark' images are drawn in dark ink with low contrast on a mid-grey "
            f"background (background {DARK_BACKGROUND}, ink {DARK_INK} on a 0-1 scale); 'light' "
            "images keep the usual bright ink on black.",
    "stroke": "simulated: 'thick' strokes are a 3x3 grey-level dilation of the image, 'thin' "
              "strokes a 2x2 grey-level erosion at twice the resolution (half a pixel thinner).",
}


def class_balanced_order(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Positions of ``y`` in an order that cycles through the classes (each class shuffled).

    Taking the first k of this order picks k items whose class counts differ by at most one.
    """
    rank = np.empty(len(y), dtype=np.int64)
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        rank[rng.permutation(members)] = np.arange(len(members))
    tie_break = rng.permutation(len(y))
    return np.lexsort((tie_break, rank))


def assign_shades(y: np.ndarray, dark_share: float, rng: np.random.Generator) -> pd.DataFrame:
    """Assign ``tone`` and ``stroke`` to images with labels ``y``, with exact counts.

    ``round(dark_share * N)`` images are dark; within each tone, half (rounded down) are thick.
    Both choices are spread evenly over the classes so an attribute never stands for a digit.
    """
    n = len(y)
    dark = np.zeros(n, dtype=bool)
    dark[class_balanced_order(y, rng)[: round(dark_share * n)]] = True
    thick = np.zeros(n, dtype=bool)
    for members in (np.flatnonzero(dark), np.flatnonzero(~dark)):
        chosen = class_balanced_order(y[members], rng)[: len(members) // 2]
        thick[members[chosen]] = True
    return pd.DataFrame({
        "tone": np.where(dark, "dark", "light"),
        "stroke": np.where(thick, "thick", "thin"),
    })


def render_shades(images: torch.Tensor, groups: pd.DataFrame) -> torch.Tensor:
    """Render ``images`` (N, C, H, W) in [0, 1], bright ink on dark ground, with their attributes.

    Thick strokes: 3x3 grey dilation. Thin strokes: 2x2 grey erosion (a 3x3 one erases many
    MNIST strokes). Dark tone: ``DARK_BACKGROUND + (DARK_INK - DARK_BACKGROUND) * x``.
    Vectorized over the batch.
    """
    thick = torch.from_numpy((groups["stroke"] == "thick").to_numpy(copy=True))
    dark = torch.from_numpy((groups["tone"] == "dark").to_numpy(copy=True))
    dilated = F.max_pool2d(images, 3, stride=1, padding=1)
    # Erode at twice the resolution, so thin strokes lose half a pixel of width, not two:
    # MNIST strokes are 2-3 pixels wide and a full-resolution erosion breaks many digits.
    fine = F.interpolate(images, scale_factor=2, mode="bilinear", align_corners=False)
    fine = -F.max_pool2d(F.pad(-fine, (0, 1, 0, 1), value=0.0), 2, stride=1)
    eroded = F.avg_pool2d(fine, 2)
    out = torch.where(thick[:, None, None, None], dilated, eroded)
    dark_render = DARK_BACKGROUND + (DARK_INK - DARK_BACKGROUND) * out
    return torch.where(dark[:, None, None, None], dark_render, out)
