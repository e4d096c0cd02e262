"""On-device batch augmentation: shapes, determinism, and what each transform does."""

import pytest
import torch

from nnaudit.train import augment_images


def batch(n=6, channels=1, size=12, seed=0):
    return torch.rand(n, channels, size, size, generator=torch.Generator().manual_seed(seed))


def rng(seed):
    return torch.Generator().manual_seed(seed)


def shifted(image, dy, dx):
    """``image`` moved by (dy, dx) pixels with zero fill: what pad-and-crop produces."""
    out = torch.zeros_like(image)
    h, w = image.shape[-2:]
    out[..., max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)] = \
        image[..., max(0, dy):h - max(0, -dy), max(0, dx):w - max(0, -dx)]
    return out


def test_keeps_shape_and_dtype_and_repeats_for_a_seed():
    x = batch(channels=3)
    a = augment_images(x, rng(0), flip=True)
    assert a.shape == x.shape and a.dtype == x.dtype
    assert torch.equal(a, augment_images(x, rng(0), flip=True))
    assert not torch.equal(a, augment_images(x, rng(1), flip=True))
    assert not torch.equal(a, x)


def test_crop_alone_is_an_integer_shift_with_zero_fill():
    x = batch(n=32)
    out = augment_images(x, rng(3), max_shift=2, degrees=0.0, scale=(1.0, 1.0))
    shifts = []
    for image, result in zip(x, out):
        matches = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                   if torch.allclose(result, shifted(image, dy, dx), atol=1e-5)]
        assert len(matches) == 1
        shifts.append(matches[0])
    assert len(set(shifts)) > 5  # the offsets really vary across the batch


def test_flip_alone_mirrors_about_half_the_images():
    x = batch(n=40)
    out = augment_images(x, rng(5), flip=True, max_shift=0, degrees=0.0, scale=(1.0, 1.0))
    mirrored = [torch.allclose(o, i.flip(-1), atol=1e-5) for o, i in zip(out, x)]
    kept = [torch.allclose(o, i, atol=1e-5) for o, i in zip(out, x)]
    assert all(m != k for m, k in zip(mirrored, kept))
    assert 8 <= sum(mirrored) <= 32


def test_no_flip_never_mirrors():
    x = batch(n=40)
    out = augment_images(x, rng(5), flip=False, max_shift=0, degrees=0.0, scale=(1.0, 1.0))
    assert torch.allclose(out, x, atol=1e-5)


def test_rotation_keeps_a_centred_disc_nearly_unchanged():
    # A radially symmetric image is invariant to rotation: only interpolation error remains.
    size = 21
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    disc = (((yy - 10) ** 2 + (xx - 10) ** 2) <= 36).float().expand(8, 1, size, size)
    out = augment_images(disc.contiguous(), rng(2), max_shift=0, degrees=30.0, scale=(1.0, 1.0))
    assert (out - disc).abs().mean() < 0.05
    assert out.sum().item() == pytest.approx(disc.sum().item(), rel=0.05)
