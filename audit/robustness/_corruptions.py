"""Common corruptions at five severities, batched on the device, deterministic from the seed.

The corruption types and their five levels follow MNIST-C (Mu & Gilmer 2019, "MNIST-C: A
Robustness Benchmark for Computer Vision"), whose parameter tables take ImageNet-C's (Hendrycks &
Dietterich 2019, "Benchmarking Neural Network Robustness to Common Corruptions and
Perturbations") for noise, blur, brightness, contrast and JPEG, and add the affine ones. Levels
in pixels are given for a 28-pixel side and scale with the image's side. torchvision.transforms.v2
does the work where it has the transform; the rest (shot and impulse noise, motion blur, a
per-image elastic field, additive brightness) is written here, on whole batches.

Severity 0 is the clean input, returned unchanged. Random draws (noise, the sign of a rotation,
the direction of a motion blur) come from the global torch generator inside a forked, seeded
state, so a corruption is the same for a seed, a device and a batch size, and the caller's own
random state is left untouched.
"""

from __future__ import annotations

import math
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.transforms.v2 import functional as TF

MAX_SEVERITY = 5
REFERENCE_SIDE = 28  # MNIST-C's pixel-valued levels are for 28 x 28 images
# Images corrupted together, and drawing from one seed: fixed, so that a seed gives the same
# corrupted images whatever the device's memory.
BATCH_SIZE = 256


@dataclass(frozen=True)
class Corruption:
    """One corruption type.

    name: short name used in tables, figures and findings.
    family: noise, blur, geometric, photometric or digital.
    levels: the parameter at severities 1 to 5.
    apply: ``(x, level, side_scale) -> x'`` on a batch (N, C, H, W) in [0, 1]; ``side_scale`` is
        the image side over 28, for levels given in pixels.
    tabular: whether it also applies to feature vectors (N, F).
    source: where the levels come from and what computes the transform, for docs and protocol.
    """

    name: str
    family: str
    levels: tuple
    apply: Callable[[torch.Tensor, object, float], torch.Tensor]
    source: str
    tabular: bool = False


# --- noise ------------------------------------------------------------------------------------

def gaussian_noise(x: torch.Tensor, sigma: float, side_scale: float) -> torch.Tensor:
    if x.dim() == 2:  # standardized features: no [0, 1] range to clip to
        return x + sigma * torch.randn_like(x)
    return TF.gaussian_noise(x, sigma=sigma, clip=True)


def shot_noise(x: torch.Tensor, photons: float, side_scale: float) -> torch.Tensor:
    """Poisson photon noise: each pixel counts ``photons * value`` photons on average."""
    return (torch.poisson(x * photons) / photons).clamp_(0, 1)


def impulse_noise(x: torch.Tensor, amount: float, side_scale: float) -> torch.Tensor:
    """Salt and pepper: a share ``amount`` of the values set to 0 or 1, half each (as skimage)."""
    u = torch.rand_like(x)
    return torch.where(u < amount / 2, 0.0, torch.where(u < amount, 1.0, x))


# --- blur -------------------------------------------------------------------------------------

def gaussian_blur(x: torch.Tensor, sigma: float, side_scale: float) -> torch.Tensor:
    sigma = sigma * side_scale
    # A 3-sigma kernel, but reflect padding needs it narrower than twice the image side.
    size = min(2 * math.ceil(3 * sigma) + 1, 2 * min(x.shape[-2:]) - 1)
    return TF.gaussian_blur(x, kernel_size=[size, size], sigma=[sigma, sigma])


def motion_blur(x: torch.Tensor, radius_sigma: tuple[float, float],
                side_scale: float) -> torch.Tensor:
    """ImageMagick's MotionBlurImage kernel, which ImageNet-C and MNIST-C call: a one-sided
    Gaussian-weighted average of the image shifted 0 to 2 * radius pixels along a line; one
    random angle in [-45, 45] degrees per image."""
    radius, sigma = radius_sigma[0] * side_scale, radius_sigma[1] * side_scale
    n = x.shape[0]
    angle = torch.deg2rad(torch.rand(n, device=x.device) * 90 - 45)
    direction = torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)  # (N, 2), x then y
    steps = torch.arange(0, 2 * math.ceil(radius) + 1, device=x.device, dtype=x.dtype)
    weights = torch.exp(-steps ** 2 / (2 * sigma ** 2))
    weights = weights / weights.sum()
    height, width = x.shape[-2:]
    to_grid = torch.tensor([2 / width, 2 / height], device=x.device, dtype=x.dtype)
    identity = _identity_grid(x)
    out = torch.zeros_like(x)
    for step, weight in zip(steps, weights):
        offset = (step * direction * to_grid)[:, None, None, :]
        out += weight * F.grid_sample(x, identity + offset, mode="bilinear",
                                      padding_mode="border", align_corners=False)
    return out


# --- geometric --------------------------------------------------------------------------------

def rotation(x: torch.Tensor, radians: float, side_scale: float) -> torch.Tensor:
    return _signed_affine(x, lambda s: {"angle": s * math.degrees(radians)})


def shear(x: torch.Tensor, radians: float, side_scale: float) -> torch.Tensor:
    return _signed_affine(x, lambda s: {"shear": [s * math.degrees(radians), 0.0]})


def scale(x: torch.Tensor, factor: float, side_scale: float) -> torch.Tensor:
    return _affine_on_background(x, scale=factor)


def translation(x: torch.Tensor, pixels: float, side_scale: float) -> torch.Tensor:
    """Shift by ``pixels`` along both axes, each direction drawn at random per image."""
    shift = round(pixels * side_scale)
    signs = torch.randint(0, 2, (x.shape[0], 2), device=x.device) * 2 - 1
    out = torch.empty_like(x)
    for sx in (-1, 1):
        for sy in (-1, 1):
            rows = (signs[:, 0] == sx) & (signs[:, 1] == sy)
            if rows.any():
                out[rows] = _affine_on_background(x[rows], translate=[sx * shift, sy * shift])
    return out


def elastic(x: torch.Tensor, rms_pixels: float, side_scale: float) -> torch.Tensor:
    """A smooth random displacement field per image (Simard et al. 2003): uniform noise blurred
    by a Gaussian of 4 pixels, scaled to a root-mean-square displacement of ``rms_pixels``.

    torchvision's ElasticTransform draws one field per call, shared by a whole batch; here each
    image gets its own, blurred by torchvision's gaussian_blur and applied by grid_sample.
    """
    n, _, height, width = x.shape
    sigma = 4.0 * side_scale
    size = min(2 * math.ceil(3 * sigma) + 1, 2 * min(height, width) - 1)
    field = torch.rand(n, 2, height, width, device=x.device, dtype=x.dtype) * 2 - 1
    field = TF.gaussian_blur(field, kernel_size=[size, size], sigma=[sigma, sigma])
    rms = field.square().sum(dim=1).mean(dim=(1, 2)).sqrt().clamp_min(1e-12)
    pixels = field * (rms_pixels * side_scale / rms)[:, None, None, None]
    to_grid = torch.tensor([2 / width, 2 / height], device=x.device, dtype=x.dtype)
    grid = _identity_grid(x) + pixels.permute(0, 2, 3, 1) * to_grid
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


# --- photometric and digital ------------------------------------------------------------------

def brightness(x: torch.Tensor, shift: float, side_scale: float) -> torch.Tensor:
    """ImageNet-C's brightness: ``shift`` added to the HSV value (the largest channel), hue and
    saturation kept. torchvision's adjust_brightness multiplies instead, which leaves a black
    background black. With hue and saturation fixed the channels scale with the value, so no
    HSV round trip is needed; black pixels become grey at ``shift``."""
    value = x.amax(dim=1, keepdim=True)
    lifted = (value + shift).clamp_(max=1.0)
    return torch.where(value > 0, x * lifted / value.clamp_min(1e-12), lifted.expand_as(x))


def contrast(x: torch.Tensor, factor: float, side_scale: float) -> torch.Tensor:
    return TF.adjust_contrast(x, contrast_factor=factor)


def jpeg(x: torch.Tensor, quality: int, side_scale: float) -> torch.Tensor:
    """torchvision's JPEG round trip (libjpeg, one image at a time, on the CPU)."""
    encoded = TF.jpeg(x.mul(255).round_().to(device="cpu", dtype=torch.uint8), quality=quality)
    return encoded.to(device=x.device, dtype=x.dtype).div_(255)


CORRUPTIONS: dict[str, Corruption] = {c.name: c for c in (
    Corruption("gaussian_noise", "noise", (0.08, 0.12, 0.18, 0.26, 0.38), gaussian_noise,
               "noise std on the [0, 1] scale, ImageNet-C/MNIST-C levels; torchvision "
               "gaussian_noise (tabular: std in units of the standardized features)",
               tabular=True),
    Corruption("shot_noise", "noise", (60, 25, 12, 5, 3), shot_noise,
               "Poisson noise with this many photons at full intensity, ImageNet-C/MNIST-C"),
    Corruption("impulse_noise", "noise", (0.03, 0.06, 0.09, 0.17, 0.27), impulse_noise,
               "share of salt-and-pepper values, ImageNet-C/MNIST-C"),
    Corruption("gaussian_blur", "blur", (1, 2, 3, 4, 6), gaussian_blur,
               "Gaussian sigma in pixels at side 28, ImageNet-C/MNIST-C; torchvision gaussian_blur"),
    Corruption("motion_blur", "blur", ((10, 3), (15, 5), (15, 8), (15, 12), (20, 15)),
               motion_blur, "ImageMagick motion-blur (radius, sigma) in pixels at side 28, "
               "random angle in [-45, 45] degrees, ImageNet-C/MNIST-C"),
    Corruption("rotation", "geometric", (0.2, 0.4, 0.6, 0.8, 1.0), rotation,
               "angle in radians, random sign, MNIST-C; torchvision affine"),
    Corruption("shear", "geometric", (0.2, 0.4, 0.6, 0.8, 1.0), shear,
               "horizontal shear angle in radians, random sign, MNIST-C; torchvision affine"),
    Corruption("translation", "geometric", (1, 2, 3, 4, 5), translation,
               "shift in pixels at side 28 along both axes, random directions, MNIST-C; "
               "torchvision affine"),
    Corruption("scale", "geometric", (0.9, 0.8, 0.7, 0.6, 0.5), scale,
               "zoom-out factor, MNIST-C; torchvision affine"),
    Corruption("elastic", "geometric", (0.5, 1.0, 1.5, 2.0, 2.5), elastic,
               "RMS displacement in pixels at side 28 of a field smoothed by a 4-pixel "
               "Gaussian (Simard et al. 2003), nnaudit's levels; torchvision gaussian_blur"),
    Corruption("brightness", "photometric", (0.1, 0.2, 0.3, 0.4, 0.5), brightness,
               "added to the HSV value, ImageNet-C/MNIST-C"),
    Corruption("contrast", "photometric", (0.4, 0.3, 0.2, 0.1, 0.05), contrast,
               "contrast factor towards the image mean, ImageNet-C; torchvision adjust_contrast"),
    Corruption("jpeg", "digital", (25, 18, 15, 10, 7), jpeg,
               "JPEG quality, ImageNet-C; torchvision jpeg (libjpeg, on the CPU)"),
)}


def corrupted_batches(x: torch.Tensor, name: str, severity: int, *, seed: int,
                      batch_size: int = BATCH_SIZE) -> Iterator[torch.Tensor]:
    """``x`` (N, C, H, W) in [0, 1], or (N, F) features, under corruption ``name`` at
    ``severity``, batch by batch on ``x``'s device; severity 0 yields ``x`` itself.

    Each batch draws from its own seed, derived from ``seed``, the corruption, the severity and
    the batch's position, so the result does not depend on how the caller consumes it.
    """
    if severity == 0:
        yield from (x[i:i + batch_size] for i in range(0, len(x), batch_size))
        return
    corruption = CORRUPTIONS[name]
    level = corruption.levels[severity - 1]
    side_scale = min(x.shape[-2:]) / REFERENCE_SIDE if x.dim() == 4 else 1.0
    for index, start in enumerate(range(0, len(x), batch_size)):
        with seeded(batch_seed(seed, name, severity, index), x.device):
            yield corruption.apply(x[start:start + batch_size], level, side_scale)


def corrupt(x: torch.Tensor, name: str, severity: int, *, seed: int,
            batch_size: int = BATCH_SIZE) -> torch.Tensor:
    """The whole of ``x`` under corruption ``name`` at ``severity`` (see `corrupted_batches`)."""
    return torch.cat(list(corrupted_batches(x, name, severity, seed=seed,
                                            batch_size=batch_size)))


def batch_seed(seed: int, name: str, severity: int, batch: int) -> int:
    """A seed per (corruption, severity, batch), stable across runs and Python versions."""
    words = [seed % 2**32, zlib.crc32(name.encode()), severity, batch]
    return int(np.random.SeedSequence(words).generate_state(1)[0])


@contextmanager
def seeded(seed: int, device: torch.device) -> Iterator[None]:
    """Draw from torch's global generators seeded with ``seed``, restoring them afterwards."""
    cuda = torch.device(device).type == "cuda"
    devices = list(range(torch.cuda.device_count())) if cuda else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def _identity_grid(x: torch.Tensor) -> torch.Tensor:
    """grid_sample's identity sampling grid for ``x``, (N, H, W, 2)."""
    eye = torch.eye(2, 3, device=x.device, dtype=x.dtype).expand(x.shape[0], 2, 3)
    return F.affine_grid(eye, list(x.shape), align_corners=False)


def _signed_affine(x: torch.Tensor, params: Callable[[int], dict]) -> torch.Tensor:
    """The affine map ``params(+1)`` or ``params(-1)``, the sign drawn at random per image."""
    positive = torch.rand(x.shape[0], device=x.device) < 0.5
    out = torch.empty_like(x)
    for sign, rows in ((1, positive), (-1, ~positive)):
        if rows.any():
            out[rows] = _affine_on_background(x[rows], **params(sign))
    return out


def _affine_on_background(x: torch.Tensor, *, angle: float = 0.0, translate=(0, 0),
                          scale: float = 1.0, shear=(0.0, 0.0)) -> torch.Tensor:
    """torchvision's affine map, filling what it uncovers with each image's own background.

    torchvision fills with one constant for the whole batch; a black fill would frame the
    tinted images (shades-mnist's dark tone) and corrupt them more than the others. Bilinear
    interpolation is linear and its weights sum to one, so mapping ``x - b`` with a zero fill
    and adding ``b`` back fills with ``b``: the median of each image's border, per channel.
    """
    background = _border_median(x)
    moved = TF.affine(x - background, angle=angle, translate=list(translate), scale=scale,
                      shear=list(shear), interpolation=TF.InterpolationMode.BILINEAR, fill=0.0)
    return moved + background


def _border_median(x: torch.Tensor) -> torch.Tensor:
    """(N, C, 1, 1) median of the one-pixel frame of each image and channel."""
    frame = torch.cat([x[..., 0, :], x[..., -1, :], x[..., 1:-1, 0], x[..., 1:-1, -1]], dim=-1)
    return frame.median(dim=-1).values[..., None, None]
