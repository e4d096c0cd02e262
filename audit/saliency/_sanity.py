"""Sanity checks for saliency maps (Adebayo et al. 2018, "Sanity Checks for Saliency Maps").

A map that explains a model must change when the model changes. Two tests:

- cascading model-parameter randomization: re-initialize the learnable layers one by one from
  the output down, cumulatively, on a copy of the model, and compare each method's maps with the
  maps of the trained model;
- data randomization: compare with the maps of the same architecture trained on random labels.

Similarity is measured per example by Spearman rank correlation of the absolute maps and of the
signed maps, and by SSIM of the absolute maps normalized to [0, 1] (images only), then averaged.
A method whose maps keep a mean absolute-map rank correlation above `SIMILARITY_THRESHOLD` after
full randomization (or on the random-label model) is flagged as not explaining the model.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from scipy.stats import rankdata
from skimage.metrics import structural_similarity
from torch import nn

from nnaudit.saliency._methods import AttributionMethod, attribute_batched

# Adebayo et al. read "maps barely change" off their figures; 0.5 is our documented cut-off.
# A map that ignores the model scores 1; a gradient of a fully re-initialized LeNet-5 about 0.1.
SIMILARITY_THRESHOLD = 0.5


@dataclass
class CascadeResult:
    """The cascade table and, for the figure, one example's map after each randomization step."""

    table: pd.DataFrame                       # method, step, layer, spearman_abs, ...
    example_maps: dict[str, list[np.ndarray]] = field(default_factory=dict)  # method -> 2-D maps
    step_labels: list[str] = field(default_factory=list)  # "original", then the layer names


def learnable_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Modules that own parameters directly, from the output down (the cascade's order)."""
    layers = [(name, module) for name, module in model.named_modules()
              if any(True for _ in module.parameters(recurse=False))]
    return layers[::-1]


def cascading_randomization(model: nn.Module, x: torch.Tensor, target: torch.Tensor,
                            methods: list[AttributionMethod], original: dict[str, torch.Tensor],
                            *, max_layers: int | None = None, seed: int = 0) -> CascadeResult:
    """Randomize layers top-down, cumulatively, and compare every method's maps to ``original``.

    ``max_layers`` bounds the cost: the cascade then stops after that many layers and the last
    step re-initializes *all* remaining layers at once, so "full randomization" is always tested.
    """
    layers = learnable_layers(model)
    steps = _cascade_steps(layers, max_layers)
    randomized = copy.deepcopy(model)
    modules = dict(randomized.named_modules())
    generator = torch.Generator().manual_seed(seed)
    rows, example_maps = [], {m.name: [_figure_map(original[m.name][0])] for m in methods}
    for step, (label, names) in enumerate(steps, start=1):
        for name in names:
            _reinitialize(modules[name], generator)
        for method in methods:
            maps = attribute_batched(method, randomized, x, target)
            rows.append({"method": method.name, "step": step, "layer": label,
                         **_mean(map_similarity(original[method.name], maps))})
            example_maps[method.name].append(_figure_map(maps[0]))
    return CascadeResult(pd.DataFrame(rows), example_maps,
                         ["original"] + [label for label, _ in steps])


def data_randomization(random_label_model: nn.Module, x: torch.Tensor, target: torch.Tensor,
                       methods: list[AttributionMethod],
                       original: dict[str, torch.Tensor]) -> pd.DataFrame:
    """Similarity between the trained model's maps and those of a model fit to random labels.

    The target stays the trained model's predicted class so both maps answer the same question.
    """
    rows = []
    for method in methods:
        maps = attribute_batched(method, random_label_model, x, target)
        rows.append({"method": method.name, **_mean(map_similarity(original[method.name], maps))})
    return pd.DataFrame(rows)


def sanity_verdicts(cascade: pd.DataFrame, data_test: pd.DataFrame | None) -> pd.DataFrame:
    """Per method: similarity after full randomization (and on random labels) and pass/fail."""
    full = cascade[cascade["step"] == cascade["step"].max()].set_index("method")
    verdicts = pd.DataFrame({"method": full.index,
                             "full_randomization_spearman_abs": full["spearman_abs"].to_numpy(),
                             "full_randomization_spearman_signed":
                                 full["spearman_signed"].to_numpy(),
                             "full_randomization_ssim": full["ssim"].to_numpy()})
    failing = verdicts["full_randomization_spearman_abs"] > SIMILARITY_THRESHOLD
    if data_test is not None:
        random_labels = data_test.set_index("method")["spearman_abs"]
        verdicts["random_labels_spearman_abs"] = random_labels.reindex(
            verdicts["method"]).to_numpy()
        failing |= verdicts["random_labels_spearman_abs"] > SIMILARITY_THRESHOLD
    verdicts["passes"] = ~failing
    return verdicts.reset_index(drop=True)


def map_similarity(a: torch.Tensor, b: torch.Tensor) -> dict[str, np.ndarray]:
    """Per-example Spearman (absolute and signed maps) and SSIM between two batches of maps.

    A constant map has no ranking: its correlation with anything is counted as 0 (it shares no
    information with the other map). SSIM is NaN for tabular inputs, where it has no meaning.
    """
    a_flat = a.detach().cpu().double().flatten(1).numpy()
    b_flat = b.detach().cpu().double().flatten(1).numpy()
    result = {"spearman_abs": _spearman_rows(np.abs(a_flat), np.abs(b_flat)),
              "spearman_signed": _spearman_rows(a_flat, b_flat)}
    if a.dim() == 4:
        side = min(a.shape[-2:])
        window = min(7, side if side % 2 else side - 1)  # skimage's default, shrunk for tiny maps
        result["ssim"] = np.array([structural_similarity(_unit(_figure_map(p)),
                                                         _unit(_figure_map(q)), data_range=1.0,
                                                         win_size=window)
                                   for p, q in zip(a, b)])
    else:
        result["ssim"] = np.full(len(a_flat), np.nan)
    return result


def _spearman_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ra, rb = rankdata(a, axis=1), rankdata(b, axis=1)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    denominator = np.sqrt((ra ** 2).sum(axis=1) * (rb ** 2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (ra * rb).sum(axis=1) / denominator
    return np.nan_to_num(rho, nan=0.0)


def _cascade_steps(layers, max_layers):
    steps = [(name, [name]) for name, _ in layers]
    if max_layers is not None and len(steps) > max_layers:
        rest = [name for name, _ in layers[max_layers - 1:]]
        steps = steps[:max_layers - 1] + [("all remaining layers", rest)]
    return steps


def _reinitialize(module: nn.Module, generator: torch.Generator) -> None:
    """The layer's own initializer (the state before training); normal noise otherwise."""
    if hasattr(module, "reset_parameters"):
        with torch.random.fork_rng():  # leave the caller's random stream untouched
            torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=generator)))
            module.reset_parameters()
    else:
        with torch.no_grad():
            for p in module.parameters(recurse=False):
                p.copy_(torch.randn(p.shape, generator=generator).to(p) * 0.05)


def _figure_map(m: torch.Tensor) -> np.ndarray:
    """One example's map as a 2-D array: |attribution| summed over channels."""
    m = m.detach().abs()
    return (m.sum(dim=0) if m.dim() == 3 else m).cpu().numpy()


def _unit(m: np.ndarray) -> np.ndarray:
    top = m.max()
    return m / top if top > 0 else m


def _mean(per_example: dict[str, np.ndarray]) -> dict[str, float]:
    return {k: float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")
            for k, v in per_example.items()}
