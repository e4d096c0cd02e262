"""Figures of the robustness audit (matplotlib Figure objects; the store writes them).

Curves are drawn for everyone and for the subgroups of the finest grouping (the intersection of
all sensitive attributes), each with its 95 % interval as a band.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

PANEL_COLUMNS = 5
# The report prints a figure across the page (about 7 in): drawn at that width, a figure's font
# sizes are its printed sizes, and FONT_PT keeps them legible on paper.
PRINTED_WIDTH_IN = 7.0
FONT_PT = 8


def _curves(ax, table: pd.DataFrame, x: str, finest: str) -> None:
    """Accuracy against ``x``: everyone in black, each finest subgroup in colour."""
    shown = table[table["attribute"].isin(["overall", finest])]
    for (attribute, group), part in shown.groupby(["attribute", "subgroup"], sort=False):
        part = part.sort_values(x)
        everyone = attribute == "overall"
        line, = ax.plot(part[x], part["accuracy"], marker="o", markersize=3,
                        color="black" if everyone else None, linewidth=2 if everyone else 1.2,
                        label="everyone" if everyone else group)
        ax.fill_between(part[x], part["accuracy_low"], part["accuracy_high"],
                        color=line.get_color(), alpha=0.12, linewidth=0)
    ax.set_ylim(0, 1.02)


def corruption_figure(table: pd.DataFrame, finest: str) -> Figure:
    """One panel per corruption: accuracy against severity (0 = clean)."""
    corruptions = list(dict.fromkeys(table["corruption"]))
    rows = math.ceil(len(corruptions) / PANEL_COLUMNS)
    columns = min(PANEL_COLUMNS, len(corruptions))
    fig = Figure(figsize=(2.6 * columns, 2.2 * rows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False, sharey=True)).ravel()
    for ax, name in zip(axes, corruptions):
        _curves(ax, table[table["corruption"] == name], "severity", finest)
        ax.set_title(name.replace("_", " "), fontsize=9)
        ax.set_xticks(sorted(table["severity"].unique()))
    for ax in axes[len(corruptions):]:
        ax.set_axis_off()
    for ax in axes[::columns]:
        ax.set_ylabel("accuracy")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(6, len(labels)), fontsize=8)
    fig.suptitle("Accuracy under corruption, by severity (0 = clean)", fontsize=10)
    return fig


def attack_figure(table: pd.DataFrame, clean: pd.DataFrame, finest: str) -> Figure:
    """One panel per attack: accuracy against radius, starting from the clean accuracy; one
    legend below the panels, off the curves."""
    attacks = list(dict.fromkeys(table["attack"]))
    fig = Figure(figsize=(PRINTED_WIDTH_IN, 2.9), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(attacks), squeeze=False, sharey=True)).ravel()
    for ax, attack in zip(axes, attacks):
        part = table[table["attack"] == attack]
        norm = part["norm"].iloc[0]
        _curves(ax, pd.concat([clean.assign(radius=0.0), part], ignore_index=True), "radius",
                finest)
        ax.set_title(f"{attack} ({norm})", fontsize=FONT_PT + 1)
        ax.set_xlabel(f"radius ({norm})", fontsize=FONT_PT)
        ax.tick_params(labelsize=FONT_PT)
    axes[0].set_ylabel("accuracy", fontsize=FONT_PT)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(5, len(labels)),
               fontsize=FONT_PT, frameon=False)
    return fig


def flip_radius_figure(radii: pd.DataFrame, groups: list[str], attack: str,
                       grid: np.ndarray) -> Figure:
    """Share of images flipped at or below each radius (an empirical CDF), per subgroup, on
    the bisection's geometric grid (log scale).

    ``radii`` is the per-image table; ``groups`` the columns whose joined values name the
    curves. A curve starts at the share misclassified clean and stops below 1 by the share the
    largest radius does not flip.
    """
    fig = Figure(figsize=(5, 3.4), layout="constrained")
    ax = fig.subplots()
    labels = (radii[groups].astype(str).agg(" x ".join, axis=1) if groups
              else pd.Series("everyone", index=radii.index))
    grid = grid[1:]
    for label in ["everyone", *sorted(set(labels) - {"everyone"})]:
        values = radii["radius"].to_numpy() if label == "everyone" else radii.loc[
            labels == label, "radius"].to_numpy()
        share = (values[None, :] <= grid[:, None]).mean(axis=1)
        ax.step(grid, share, where="post", label=label,
                color="black" if label == "everyone" else None,
                linewidth=2 if label == "everyone" else 1.2)
    ax.set_xscale("log")
    ax.set_xlabel(f"radius of {attack} (log scale)")
    ax.set_ylabel("share of images misclassified")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7)
    return fig


def example_figure(x: torch.Tensor, adversarial: torch.Tensor, labels: list[str],
                   clean_predictions: list[str], adversarial_predictions: list[str],
                   radii: list[float], groups: list[str], attack: str) -> Figure:
    """One row per image: the image, the perturbation (amplified), the adversarial image."""
    rows = max(1, len(x))
    fig = Figure(figsize=(5.4, 1.9 * rows), layout="constrained")
    axes = fig.subplots(rows, 3, squeeze=False)
    for i in range(len(x)):
        delta = (adversarial[i] - x[i]).mean(dim=0).numpy()
        bound = float(np.abs(delta).max()) or 1.0
        axes[i, 0].imshow(_picture(x[i]), cmap="gray", vmin=0, vmax=1)
        axes[i, 0].set_title(f"{groups[i]}\nlabel {labels[i]}, pred {clean_predictions[i]}",
                             fontsize=7)
        axes[i, 1].imshow(delta, cmap="RdBu_r", vmin=-bound, vmax=bound)
        axes[i, 1].set_title(f"{attack} perturbation\nradius {radii[i]:.3g}", fontsize=7)
        axes[i, 2].imshow(_picture(adversarial[i]), cmap="gray", vmin=0, vmax=1)
        axes[i, 2].set_title(f"adversarial\npred {adversarial_predictions[i]}", fontsize=7,
                             color="firebrick" if adversarial_predictions[i] != labels[i]
                             else "black")
    for ax in axes.flat:
        ax.set_axis_off()
    return fig


def _picture(image: torch.Tensor) -> np.ndarray:
    picture = image.permute(1, 2, 0).numpy()
    return picture[..., 0] if picture.shape[-1] == 1 else picture.clip(0, 1)
