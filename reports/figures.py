"""Figures the report draws from the audits' tables, labelled in the reader's language.

The audits save their own figures (English labels, every detail); the report's main body shows
these few instead, where a reader would rather look than read: the error rate of each group with
its interval, the training curves of true against random labels (Zhang et al. 2017, figure 1a)
and the energy of each phase. Each is a matplotlib ``Figure`` (no pyplot), embedded as a PNG.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from nnaudit.fairness import extreme_groups
from nnaudit.messages import N_
from nnaudit.reports.formatting import Formatter
from nnaudit.reports.course_table import group_columns

DPI = 150
WIDTH_IN = 7.0
SMALL_GREY = "#b5b5b5"
INK = "#1d232b"
# Phases of the energy audit other than "audit:<name>", translated on the figure.
PHASES = {"training": N_("training"), "inference": N_("inference")}


def png_data_uri(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def error_by_group_figure(overall: pd.DataFrame, by_group: pd.DataFrame, attributes: list[str],
                          fmt: Formatter) -> Figure | None:
    """Each group's error rate with its 95 % interval, everyone's as a vertical line; groups too
    small to rank in grey."""
    groups = [(c, r) for c, r in group_columns(overall, by_group, attributes, fmt)[1:]
              if r is not None and not pd.isna(r["error_rate"])]
    if not groups:
        return None
    total = len(groups)
    # at most MAX_BARS bars, the highest and lowest error rates: 10,000 groups drew a
    # 2,400-inch figure in minutes (issue 23); the table beside it lists every group
    kept = extreme_groups(pd.DataFrame([{"small_group": c.small, "error_rate": r["error_rate"]}
                                        for c, r in groups]), "error_rate").index
    groups = [groups[i] for i in kept]
    _ = fmt.gettext
    labels = [f"{c.label} ({c.group})" if c.group == _("Intersection") else c.label
              for c, _r in groups]
    values = np.array([r["error_rate"] for _c, r in groups]) * 100
    # clipped at 0: a bound equal to the value can fall a rounding error on the wrong side
    low = np.clip(values - np.array([r["error_rate_low"] for _c, r in groups]) * 100, 0, None)
    high = np.clip(np.array([r["error_rate_high"] for _c, r in groups]) * 100 - values, 0, None)
    colors = [SMALL_GREY if c.small else "#c0392b" for c, _r in groups]
    figure = Figure(figsize=(WIDTH_IN, 0.24 * len(groups) + 0.9), layout="constrained")
    axes = figure.subplots()
    y = np.arange(len(groups))[::-1]
    axes.barh(y, values, color=colors, alpha=0.35)
    axes.errorbar(values, y, xerr=[low, high], fmt="o", color=INK, capsize=3, markersize=4)
    everyone = overall["error_rate"].iloc[0] * 100 if len(overall) else None
    if everyone is not None and everyone == everyone:
        axes.axvline(everyone, color=INK, linestyle="--", linewidth=1,
                     label=fmt.sentence(N_("everyone: {value}%"),
                                        value=fmt.number(everyone / 100, "points")))
        axes.legend(loc="lower right", fontsize=8)
    axes.set_yticks(y, [label[:40] for label in labels], fontsize=8)
    axes.set_xlabel(_("Error rate (%) with its 95% interval"))
    if len(groups) < total:
        axes.set_title(fmt.sentence(N_("{shown} of {total} groups drawn: the highest and lowest "
                                       "error rates; the table lists them all."),
                                    shown=len(groups), total=total), fontsize=8)
    axes.set_xlim(left=0)
    axes.grid(axis="x", alpha=0.3)
    return figure


def training_curves_figure(curves: pd.DataFrame, fmt: Formatter) -> Figure | None:
    """Training loss and accuracy per epoch of each condition (true labels, random labels...).

    The key to the lines (a colour per condition, solid for training, dotted for test) is one
    legend above both panels, outside the data, so no axis label has to carry it."""
    if curves is None or curves.empty:
        return None
    _ = fmt.gettext
    figure = Figure(figsize=(WIDTH_IN, 2.8), layout="constrained")
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    handles = []
    for condition, part in curves.groupby("condition", sort=False):
        part = part.sort_values("epoch")
        line, = loss_axes.plot(part["epoch"], part["train_loss"], label=_(str(condition)))
        handles.append(line)
        accuracy_axes.plot(part["epoch"], part["train_acc"] * 100, color=line.get_color())
        accuracy_axes.plot(part["epoch"], part["test_acc"] * 100, color=line.get_color(),
                           linestyle=":")
    handles += [Line2D([], [], color=INK, label=_("training")),
                Line2D([], [], color=INK, linestyle=":", label=_("test"))]
    figure.legend(handles=handles, loc="outside upper center", ncols=len(handles), fontsize=8,
                  frameon=False)
    loss_axes.set_xlabel(_("epoch"))
    loss_axes.set_ylabel(_("training loss"))
    accuracy_axes.set_xlabel(_("epoch"))
    accuracy_axes.set_ylabel(_("accuracy (%)"))
    accuracy_axes.set_ylim(0, 102)
    for axes in (loss_axes, accuracy_axes):
        axes.grid(alpha=0.3)
    return figure


def energy_figure(phases: pd.DataFrame, fmt: Formatter) -> Figure | None:
    """Energy of each phase in Wh, hatched where estimated rather than measured."""
    shown = phases[(phases["phase"] != "total") & (phases["status"] != "skipped")]
    if shown.empty:
        return None
    _ = fmt.gettext
    names = [fmt.audit_title(p.split(":", 1)[1]) if p.startswith("audit:")
             else _(PHASES.get(p, p)) for p in shown["phase"]]
    figure = Figure(figsize=(WIDTH_IN, 0.2 * len(shown) + 0.8), layout="constrained")
    axes = figure.subplots()
    y = np.arange(len(shown))[::-1]
    estimated = shown["label"] != "measured"
    axes.barh(y, shown["energy_kwh"] * 1000, color="#2f6fab",
              hatch=["//" if e else "" for e in estimated], edgecolor="white")
    axes.set_yticks(y, [n[:45] for n in names], fontsize=8)
    axes.set_xlabel(_("energy (Wh); hatched: estimated, not measured") if estimated.any()
                    else _("energy (Wh), measured"))
    axes.grid(axis="x", alpha=0.3)
    return figure
