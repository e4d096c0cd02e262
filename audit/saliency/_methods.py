"""The attribution methods: Captum classes behind one calling convention.

Every method is an `AttributionMethod` whose ``attribute(model, inputs, target)`` returns a map of
the inputs' shape. The model is an argument (not bound at construction) so the sanity checks can
call the very same method on randomized copies of the model. Users may add their own methods
(any callable with that signature); the sanity checks then tell whether they explain the model.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable, Literal, Sequence

import torch
from captum.attr import (InputXGradient, IntegratedGradients, LayerAttribution, LayerGradCam,
                         NoiseTunnel, Occlusion, Saliency)
from torch import nn

from audit.errors import UserInputError

AttributeFn = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class AttributionMethod:
    """One attribution method.

    name:      short name used in tables, figures and findings.
    attribute: ``(model, inputs, target) -> Tensor`` of the inputs' shape.
    kind:      ``"contribution"`` when a positive value is evidence for the target (ranked by
               signed value in the faithfulness curves) or ``"sensitivity"`` when only the
               magnitude means something (ranked by absolute value).
    """

    name: str
    attribute: AttributeFn
    kind: Literal["contribution", "sensitivity"] = "sensitivity"


@dataclass(frozen=True)
class Budget:
    """How much each method may compute; the default keeps `nnaudit run` cheap on 2 CPU cores."""

    ig_steps: int = 32
    internal_batch_size: int | None = None   # IG / SmoothGrad chunking; None = all at once
    smoothgrad_samples: int = 16
    smoothgrad_stdev: float = 0.15           # noise std as a fraction of the input range [0, 1]
    occlusion_window: int = 4                # square window, stride = window (no overlap)


def prepare_model(model: nn.Module, device: torch.device) -> nn.Module:
    """A float32 eval-mode copy on ``device`` whose gradients flow to the inputs only.

    In-place activations are switched off: Captum's layer hooks (Grad-CAM) need the layer's
    output unmodified after the forward pass.
    """
    model = copy.deepcopy(model).to(device=device, dtype=torch.float32,
                                    memory_format=torch.contiguous_format).eval()
    for module in model.modules():
        if getattr(module, "inplace", False):
            module.inplace = False
    model.requires_grad_(False)
    return model


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
            internal_batch_size=budget.internal_batch_size)

    def smoothgrad(model, x, target):
        # Smilkov et al. 2017: mean gradient over noisy copies of the input.
        return NoiseTunnel(Saliency(model)).attribute(
            x, nt_type="smoothgrad", nt_samples=budget.smoothgrad_samples,
            nt_samples_batch_size=_samples_per_batch(budget, x),
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
            baselines=0.0, target=target, perturbations_per_eval=64)

    return [AttributionMethod("saliency", saliency, "sensitivity"),
            AttributionMethod("integrated_gradients", integrated_gradients, "contribution"),
            AttributionMethod("smoothgrad", smoothgrad, "sensitivity"),
            AttributionMethod("grad_cam", grad_cam, "contribution"),
            AttributionMethod("occlusion", occlusion, "contribution")]


def tabular_methods(budget: Budget) -> list[AttributionMethod]:
    """Integrated Gradients and gradient x input: per-feature importances for tabular models."""

    def integrated_gradients(model, x, target):
        # Sundararajan et al. 2017; zero baseline = the mean of standardized features.
        return IntegratedGradients(model).attribute(
            x, target=target, n_steps=budget.ig_steps,
            internal_batch_size=budget.internal_batch_size)

    def input_x_gradient(model, x, target):
        # Shrikumar et al. 2016 (gradient * input).
        return InputXGradient(model).attribute(x, target=target)

    return [AttributionMethod("integrated_gradients", integrated_gradients, "contribution"),
            AttributionMethod("input_x_gradient", input_x_gradient, "contribution")]


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
                      target: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """``method`` over ``x`` in chunks; a float32 tensor of ``x``'s shape, on x's device."""
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


def _samples_per_batch(budget: Budget, x: torch.Tensor) -> int | None:
    if budget.internal_batch_size is None:
        return None
    return max(1, budget.internal_batch_size // max(1, len(x)))
