"""The corruptions: severity 0 is the identity, levels grow, draws are seeded, numbers hand-checked."""

from __future__ import annotations

import math

import pytest
import torch

from nnaudit.robustness import CORRUPTIONS, corrupt
from nnaudit.robustness._corruptions import MAX_SEVERITY, corrupted_batches

SEVERITIES = range(1, MAX_SEVERITY + 1)


@pytest.fixture(scope="module")
def digits(shades):
    """Light and dark, thin and thick test digits: 64 images of 28 x 28."""
    return shades.test.x[:64]


def _gray(value: float, n: int = 4, channels: int = 1, side: int = 28) -> torch.Tensor:
    return torch.full((n, channels, side, side), value)


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_severity_zero_is_the_clean_input_bit_for_bit(name, digits):
    assert torch.equal(corrupt(digits, name, 0, seed=0), digits)


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_every_level_keeps_shape_and_range_and_damage_grows_with_severity(name, digits):
    distances = []
    for severity in SEVERITIES:
        out = corrupt(digits, name, severity, seed=0)
        assert out.shape == digits.shape and out.dtype == digits.dtype
        assert out.min() >= 0 and out.max() <= 1
        distances.append((out - digits).abs().mean().item())
    assert distances[0] > 0, f"{name} at severity 1 leaves the images unchanged"
    assert distances == sorted(distances), f"{name}: damage is not monotone {distances}"


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_corruptions_are_deterministic_from_the_seed(name, digits):
    first = corrupt(digits, name, 3, seed=7)
    assert torch.equal(first, corrupt(digits, name, 3, seed=7))
    # The batches are seeded by position: taking them one at a time changes nothing.
    assert torch.equal(first, torch.cat(list(corrupted_batches(digits, name, 3, seed=7,
                                                               batch_size=256))))
    random = name not in ("gaussian_blur", "scale", "brightness", "contrast", "jpeg")
    assert random == (not torch.equal(first, corrupt(digits, name, 3, seed=8)))


def test_corruptions_leave_the_callers_random_state_alone(digits):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    corrupt(digits, "gaussian_noise", 5, seed=0)
    assert torch.equal(torch.rand(3), expected)


def test_gaussian_noise_has_the_level_as_standard_deviation():
    out = corrupt(_gray(0.5, n=64), "gaussian_noise", 1, seed=0)
    assert (out - 0.5).std().item() == pytest.approx(0.08, rel=0.03)
    assert (out - 0.5).mean().item() == pytest.approx(0.0, abs=0.003)


def test_shot_noise_is_unbiased_poisson_counting():
    # 60 photons at full intensity: a 0.5 pixel counts Poisson(30) photons, std sqrt(30)/60.
    out = corrupt(_gray(0.5, n=64), "shot_noise", 1, seed=0)
    assert out.mean().item() == pytest.approx(0.5, abs=0.003)
    assert out.std().item() == pytest.approx(math.sqrt(30) / 60, rel=0.03)


def test_impulse_noise_sets_its_share_of_pixels_to_black_or_white_half_each():
    out = corrupt(_gray(0.5, n=64), "impulse_noise", 5, seed=0)
    black, white = (out == 0).float().mean().item(), (out == 1).float().mean().item()
    assert black + white == pytest.approx(0.27, abs=0.01)
    assert black == pytest.approx(white, abs=0.01)
    assert ((out == 0) | (out == 1) | (out == 0.5)).all()


def test_brightness_adds_to_the_value_and_keeps_the_hue():
    gray = corrupt(_gray(0.5), "brightness", 1, seed=0)
    assert torch.allclose(gray, torch.full_like(gray, 0.6))
    assert torch.allclose(corrupt(_gray(0.0), "brightness", 5, seed=0), _gray(0.5))
    rgb = torch.tensor([0.4, 0.2, 0.1]).view(1, 3, 1, 1).expand(1, 3, 4, 4)
    out = corrupt(rgb, "brightness", 2, seed=0)[0, :, 0, 0]  # value 0.4 -> 0.6: scale by 1.5
    assert torch.allclose(out, torch.tensor([0.6, 0.3, 0.15]))


def test_contrast_pulls_towards_the_image_mean():
    x = _gray(0.2, n=1)
    x[..., :14] = 0.8  # mean 0.5
    out = corrupt(x, "contrast", 1, seed=0)  # factor 0.4
    assert torch.allclose(out[..., :14], torch.full_like(out[..., :14], 0.5 + 0.4 * 0.3))
    assert torch.allclose(out[..., 14:], torch.full_like(out[..., 14:], 0.5 - 0.4 * 0.3))


def test_translation_moves_a_dot_by_the_level_in_pixels_on_each_axis():
    x = _gray(0.0, n=16)
    x[:, :, 10, 10] = 1.0
    out = corrupt(x, "translation", 2, seed=0)  # 2 pixels at side 28
    for image in out[:, 0]:
        row, column = divmod(int(image.argmax()), 28)
        assert abs(row - 10) == 2 and abs(column - 10) == 2
        assert image.max() == pytest.approx(1.0)


def test_geometric_corruptions_fill_with_each_images_own_background():
    """A black fill would frame shades-mnist's grey-backed dark digits and hurt them alone."""
    x = torch.cat([_gray(0.6, n=2), _gray(0.0, n=2)])
    for name in ("rotation", "shear", "translation", "scale", "elastic", "motion_blur"):
        out = corrupt(x, name, 5, seed=0)
        assert torch.allclose(out[:2], x[:2], atol=1e-5), name
        assert torch.allclose(out[2:], x[2:], atol=1e-5), name


def test_pixel_levels_scale_with_the_image_side():
    x = _gray(0.0, n=8, side=56)
    x[:, :, 20, 20] = 1.0
    out = corrupt(x, "translation", 2, seed=0)  # 2 pixels at side 28 = 4 at side 56
    rows = torch.stack([torch.tensor(divmod(int(i.argmax()), 56)) for i in out[:, 0]])
    assert ((rows - 20).abs() == 4).all()


def test_feature_vectors_take_gaussian_noise_without_clipping():
    x = torch.full((256, 8), 3.0)  # standardized features far outside [0, 1]
    out = corrupt(x, "gaussian_noise", 5, seed=0)
    assert out.shape == x.shape
    assert (out - 3.0).std().item() == pytest.approx(0.38, rel=0.05)
    assert [n for n, c in CORRUPTIONS.items() if c.tabular] == ["gaussian_noise"]


def test_three_channel_images_are_corrupted_per_channel():
    x = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    for name in CORRUPTIONS:
        out = corrupt(x, name, 2, seed=0)
        assert out.shape == x.shape and 0 <= out.min() and out.max() <= 1, name
