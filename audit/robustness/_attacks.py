"""Adversarial examples with captum.robust: FGSM and PGD, and the smallest radius that flips.

The attacks are captum's classes; this module only chooses their arguments, runs them in
batches on the device and reads the model's answers. Every attack is untargeted (it raises the
cross-entropy of the true label), keeps images in [0, 1] (feature vectors are unbounded) and is
deterministic: PGD starts from the clean input, without captum's random start, which draws from
the global generator (and, for the L2 norm, on the CPU whatever the device).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F
from captum.robust import FGSM, PGD
from torch import nn

from nnaudit.train import predict_proba

# Madry et al. 2018 take PGD steps of 2.5 radius / steps: enough to cross the ball and back.
STEP_FACTOR = 2.5
# The flipping-radius grid reaches down to the largest radius over this factor.
GRID_SPAN = 256


@dataclass(frozen=True)
class Attack:
    """One attack: its norm, whether it iterates, and where it comes from."""

    name: str
    norm: str          # "Linf" or "L2"
    iterative: bool    # PGD (``steps`` gradient steps) or FGSM (one)
    source: str


ATTACKS: dict[str, Attack] = {a.name: a for a in (
    Attack("fgsm", "Linf", False, "captum.robust.FGSM; Goodfellow et al. 2015, "
           "'Explaining and Harnessing Adversarial Examples'"),
    Attack("pgd", "Linf", True, "captum.robust.PGD, norm='Linf'; Madry et al. 2018, 'Towards "
           "Deep Learning Models Resistant to Adversarial Attacks'"),
    Attack("pgd_l2", "L2", True, "captum.robust.PGD, norm='L2' (signed-gradient steps, projected "
           "on the L2 ball); Madry et al. 2018"),
)}


def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-example loss the attacks raise (captum sums it; each image's gradient is its own)."""
    return F.cross_entropy(logits.float(), target, reduction="none")


def make_attacker(model: nn.Module, attack: Attack, bounds: tuple[float, float]):
    """The captum object for ``attack``, its zero-gradient threshold set to 0.

    captum's FGSM leaves a pixel alone where |gradient| <= 1e-6. The cross-entropy gradient of
    an image classified with confidence 1 - p is about p, so the more confident the model, the
    more of its pixels freeze and the more robust it looks, for the threshold's sake alone. On
    the course's LeNet-5 it is small (11 % of the pixel gradients, 0.2 points of PGD accuracy
    at radius 0.1); a gradient that is exactly 0 still moves nothing (its sign is 0).
    """
    if attack.iterative:
        attacker = PGD(model, cross_entropy, *bounds)
        attacker.fgsm.zero_thresh = 0.0
    else:
        attacker = FGSM(model, cross_entropy, *bounds)
        attacker.zero_thresh = 0.0
    return attacker


def perturb(model: nn.Module, x: torch.Tensor, y: torch.Tensor, attack: Attack, radius: float, *,
            steps: int, bounds: tuple[float, float], batch_size: int) -> torch.Tensor:
    """Adversarial versions of ``x`` (on its device) within ``radius`` of it, in batches."""
    attacker = make_attacker(model, attack, bounds)
    if attack.iterative:
        # Signed steps of size a move an input by a * sqrt(d) in L2: scale to the same path length.
        dims = x[0].numel() if attack.norm == "L2" else 1
        step_size = STEP_FACTOR * radius / steps / math.sqrt(dims)
        run = partial(attacker.perturb, radius=radius, step_size=step_size, step_num=steps,
                      norm=attack.norm)
    else:
        run = partial(attacker.perturb, epsilon=radius)
    with warnings.catch_warnings():
        # captum warns that it switched on the inputs' gradients, which is what we want.
        warnings.filterwarnings("ignore", message="Input Tensor .* did not already require")
        return torch.cat([run(x[i:i + batch_size], target=y[i:i + batch_size]).detach()
                          for i in range(0, len(x), batch_size)])


def predict(model: nn.Module, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Predicted class indices of ``x``, on ``x``'s device."""
    return predict_proba(model, x, x.device, batch_size).argmax(dim=1).to(x.device)


def radius_grid(max_radius: float, levels: int) -> np.ndarray:
    """0, then ``2 ** levels`` radii spaced geometrically up to ``max_radius`` from about
    ``max_radius / GRID_SPAN``: the same relative resolution near the boundary and far from it
    (flipping radii of different subgroups can differ tenfold)."""
    k = 2 ** levels
    return np.concatenate([[0.0], max_radius * GRID_SPAN ** ((np.arange(1, k + 1) - k) / k)])


def flip_radii(model: nn.Module, x: torch.Tensor, y: torch.Tensor, attack: Attack,
               grid: np.ndarray, *, steps: int, bounds: tuple[float, float], batch_size: int,
               flipped_at_largest: np.ndarray | None = None) -> np.ndarray:
    """The smallest radius of ``grid`` at which ``attack`` misclassifies each image: a bisection.

    ``grid`` is increasing from 0 (see `radius_grid`); the value returned is the first grid
    radius found to flip the image, so the true minimum lies between it and the grid radius
    below. 0 for images misclassified clean, inf for images the largest radius does not flip.
    The images whose interval has the same midpoint are attacked together, so each level of
    the bisection costs one attack pass over the images still in play, whatever their radii.
    The bisection assumes that an attack which flips an image at one radius also flips it at
    any larger one, which holds for an optimal attack and approximately for PGD.
    ``flipped_at_largest``: which images the attack at ``grid[-1]`` misclassifies, when the
    caller already ran it (the attacks are deterministic, so the answer would be the same).

    captum's ``MinParamPerturbation`` searches one image at a time (its default test asks that
    every image of a batch be wrong); benchmarks/robustness_speed.py compares the two.
    """
    top = len(grid) - 1
    low = np.zeros(len(x), dtype=np.int64)
    high = np.full(len(x), top, dtype=np.int64)
    wrong_clean = (predict(model, x, batch_size) != y).cpu().numpy()
    flips_at_max = (_flips(model, x, y, attack, grid[top], ~wrong_clean, steps, bounds,
                           batch_size) if flipped_at_largest is None
                    else flipped_at_largest & ~wrong_clean)
    searching = ~wrong_clean & flips_at_max
    while (active := searching & (high - low > 1)).any():
        mid = (low + high) // 2
        for m in np.unique(mid[active]):
            rows = active & (mid == m)
            flipped = _flips(model, x, y, attack, grid[m], rows, steps, bounds, batch_size)
            high = np.where(rows & flipped, m, high)
            low = np.where(rows & ~flipped, m, low)
    radii = grid[high]
    radii[wrong_clean] = 0.0
    radii[~wrong_clean & ~flips_at_max] = np.inf
    return radii


def _flips(model, x, y, attack, radius, rows, steps, bounds, batch_size) -> np.ndarray:
    """(N,) bool: the attack at ``radius`` misclassifies the image; False outside ``rows``."""
    out = np.zeros(len(x), dtype=bool)
    index = torch.as_tensor(np.flatnonzero(rows), device=x.device)
    if len(index):
        adversarial = perturb(model, x[index], y[index], attack, radius, steps=steps,
                              bounds=bounds, batch_size=batch_size)
        out[index.cpu().numpy()] = (predict(model, adversarial, batch_size)
                                    != y[index]).cpu().numpy()
    return out


def gradient_problem(model: nn.Module, x: torch.Tensor) -> str | None:
    """Why the attacks cannot run on ``model``, or None when its input gradients exist.

    One backward pass on two inputs: a model that computes outside autograd (an exported
    graph run by another engine, NumPy, a detached output) has no gradient to follow.
    """
    probe = x[:2].clone().requires_grad_(True)
    try:
        with torch.enable_grad():
            (gradient,) = torch.autograd.grad(model(probe).float().sum(), probe,
                                              allow_unused=True)
    except RuntimeError as exc:
        return f"the model's output has no gradient with respect to its input ({exc})"
    if gradient is None:
        return "the model's output does not depend on its input through autograd"
    if not torch.isfinite(gradient).all():
        return "the model's input gradient is not finite"
    return None
