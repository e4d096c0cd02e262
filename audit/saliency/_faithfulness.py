"""Faithfulness: deletion and insertion curves (Petsiuk et al. 2018, "RISE", section 4.1).

Deletion removes the most important pixels first (replaced by black, 0) and follows the
probability of the target class: a faithful map makes it fall fast (low AUC). Insertion starts
from a blurred copy of the image and puts the original pixels back, most important first: a
faithful map makes it rise fast (high AUC). Both are compared with a random pixel order. For
tabular inputs the "pixels" are features and both baselines are 0 (the mean of a standardized
feature). Optional: Captum's infidelity (Yeh et al. 2019) and max-sensitivity.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from captum.metrics import infidelity, sensitivity_max
from scipy.integrate import trapezoid  # np.trapezoid needs numpy 2; numpy>=1.24 is allowed
from torch import nn
from torchvision.transforms.functional import gaussian_blur

from nnaudit.saliency._methods import AttributionMethod

RANDOM_ORDER = "random order"


def importance(maps: torch.Tensor, kind: str) -> torch.Tensor:
    """(N, P) importance per pixel position (channels summed) or per feature."""
    values = maps if kind == "contribution" else maps.abs()
    return values.sum(dim=1).flatten(1) if maps.dim() == 4 else values


def deletion_insertion_curves(model: nn.Module, x: torch.Tensor, target: torch.Tensor,
                              ranking: dict[str, torch.Tensor], *, steps: int = 20,
                              seed: int = 0, batch_size: int = 1024) -> pd.DataFrame:
    """Mean target probability after each step, per method, plus a random-order control.

    ranking: method -> (N, P) importance; higher means removed (or inserted) earlier.
    Returns rows ``method, curve ("deletion" | "insertion"), fraction, probability``.
    """
    generator = torch.Generator().manual_seed(seed)
    n, positions = len(x), next(iter(ranking.values())).shape[1]
    random_rank = torch.argsort(torch.rand(n, positions, generator=generator), dim=1).to(x.device)
    ranks = {name: _rank(scores) for name, scores in ranking.items()}
    ranks[RANDOM_ORDER] = random_rank
    is_image = x.dim() == 4
    start_points = {"deletion": (x, torch.zeros_like(x)),
                    "insertion": (_blur(x) if is_image else torch.zeros_like(x), x)}
    fractions = np.linspace(0.0, 1.0, steps + 1)
    rows = []
    for name, rank in ranks.items():
        for curve, (before, after) in start_points.items():
            probs = _probabilities_along(model, before, after, rank, target, fractions,
                                         is_image, batch_size)
            rows += [{"method": name, "curve": curve, "fraction": float(f), "probability": float(p)}
                     for f, p in zip(fractions, probs)]
    return pd.DataFrame(rows)


def curve_aucs(curves: pd.DataFrame) -> pd.DataFrame:
    """Area under each curve (trapezoid over the fraction of pixels changed)."""
    rows = []
    for (method, curve), part in curves.groupby(["method", "curve"], sort=False):
        part = part.sort_values("fraction")
        rows.append({"method": method, "curve": curve,
                     "auc": float(trapezoid(part["probability"], part["fraction"]))})
    table = pd.DataFrame(rows).pivot(index="method", columns="curve", values="auc")
    table = table.rename(columns={"deletion": "deletion_auc", "insertion": "insertion_auc"})
    return table.reset_index().rename_axis(columns=None)


def captum_scores(model: nn.Module, x: torch.Tensor, target: torch.Tensor,
                  method: AttributionMethod, maps: torch.Tensor, *, n_perturb_samples: int = 8,
                  seed: int = 0) -> dict[str, float]:
    """Captum's infidelity (Gaussian perturbations, std 0.1) and max-sensitivity (radius 0.02)."""

    def perturb(inputs):
        noise = torch.randn(inputs.shape, generator=generator, device="cpu").to(inputs) * 0.1
        return noise, inputs - noise

    def explain(inputs, target):
        # sensitivity_max hands the inputs over as a one-element tuple
        if isinstance(inputs, tuple):
            return (method.attribute(model, inputs[0], target),)
        return method.attribute(model, inputs, target)

    generator = torch.Generator().manual_seed(seed)
    infid = infidelity(model, perturb, x, maps, target=target,
                       n_perturb_samples=n_perturb_samples, normalize=True)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        sens = sensitivity_max(explain, x, n_perturb_samples=n_perturb_samples, target=target)
    return {"infidelity": float(infid.mean()), "sensitivity_max": float(sens.mean())}


def _rank(scores: torch.Tensor) -> torch.Tensor:
    """rank[i, p] = position of pixel p in example i's most-important-first order."""
    order = torch.argsort(scores, dim=1, descending=True, stable=True)
    rank = torch.empty_like(order)
    rank.scatter_(1, order, torch.arange(scores.shape[1], device=scores.device).expand_as(order))
    return rank


@torch.no_grad()
def _probabilities_along(model, before, after, rank, target, fractions, is_image, batch_size):
    """Mean target probability when the first ``fraction`` of ranked positions take ``after``.

    All steps go through the model as one stacked batch (in chunks) rather than step by step.
    """
    n, positions = rank.shape
    counts = torch.tensor([round(f * positions) for f in fractions], device=rank.device)
    changed = rank[None] < counts[:, None, None]                     # (steps, N, P)
    if is_image:
        changed = changed.view(len(fractions), n, 1, *before.shape[-2:])
    inputs = torch.where(changed, after[None], before[None]).flatten(0, 1)
    targets = target.repeat(len(fractions))
    probs = torch.cat([torch.softmax(model(inputs[s:s + batch_size]).float(), dim=1)
                       .gather(1, targets[s:s + batch_size, None])
                       for s in range(0, len(inputs), batch_size)])
    return probs.view(len(fractions), n).mean(dim=1).cpu().tolist()


def _blur(x: torch.Tensor) -> torch.Tensor:
    """Petsiuk et al.'s insertion start: a strongly blurred image (sigma = 1/7 of the side)."""
    side = x.shape[-1]
    sigma = max(1.0, side / 7)
    kernel = int(2 * round(2 * sigma) + 1)
    return gaussian_blur(x, [kernel, kernel], [sigma, sigma])
