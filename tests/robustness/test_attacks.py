"""The attacks: published effect sizes, exact radii on a linear model, and the bisection."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from nnaudit.robustness import ATTACKS
from nnaudit.robustness._attacks import (GRID_SPAN, flip_radii, gradient_problem, perturb,
                                         predict, radius_grid)
from nnaudit.modelprep import prepare_model

IMAGES = (0.0, 1.0)
FEATURES = (-float("inf"), float("inf"))


@pytest.fixture(scope="module")
def lenet(shades_lenet):
    return prepare_model(shades_lenet, torch.device("cpu"))


@pytest.fixture(scope="module")
def batch(shades):
    return shades.test.x[:200], shades.test.y[:200]


def _accuracy(model, x, y) -> float:
    return (predict(model, x, 256) == y).float().mean().item()


def test_fgsm_at_radius_zero_changes_nothing(lenet, batch):
    x, y = batch
    assert torch.equal(perturb(lenet, x, y, ATTACKS["fgsm"], 0.0, steps=1, bounds=IMAGES,
                               batch_size=64), x)


def test_pgd_at_radius_03_leaves_a_normally_trained_lenet_below_5_percent(plain_lenet,
                                                                         balanced_shades):
    """Madry et al. 2018 report about 0 % accuracy for naturally trained MNIST networks under
    PGD at L-infinity 0.3; 40 steps as in their MNIST evaluation."""
    model = prepare_model(plain_lenet, torch.device("cpu"))
    x, y = balanced_shades.test.x[:200], balanced_shades.test.y[:200]
    assert _accuracy(model, x, y) > 0.85
    adversarial = perturb(model, x, y, ATTACKS["pgd"], 0.3, steps=40, bounds=IMAGES,
                          batch_size=256)
    assert _accuracy(model, adversarial, y) < 0.05


@pytest.mark.parametrize("name", list(ATTACKS))
def test_attacks_stay_in_their_ball_and_in_the_image_range(lenet, batch, name):
    x, y = batch
    attack = ATTACKS[name]
    radius = 1.0 if attack.norm == "L2" else 0.1
    adversarial = perturb(lenet, x, y, attack, radius, steps=5, bounds=IMAGES, batch_size=64)
    delta = (adversarial - x).flatten(1)
    size = delta.norm(dim=1) if attack.norm == "L2" else delta.abs().amax(dim=1)
    assert (size <= radius * (1 + 1e-5)).all()
    assert adversarial.min() >= 0 and adversarial.max() <= 1
    assert _accuracy(lenet, adversarial, y) < _accuracy(lenet, x, y)


def test_pgd_is_stronger_than_fgsm_at_the_same_radius(lenet, batch):
    x, y = batch
    fgsm = perturb(lenet, x, y, ATTACKS["fgsm"], 0.05, steps=1, bounds=IMAGES, batch_size=256)
    pgd = perturb(lenet, x, y, ATTACKS["pgd"], 0.05, steps=10, bounds=IMAGES, batch_size=256)
    assert _accuracy(lenet, pgd, y) <= _accuracy(lenet, fgsm, y)


def _linear_model(w: list[float], b: float) -> nn.Module:
    """Two classes: logit 0 is 0, logit 1 is w . x + b. Its L-infinity distance to the
    decision boundary is |w . x + b| / ||w||_1 and its L2 distance |w . x + b| / ||w||_2."""
    model = nn.Linear(len(w), 2)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.0] * len(w), w]))
        model.bias.copy_(torch.tensor([0.0, b]))
    return model.eval().requires_grad_(False)


@pytest.mark.parametrize("name, dual", [("pgd", 1), ("fgsm", 1), ("pgd_l2", 2)])
def test_flipping_radius_of_a_linear_model_is_its_margin_over_the_dual_norm(name, dual):
    w = [2.0, -1.0] if dual == 1 else [1.5, 1.5]  # L2: signed steps point along w exactly
    model = _linear_model(w, 0.3)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 2, generator=g)
    y = (x @ torch.tensor(w) + 0.3 > 0).long()
    exact = ((x @ torch.tensor(w) + 0.3).abs() / torch.tensor(w).norm(p=dual)).numpy()
    grid = radius_grid(float(exact.max()) * 1.5, levels=7)
    found = flip_radii(model, x, y, ATTACKS[name], grid, steps=10, bounds=FEATURES,
                       batch_size=16)
    index = np.searchsorted(grid, found)
    assert (found >= exact * (1 - 1e-5)).all()          # the grid radius found does flip ...
    assert (grid[index - 1] < exact * (1 + 1e-5)).all()  # ... and the one below it does not


def test_flip_radii_mark_misclassified_images_zero_and_unflipped_ones_infinite(lenet, batch):
    x, y = batch
    grid = radius_grid(0.01, levels=3)
    radii = flip_radii(lenet, x, y, ATTACKS["pgd"], grid, steps=5, bounds=IMAGES,
                       batch_size=256)
    wrong = (predict(lenet, x, 256) != y).numpy()
    assert (radii[wrong] == 0).all() and (radii[~wrong] > 0).all()
    unflipped = np.isinf(radii)
    assert unflipped.any()  # 0.01 leaves most light digits right
    adversarial = perturb(lenet, x[torch.from_numpy(unflipped)], y[torch.from_numpy(unflipped)],
                          ATTACKS["pgd"], 0.01, steps=5, bounds=IMAGES, batch_size=256)
    assert (predict(lenet, adversarial, 256) == y[torch.from_numpy(unflipped)]).all()


def test_the_radius_grid_is_geometric_up_to_the_largest_radius():
    grid = radius_grid(0.3, levels=5)
    assert grid[0] == 0 and grid[-1] == pytest.approx(0.3) and len(grid) == 33
    ratios = grid[2:] / grid[1:-1]
    assert np.allclose(ratios, GRID_SPAN ** (1 / 32))


class _OutsideAutograd(nn.Module):
    """A model run by another engine (here NumPy): predictions, but no input gradient."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        with torch.no_grad():
            return torch.from_numpy(self.inner(x).numpy())


def test_a_model_outside_autograd_is_reported_without_gradients(lenet, batch):
    assert gradient_problem(lenet, batch[0]) is None
    reason = gradient_problem(_OutsideAutograd(lenet), batch[0])
    assert reason is not None and "gradient" in reason
