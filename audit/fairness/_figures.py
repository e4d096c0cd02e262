"""Figures of the fairness audit: rates with intervals per subgroup, and an error heatmap.

Built on matplotlib's object API (``Figure`` without pyplot), so no global state and no GUI
backend: the store renders them with Agg. Figures stay readable whatever the data: at most
`MAX_BARS` bars (the highest and lowest error rates) and `MAX_CELLS` values per heatmap axis
(the largest groups), and labels cut at `MAX_LABEL` characters; the tables keep every group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

MAX_BARS = 40   # 1,000 groups drew a 49,732 px wide figure
MAX_CELLS = 30
MAX_LABEL = 40

LABELS = {"error_rate": "error rate", "accuracy": "accuracy", "tpr": "true positive rate (TPR)",
          "fpr": "false positive rate (FPR)", "ppv": "positive predictive value (PPV)",
          "selection_rate": "selection rate"}


def rate_bars(by_group: pd.DataFrame, metrics: list[str]) -> Figure:
    """One panel per rate: a bar per subgroup, 95% interval as error bar, small groups hatched,
    undefined rates marked as such rather than drawn as 0. Beyond `MAX_BARS` subgroups, only
    those with the highest and lowest ``metrics[0]`` (ranked groups first) are drawn."""
    total = len(by_group)
    by_group = extreme_groups(by_group, metrics[0])
    groupings = list(dict.fromkeys(by_group["attribute"]))
    colors = {g: f"C{i % 10}" for i, g in enumerate(groupings)}
    x = np.arange(len(by_group))
    labels = [short(g) for g in by_group["subgroup"]]
    # room under the panels for the slanted group names (about 0.05 in per character)
    label_height = 0.05 * max(map(len, labels), default=0)
    fig = Figure(figsize=(max(6.0, 0.45 * len(by_group) + 2), 2.6 * len(metrics) + label_height),
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
    axes[-1].set_xticks(x, labels, rotation=60, ha="right", fontsize=8)
    handles = [axes[0].bar(0, 0, color=colors[g], label=short(g)) for g in groupings]
    axes[0].legend(handles=handles, fontsize=7, loc="upper left", ncols=min(4, len(groupings)))
    title = "Rates per subgroup (95% intervals; hatched: too small to rank)"
    if len(by_group) < total:
        title += (f"\n{len(by_group)} of {total} subgroups drawn: the highest and lowest "
                  f"{LABELS.get(metrics[0], metrics[0])}; the table lists all")
    fig.suptitle(title)
    return fig


def extreme_groups(by_group: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The rows to draw: all of them up to `MAX_BARS`, else the `MAX_BARS` / 2 highest and
    lowest ``metric`` among ranked groups (all groups when none is ranked), in table order."""
    if len(by_group) <= MAX_BARS:
        return by_group
    ranked = by_group[~by_group["small_group"].astype(bool)]
    candidates = (ranked if len(ranked) else by_group)[metric].dropna().sort_values(kind="stable")
    half = MAX_BARS // 2
    keep = candidates.index if len(candidates) <= MAX_BARS else \
        candidates.index[:half].union(candidates.index[-half:])
    return by_group[by_group.index.isin(keep)]


def short(label) -> str:
    """A tick or legend label cut to `MAX_LABEL` characters."""
    label = str(label)
    return label if len(label) <= MAX_LABEL else label[:MAX_LABEL - 1] + "…"


def error_heatmap(by_group: pd.DataFrame, rows_attribute: str, columns_attribute: str) -> Figure:
    """Error rate of each intersection of two attributes, with its n."""
    name = f"{rows_attribute} x {columns_attribute}"
    table = by_group[by_group["attribute"] == name]
    row_values = _largest_values(by_group, rows_attribute)
    column_values = _largest_values(by_group, columns_attribute)
    table = table[table[rows_attribute].isin(row_values) & table[columns_attribute].isin(column_values)]
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
    ax.set_xticks(range(len(column_values)), [short(v) for v in column_values])
    ax.set_yticks(range(len(row_values)), [short(v) for v in row_values])
    ax.set_xlabel(short(columns_attribute))
    ax.set_ylabel(short(rows_attribute))
    fig.colorbar(image, ax=ax, label="error rate")
    values = by_group["attribute"].isin([rows_attribute, columns_attribute]).sum()
    cut = " (largest groups only)" if len(row_values) + len(column_values) < values else ""
    ax.set_title(f"Error rate by {short(name)}{cut}")
    return fig


def _largest_values(by_group: pd.DataFrame, attribute: str) -> list:
    """The values of one attribute, in table order, cut to the `MAX_CELLS` largest groups."""
    rows = by_group[by_group["attribute"] == attribute]
    keep = rows["n"].nlargest(MAX_CELLS, keep="first").index
    return list(rows.loc[rows.index.isin(keep), "subgroup"])
