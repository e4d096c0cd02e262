"""On-device batch augmentation: crop, flip, rotation and scale in one ``grid_sample``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def augment_images(x: torch.Tensor, generator: torch.Generator, *, flip: bool = False,
                   max_shift: int | None = None, degrees: float = 10.0,
                   scale: tuple[float, float] = (0.9, 1.1)) -> torch.Tensor:
    """Random crop, optional horizontal flip and small rotation/scaling of a batch, on its device.

    The crop is the classic "pad by ``max_shift`` with zeros, cut at a random offset" (Krizhevsky
    et al. 2012), written as an integer translation so that crop, flip, rotation and scaling
    compose into one affine map per image and a single ``grid_sample`` call. ``max_shift``
    defaults to an eighth of the height (4 px on 32x32, 3 px on 28x28).
    """
    n, _, height, width = x.shape
    shift = max(1, round(height / 8)) if max_shift is None else max_shift
    draws = torch.rand(n, 5, generator=generator, device=x.device, dtype=x.dtype)
    angle = (draws[:, 0] * 2 - 1) * math.radians(degrees)
    zoom = scale[0] + draws[:, 1] * (scale[1] - scale[0])
    # Integer offsets in [-shift, shift], in grid_sample's [-1, 1] coordinates.
    dx = (torch.floor(draws[:, 2] * (2 * shift + 1)) - shift) * (2 / width)
    dy = (torch.floor(draws[:, 3] * (2 * shift + 1)) - shift) * (2 / height)
    mirror = torch.where(draws[:, 4] < 0.5, -1.0, 1.0) if flip else torch.ones_like(angle)
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack([
        torch.stack([cos * mirror, -sin, dx], dim=1),
        torch.stack([sin * mirror, cos, dy], dim=1),
    ], dim=1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
