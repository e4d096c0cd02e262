"""Per-subgroup views of the attributions: does the model look at different things per group?

Images: mean |attribution| maps per sensitive-attribute value and per class, and the share of
attribution mass on the foreground (the digit) versus the background. Tabular: mean |attribution|
per feature, overall and per subgroup, with each feature's rank.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

# A pixel is foreground when its gray level differs from the image's median (its background
# level, since digits cover a minority of the pixels) by more than this, on the [0, 1] scale.
# The median adapts to tinted backgrounds (shades-mnist's dark tones), where a fixed "ink > 0"
# rule would call the whole image foreground.
FOREGROUND_DELTA = 0.2

ALL = "all"


def abs_maps(maps: torch.Tensor) -> np.ndarray:
    """(N, H, W) |attribution| summed over channels, or (N, F) |attribution| for tabular."""
    m = maps.detach().abs()
    return (m.sum(dim=1) if m.dim() == 4 else m).cpu().numpy()


def foreground_mask(x: torch.Tensor) -> np.ndarray:
    """(N, H, W) bool: pixels far from the image's median gray level (see FOREGROUND_DELTA)."""
    gray = x.detach().float().mean(dim=1).cpu()
    background = gray.flatten(1).median(dim=1).values[:, None, None]
    return ((gray - background).abs() > FOREGROUND_DELTA).numpy()


def group_masks(groups: pd.DataFrame) -> list[tuple[str, str, np.ndarray]]:
    """(attribute, value, boolean row mask) for everyone and each value of each attribute."""
    masks = [(ALL, ALL, np.ones(len(groups), dtype=bool))]
    for column in groups.columns:
        values = groups[column].astype(str).to_numpy()
        masks += [(column, value, values == value) for value in sorted(set(values))]
    return masks


def foreground_share_table(maps: dict[str, torch.Tensor], foreground: np.ndarray,
                           groups: pd.DataFrame) -> pd.DataFrame:
    """Share of |attribution| on the foreground, per method and subgroup, with the share of
    pixels that are foreground (what a map blind to the digit would give)."""
    pixel_share = foreground.reshape(len(foreground), -1).mean(axis=1)
    rows = []
    for method, m in maps.items():
        mass = abs_maps(m)
        total = mass.reshape(len(mass), -1).sum(axis=1)
        on_digit = (mass * foreground).reshape(len(mass), -1).sum(axis=1)
        share = np.divide(on_digit, total, out=np.full_like(total, np.nan), where=total > 0)
        for attribute, value, rows_in in group_masks(groups):
            if rows_in.any():
                rows.append({"method": method, "attribute": attribute, "subgroup": value,
                             "n": int(rows_in.sum()),
                             "foreground_share": float(np.nanmean(share[rows_in])),
                             "foreground_pixel_share": float(pixel_share[rows_in].mean())})
    return pd.DataFrame(rows)


def mean_maps(maps: torch.Tensor, groups: pd.DataFrame, classes: list[str],
              y_pred: np.ndarray) -> dict[tuple[str, str], np.ndarray]:
    """Mean |attribution| map per (attribute, value) and per ("predicted class", name)."""
    mass = abs_maps(maps)
    means = {(a, v): mass[rows].mean(axis=0) for a, v, rows in group_masks(groups) if rows.any()}
    for index, name in enumerate(classes):
        if (y_pred == index).any():
            means[("predicted class", name)] = mass[y_pred == index].mean(axis=0)
    return means


def feature_importance_table(maps: dict[str, torch.Tensor], groups: pd.DataFrame,
                             feature_names: list[str]) -> pd.DataFrame:
    """Mean |attribution| per feature, per method and subgroup; rank 1 = most important."""
    rows = []
    for method, m in maps.items():
        mass = abs_maps(m)
        for attribute, value, rows_in in group_masks(groups):
            if not rows_in.any():
                continue
            mean = mass[rows_in].mean(axis=0)
            ranks = (-mean).argsort().argsort() + 1
            rows += [{"method": method, "attribute": attribute, "subgroup": value,
                      "n": int(rows_in.sum()), "feature": feature,
                      "mean_abs_attribution": float(mean[j]), "rank": int(ranks[j])}
                     for j, feature in enumerate(feature_names)]
    return pd.DataFrame(rows)
