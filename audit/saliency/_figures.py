"""Figures of the saliency audit (matplotlib Figure objects; the store writes them)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from nnaudit.saliency._faithfulness import RANDOM_ORDER
from nnaudit.saliency._sanity import SIMILARITY_THRESHOLD, CascadeResult, _figure_map

# The report prints a figure across the page (A4 less its margins, about 7 in): drawn at that
# width, a figure's font sizes are its printed sizes, and FONT_PT keeps them legible on paper.
PRINTED_WIDTH_IN = 7.0
FONT_PT = 8
SHORT_METHODS = {"integrated_gradients": "int. gradients", "smoothgrad": "smoothgrad",
                 "grad_cam": "grad-cam"}


def example_grid(x, y, y_pred, maps, *, classes) -> Figure:
    """One row per example (correct ones first, then misclassified): input, then each map.

    Drawn at the width the report prints it (`PRINTED_WIDTH_IN`), so its 8 pt labels stay 8 pt
    on paper; the input's title is short: the label, and "label → prediction" when wrong.
    """
    methods = list(maps)
    rows, cols = max(1, len(x)), 1 + len(methods)
    side = PRINTED_WIDTH_IN / cols
    fig = Figure(figsize=(PRINTED_WIDTH_IN, side * rows + 0.35), layout="constrained")
    axes = np.atleast_2d(fig.subplots(rows, cols, squeeze=False))
    for i in range(len(x)):
        image = x[i].permute(1, 2, 0).numpy()
        axes[i, 0].imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray",
                          vmin=0, vmax=1)
        wrong = y[i] != y_pred[i]
        axes[i, 0].set_title(f"{classes[y[i]]} → {classes[y_pred[i]]} ✗" if wrong
                             else f"{classes[y[i]]} ✓", fontsize=FONT_PT,
                             color="firebrick" if wrong else "black")
        for j, name in enumerate(methods, start=1):
            axes[i, j].imshow(_figure_map(maps[name][i]), cmap="inferno")
            if i == 0:
                axes[i, j].set_title(short_method(name), fontsize=FONT_PT)
    for ax in axes.flat:
        ax.set_axis_off()
    return fig


def short_method(name: str) -> str:
    """A method's name short enough for a column of a printed figure."""
    return SHORT_METHODS.get(name, name.replace("_", " "))


def cascade_figure(cascade: CascadeResult, verdicts: pd.DataFrame) -> Figure:
    """Rank correlation along the cascade, and one example's maps at each step.

    The legend sits right of the axes, off the lines; the y axis reaches below 0 as far as a
    method's correlation does (grad-cam's can turn negative).
    """
    methods = list(cascade.example_maps)
    steps = cascade.step_labels
    fig = Figure(figsize=(PRINTED_WIDTH_IN, 2.8 + 0.9 * len(methods)), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[2.8, 0.9 * len(methods)])
    ax = top.subplots()
    for method, part in cascade.table.groupby("method", sort=False):
        ax.plot(part["step"], part["spearman_abs"], marker="o", label=short_method(method))
    ax.axhline(SIMILARITY_THRESHOLD, color="gray", linestyle="--", linewidth=1)
    ax.set_xticks(range(1, len(steps)), steps[1:], rotation=20, ha="right", fontsize=FONT_PT)
    ax.tick_params(labelsize=FONT_PT)
    ax.set_ylabel("rank correlation of |maps|\nwith the trained model", fontsize=FONT_PT)
    ax.set_xlabel("layers re-initialized (cumulative, from the output down)", fontsize=FONT_PT)
    lowest = float(np.nanmin(cascade.table["spearman_abs"])) if len(cascade.table) else 0.0
    ax.set_ylim(min(-0.1, lowest - 0.05), 1.05)
    ax.legend(fontsize=FONT_PT, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    grid = bottom.subplots(len(methods), len(steps), squeeze=False)
    for i, method in enumerate(methods):
        for j, m in enumerate(cascade.example_maps[method]):
            grid[i, j].imshow(m if m.ndim == 2 else m[None, :], cmap="inferno", aspect="auto")
            grid[i, j].set_xticks([]), grid[i, j].set_yticks([])
            if i == 0:
                grid[i, j].set_title(steps[j], fontsize=FONT_PT)
        grid[i, 0].set_ylabel(short_method(method), fontsize=FONT_PT)
    return fig


def curves_figure(curves: pd.DataFrame) -> Figure:
    """Deletion and insertion curves per method against the random order; one legend right of
    both panels, off the curves."""
    fig = Figure(figsize=(PRINTED_WIDTH_IN, 2.8), layout="constrained")
    for ax, curve in zip(fig.subplots(1, 2, sharey=True), ("deletion", "insertion")):
        for method, part in curves[curves["curve"] == curve].groupby("method", sort=False):
            style = dict(color="gray", linestyle="--") if method == RANDOM_ORDER else {}
            ax.plot(part["fraction"], part["probability"], label=short_method(method),
                    **style)
        ax.set_title(curve, fontsize=FONT_PT + 1)
        ax.set_xlabel("fraction of pixels " + ("removed" if curve == "deletion" else "restored"),
                      fontsize=FONT_PT)
        ax.tick_params(labelsize=FONT_PT)
        ax.set_ylim(0, 1.02)
    fig.axes[0].set_ylabel("probability of the predicted class", fontsize=FONT_PT)
    fig.legend(*fig.axes[0].get_legend_handles_labels(), loc="outside right center",
               fontsize=FONT_PT, frameon=False)
    return fig


def mean_map_grid(means: dict[str, dict[tuple[str, str], np.ndarray]]) -> Figure:
    """Mean |attribution| per subgroup, one row per method, one column per subgroup (its value
    as the short title; the per-predicted-class maps stay in the audit's data, not drawn)."""
    methods = list(means)
    every = list(next(iter(means.values())))
    keys = [key for key in every if key[0] != "predicted class"] or every
    side = min(1.3, PRINTED_WIDTH_IN / (len(keys) + 1))
    fig = Figure(figsize=(side * len(keys) + 1.2, side * len(methods) + 0.4),
                 layout="constrained")
    axes = fig.subplots(len(methods), len(keys), squeeze=False)
    for i, method in enumerate(methods):
        for j, key in enumerate(keys):
            axes[i, j].imshow(means[method][key], cmap="inferno")
            axes[i, j].set_xticks([]), axes[i, j].set_yticks([])
            if i == 0:
                axes[i, j].set_title(str(key[1]), fontsize=FONT_PT)
        axes[i, 0].set_ylabel(short_method(method), fontsize=FONT_PT)
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
