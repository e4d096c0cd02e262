"""Figures of the fairness audit: rates with intervals per subgroup, and an error heatmap.

Built on matplotlib's object API (``Figure`` without pyplot), so no global state and no GUI
backend: the store renders them with Agg.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

LABELS = {"error_rate": "error rate", "accuracy": "accuracy", "tpr": "true positive rate (TPR)",
          "fpr": "false positive rate (FPR)", "ppv": "positive predictive value (PPV)",
          "selection_rate": "selection rate"}


def rate_bars(by_group: pd.DataFrame, metrics: list[str]) -> Figure:
    """One panel per rate: a bar per subgroup, 95% interval as error bar, small groups hatched,
    undefined rates marked as such rather than drawn as 0."""
    groupings = list(dict.fromkeys(by_group["attribute"]))
    colors = {g: f"C{i % 10}" for i, g in enumerate(groupings)}
    x = np.arange(len(by_group))
    fig = Figure(figsize=(max(6.0, 0.45 * len(by_group) + 2), 2.6 * len(metrics)),
                 layout="constrained")
    axes = fig.subplots(len(metrics), 1, sharex=True, squeeze=False)[:, 0]
    for ax, metric in zip(axes, metrics):
        value = by_group[metric].to_numpy(dtype=float)
        low = by_group[f"{metric}_low"].to_numpy(dtype=float)
        high = by_group[f"{metric}_high"].to_numpy(dtype=float)
        bars = ax.bar(x, np.nan_to_num(value), color=[colors[a] for a in by_group["attribute"]],
                      yerr=np.clip(np.nan_to_num([value - low, high - value]), 0, None), capsize=2)
        for bar, small, undefined in zip(bars, by_group["small_group"], np.isnan(value)):
            if small:
                bar.set_hatch("//")
                bar.set_alpha(0.5)
            if undefined:
                ax.text(bar.get_x() + bar.get_width() / 2, 0, "undefined", rotation=90,
                        ha="center", va="bottom", fontsize=7)
        ax.set_ylabel(LABELS.get(metric, metric))
        ax.set_ylim(0, min(1.0, max(0.05, np.nanmax(np.append(high, 0)) * 1.15)))
        ax.grid(axis="y", alpha=0.3)
    axes[-1].set_xticks(x, by_group["group"], rotation=60, ha="right", fontsize=8)
    handles = [axes[0].bar(0, 0, color=colors[g], label=g) for g in groupings]
    axes[0].legend(handles=handles, fontsize=7, loc="upper left", ncols=min(4, len(groupings)))
    fig.suptitle("Rates per subgroup (95% intervals; hatched: too small to rank)")
    return fig


def error_heatmap(by_group: pd.DataFrame, rows_attribute: str, columns_attribute: str) -> Figure:
    """Error rate of each intersection of two attributes, with its n."""
    name = f"{rows_attribute} x {columns_attribute}"
    table = by_group[by_group["attribute"] == name]
    row_values = list(by_group.loc[by_group["attribute"] == rows_attribute, "group"])
    column_values = list(by_group.loc[by_group["attribute"] == columns_attribute, "group"])
    error = np.full((len(row_values), len(column_values)), np.nan)
    counts = np.zeros_like(error, dtype=int)
    for r, c, rate, n in zip(table[rows_attribute], table[columns_attribute], table["error_rate"],
                             table["n"]):
        error[row_values.index(r), column_values.index(c)] = rate
        counts[row_values.index(r), column_values.index(c)] = n
    fig = Figure(figsize=(1.4 * len(column_values) + 2.5, 1.0 * len(row_values) + 1.5),
                 layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(np.ma.masked_invalid(error), cmap="Reds", vmin=0)
    for (r, c), rate in np.ndenumerate(error):
        text = "empty" if counts[r, c] == 0 else f"{rate:.1%}\nn={counts[r, c]}"
        ax.text(c, r, text, ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(column_values)), column_values)
    ax.set_yticks(range(len(row_values)), row_values)
    ax.set_xlabel(columns_attribute)
    ax.set_ylabel(rows_attribute)
    fig.colorbar(image, ax=ax, label="error rate")
    ax.set_title(f"Error rate by {name}")
    return fig
