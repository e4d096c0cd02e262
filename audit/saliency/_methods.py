"""The attribution methods: Captum classes behind one calling convention.

Every method is an `AttributionMethod` whose ``attribute(model, inputs, target)`` returns a map of
the inputs' shape. The model is an argument (not bound at construction) so the sanity checks can
call the very same method on randomized copies of the model. Users may add their own methods
(any callable with that signature); the sanity checks then tell whether they explain the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, Sequence

import torch
from captum.attr import (InputXGradient, IntegratedGradients, LayerAttribution, LayerGradCam,
                         NoiseTunnel, Occlusion, Saliency)
from torch import nn

from nnaudit.errors import UserInputError

AttributeFn = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]
DEFAULT_IMAGES_PER_CALL = 256
# Occluded copies of an input evaluated together when the budget sets no pass size.
OCCLUSION_PERTURBATIONS = 64


@dataclass(frozen=True)
class AttributionMethod:
    """One attribution method.

    name:      short name used in tables, figures and findings.
    attribute: ``(model, inputs, target) -> Tensor`` of the inputs' shape.
    kind:      ``"contribution"`` when a positive value is evidence for the target (ranked by
               signed value in the faithfulness curves) or ``"sensitivity"`` when only the
               magnitude means something (ranked by absolute value).
    images_per_call: ``attribute`` is called on at most this many inputs at a time (None: 256).
    """

    name: str
    attribute: AttributeFn
    kind: Literal["contribution", "sensitivity"] = "sensitivity"
    images_per_call: int | None = None


@dataclass(frozen=True)
class Budget:
    """How much each method may compute; the default keeps `nnaudit run` cheap on 2 CPU cores.

    ``rows_per_pass`` bounds the rows of one forward/backward pass (inputs times IG steps or
    SmoothGrad samples or occlusion perturbations); `nnaudit.modelprep.rows_per_pass`
    sizes it to the device. None: each call computes all its rows at once.
    """

    ig_steps: int = 32
    rows_per_pass: int | None = None
    smoothgrad_samples: int = 16
    smoothgrad_stdev: float = 0.15           # noise std as a fraction of the input range [0, 1]
    occlusion_window: int = 4                # square window, stride = window (no overlap)


def last_conv_layer(model: nn.Module) -> nn.Conv2d | None:
    """The last `nn.Conv2d` in registration order (Grad-CAM's layer), or None."""
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    return convs[-1] if convs else None


def image_methods(budget: Budget) -> list[AttributionMethod]:
    """Saliency, Integrated Gradients, SmoothGrad, Grad-CAM and Occlusion for image models."""

    def saliency(model, x, target):
        # Simonyan et al. 2014: the signed input gradient (sanity checks compare |map| too).
        return Saliency(model).attribute(x, target=target, abs=False)

    def integrated_gradients(model, x, target):
        # Sundararajan et al. 2017, black-image baseline.
        return IntegratedGradients(model).attribute(
            x, target=target, n_steps=budget.ig_steps,
            internal_batch_size=_ig_rows(budget, len(x)))

    def smoothgrad(model, x, target):
        # Smilkov et al. 2017: mean gradient over noisy copies of the input.
        return NoiseTunnel(Saliency(model)).attribute(
            x, nt_type="smoothgrad", nt_samples=budget.smoothgrad_samples,
            nt_samples_batch_size=_copies_per_pass(budget, len(x), budget.smoothgrad_samples),
            stdevs=budget.smoothgrad_stdev, target=target, abs=False)

    def grad_cam(model, x, target):
        # Selvaraju et al. 2017, on the last conv layer, upsampled to the input and repeated
        # over channels so every method returns the input's shape.
        layer = last_conv_layer(model)
        cam = LayerGradCam(model, layer).attribute(x, target=target, relu_attributions=True)
        cam = LayerAttribution.interpolate(cam, tuple(x.shape[-2:]), interpolate_mode="bilinear")
        return cam.expand_as(x).contiguous()

    def occlusion(model, x, target):
        # Zeiler & Fergus 2014: output drop when a window is replaced by black.
        w = budget.occlusion_window
        return Occlusion(model).attribute(
            x, sliding_window_shapes=(x.shape[1], w, w), strides=(x.shape[1], w, w),
            baselines=0.0, target=target,
            perturbations_per_eval=_copies_per_pass(budget, len(x), OCCLUSION_PERTURBATIONS))

    return [AttributionMethod("saliency", saliency, "sensitivity", _images(budget, 1)),
            AttributionMethod("integrated_gradients", integrated_gradients, "contribution",
                              _images(budget, budget.ig_steps)),
            AttributionMethod("smoothgrad", smoothgrad, "sensitivity",
                              _images(budget, budget.smoothgrad_samples)),
            AttributionMethod("grad_cam", grad_cam, "contribution", _images(budget, 1)),
            AttributionMethod("occlusion", occlusion, "contribution",
                              _images(budget, OCCLUSION_PERTURBATIONS))]


def tabular_methods(budget: Budget) -> list[AttributionMethod]:
    """Integrated Gradients and gradient x input: per-feature importances for tabular models."""

    def integrated_gradients(model, x, target):
        # Sundararajan et al. 2017; zero baseline = the mean of standardized features.
        return IntegratedGradients(model).attribute(
            x, target=target, n_steps=budget.ig_steps,
            internal_batch_size=_ig_rows(budget, len(x)))

    def input_x_gradient(model, x, target):
        # Shrikumar et al. 2016 (gradient * input).
        return InputXGradient(model).attribute(x, target=target)

    return [AttributionMethod("integrated_gradients", integrated_gradients, "contribution",
                              _images(budget, budget.ig_steps)),
            AttributionMethod("input_x_gradient", input_x_gradient, "contribution",
                              _images(budget, 1))]


def select_methods(model: nn.Module, is_image: bool, budget: Budget,
                   methods: Sequence[str | AttributionMethod] | None) -> list[AttributionMethod]:
    """The default table for the data kind, or the user's choice of names and extra methods."""
    table = image_methods(budget) if is_image else tabular_methods(budget)
    if is_image and last_conv_layer(model) is None:
        table = [m for m in table if m.name != "grad_cam"]  # no conv layer to explain
    if methods is None:
        return table
    by_name = {m.name: m for m in table}
    chosen: list[AttributionMethod] = []
    for item in methods:
        if isinstance(item, AttributionMethod):
            chosen.append(item)
        elif item in by_name:
            chosen.append(by_name[item])
        else:
            raise UserInputError(f"unknown saliency method {item!r} for this model; choose from: "
                                 f"{', '.join(by_name)}.")
    if not chosen:
        raise UserInputError("the saliency method list is empty; leave it out for the defaults.")
    return chosen


def attribute_batched(method: AttributionMethod, model: nn.Module, x: torch.Tensor,
                      target: torch.Tensor) -> torch.Tensor:
    """``method`` over ``x`` in chunks; a float32 tensor of ``x``'s shape, on x's device."""
    batch_size = method.images_per_call or DEFAULT_IMAGES_PER_CALL
    maps = []
    for start in range(0, len(x), batch_size):
        inputs = x[start:start + batch_size].detach().clone().requires_grad_()
        chunk = method.attribute(model, inputs, target[start:start + batch_size])
        expected = x[start:start + batch_size].shape
        if tuple(chunk.shape) != tuple(expected):
            raise UserInputError(f"saliency method {method.name!r} returned maps of shape "
                                 f"{tuple(chunk.shape)}; it must return the inputs' shape "
                                 f"{tuple(expected)}.")
        maps.append(chunk.detach().float())
    return torch.cat(maps)


def _images(budget: Budget, rows_per_image: int) -> int | None:
    """Inputs per call such that a call's rows fit in one pass (at least one input)."""
    if budget.rows_per_pass is None:
        return None
    return max(1, budget.rows_per_pass // rows_per_image)


def _copies_per_pass(budget: Budget, n_inputs: int, copies: int) -> int:
    """Noisy or occluded copies of each input that one pass of ``n_inputs`` inputs may hold."""
    if budget.rows_per_pass is None:
        return copies
    return max(1, min(copies, budget.rows_per_pass // n_inputs))


def _ig_rows(budget: Budget, n_inputs: int) -> int | None:
    """IG's internal batch (inputs x steps); Captum needs at least two steps a pass."""
    if budget.rows_per_pass is None or n_inputs * budget.ig_steps <= budget.rows_per_pass:
        return None
    return max(budget.rows_per_pass, 2 * n_inputs)
