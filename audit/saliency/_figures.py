"""Figures of the saliency audit (matplotlib Figure objects; the store writes them)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from nnaudit.saliency._faithfulness import RANDOM_ORDER
from nnaudit.saliency._sanity import SIMILARITY_THRESHOLD, CascadeResult, _figure_map


def example_grid(x, y, y_pred, maps, *, classes) -> Figure:
    """One row per example (correct ones first, then misclassified): input, then each map."""
    methods = list(maps)
    rows, cols = max(1, len(x)), 1 + len(methods)
    fig = Figure(figsize=(1.6 * cols, 1.7 * rows), layout="constrained")
    axes = np.atleast_2d(fig.subplots(rows, cols, squeeze=False))
    for i in range(len(x)):
        image = x[i].permute(1, 2, 0).numpy()
        axes[i, 0].imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray",
                          vmin=0, vmax=1)
        verdict = "" if y[i] == y_pred[i] else " (wrong)"
        axes[i, 0].set_title(f"label {classes[y[i]]}\npred {classes[y_pred[i]]}{verdict}",
                             fontsize=7, color="black" if not verdict else "firebrick")
        for j, name in enumerate(methods, start=1):
            axes[i, j].imshow(_figure_map(maps[name][i]), cmap="inferno")
            if i == 0:
                axes[i, j].set_title(name.replace("_", " "), fontsize=7)
    for ax in axes.flat:
        ax.set_axis_off()
    return fig


def cascade_figure(cascade: CascadeResult, verdicts: pd.DataFrame) -> Figure:
    """Rank correlation along the cascade, and one example's maps at each step."""
    methods = list(cascade.example_maps)
    steps = cascade.step_labels
    fig = Figure(figsize=(max(6.0, 1.3 * len(steps)), 2.6 + 1.3 * len(methods)),
                 layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[2.4, 1.3 * len(methods)])
    ax = top.subplots()
    for method, part in cascade.table.groupby("method", sort=False):
        ax.plot(part["step"], part["spearman_abs"], marker="o", label=method.replace("_", " "))
    ax.axhline(SIMILARITY_THRESHOLD, color="gray", linestyle="--", linewidth=1)
    ax.set_xticks(range(1, len(steps)), steps[1:], rotation=30, ha="right", fontsize=7)
    ax.set_ylabel("rank correlation of |maps|\nwith the trained model")
    ax.set_xlabel("layers re-initialized (cumulative, from the output down)")
    ax.set_ylim(-0.1, 1.05)
    ax.legend(fontsize=7)
    grid = bottom.subplots(len(methods), len(steps), squeeze=False)
    for i, method in enumerate(methods):
        for j, m in enumerate(cascade.example_maps[method]):
            grid[i, j].imshow(m if m.ndim == 2 else m[None, :], cmap="inferno", aspect="auto")
            grid[i, j].set_xticks([]), grid[i, j].set_yticks([])
            if i == 0:
                grid[i, j].set_title(steps[j], fontsize=6)
        grid[i, 0].set_ylabel(method.replace("_", " "), fontsize=7)
    return fig


def curves_figure(curves: pd.DataFrame) -> Figure:
    """Deletion and insertion curves per method against the random order."""
    fig = Figure(figsize=(9, 3.4), layout="constrained")
    for ax, curve in zip(fig.subplots(1, 2), ("deletion", "insertion")):
        for method, part in curves[curves["curve"] == curve].groupby("method", sort=False):
            style = dict(color="gray", linestyle="--") if method == RANDOM_ORDER else {}
            ax.plot(part["fraction"], part["probability"], label=method.replace("_", " "),
                    **style)
        ax.set_title(curve)
        ax.set_xlabel("fraction of pixels " + ("removed" if curve == "deletion" else "restored"))
        ax.set_ylabel("probability of the predicted class")
        ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7)
    return fig


def mean_map_grid(means: dict[str, dict[tuple[str, str], np.ndarray]]) -> Figure:
    """Mean |attribution| per subgroup and per predicted class, one row per method."""
    methods = list(means)
    keys = list(next(iter(means.values())))
    fig = Figure(figsize=(1.2 * len(keys), 1.4 * len(methods) + 0.6), layout="constrained")
    axes = fig.subplots(len(methods), len(keys), squeeze=False)
    for i, method in enumerate(methods):
        for j, key in enumerate(keys):
            axes[i, j].imshow(means[method][key], cmap="inferno")
            axes[i, j].set_xticks([]), axes[i, j].set_yticks([])
            if i == 0:
                axes[i, j].set_title(f"{key[0]}\n{key[1]}", fontsize=6)
        axes[i, 0].set_ylabel(method.replace("_", " "), fontsize=7)
    return fig


def feature_importance_figure(table: pd.DataFrame, top: int = 15) -> Figure:
    """Mean |attribution| of the most important features, overall, one panel per method."""
    overall = table[table["attribute"] == "all"]
    methods = overall["method"].unique()
    fig = Figure(figsize=(4.2 * len(methods), 0.3 * top + 1), layout="constrained")
    for ax, method in zip(np.atleast_1d(fig.subplots(1, len(methods))), methods):
        part = overall[overall["method"] == method].nsmallest(top, "rank")[::-1]
        ax.barh(part["feature"], part["mean_abs_attribution"])
        ax.set_title(method.replace("_", " "))
        ax.set_xlabel("mean |attribution|")
        ax.tick_params(axis="y", labelsize=7)
    return fig
