"""The audit's figures: learning curves, noise sweep, attack ROC, gradients.

Plain `matplotlib.figure.Figure` objects, as the other audits draw them: no pyplot state and no
global backend switch in the user's process.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure


def learning_curves(curves: pd.DataFrame, target: float, chance: float):
    fig = Figure(figsize=(9, 3.4), layout="tight")
    axes = fig.subplots(1, 2, sharey=True)
    for condition, rows in curves.groupby("condition", sort=False):
        axes[0].plot(rows.epoch, rows.train_acc, marker=".", label=condition)
        axes[1].plot(rows.epoch, rows.test_acc, marker=".", label=condition)
    axes[0].axhline(target, color="grey", ls="--", lw=0.8, label="target")
    for ax, title in zip(axes, ("training accuracy", "test accuracy")):
        ax.axhline(chance, color="grey", ls=":", lw=0.8)
        ax.set(title=title, xlabel="epoch", ylim=(0, 1.02))
    axes[0].set_ylabel("accuracy")
    axes[0].legend(fontsize=8)
    return fig


def noise_sweep(sweep: pd.DataFrame, chance: float):
    fig = Figure(figsize=(5, 3.4), layout="tight")
    ax = fig.subplots()
    ax.plot(sweep.fraction, sweep.train_acc, marker="o", label="training")
    ax.plot(sweep.fraction, sweep.test_acc, marker="o", label="test")
    ax.axhline(chance, color="grey", ls=":", lw=0.8, label="chance")
    ax.set(xlabel="share of labels corrupted", ylabel="accuracy", ylim=(0, 1.02),
           title="label-noise sweep")
    ax.legend(fontsize=8)
    return fig


def membership_roc(curves: dict[str, pd.DataFrame]):
    fig = Figure(figsize=(4, 4), layout="tight")
    ax = fig.subplots()
    for name, points in curves.items():
        ax.plot(points.fpr, points.tpr, label=name)
    ax.plot([0, 1], [0, 1], color="grey", ls=":", lw=0.8)
    ax.set(xlabel="false positive rate", ylabel="true positive rate",
           title="membership attack (loss threshold)")
    ax.legend(fontsize=8)
    return fig


def gradient_norms(norms: pd.DataFrame):
    fig = Figure(figsize=(6, 3.4), layout="tight")
    ax = fig.subplots()
    for (_depth, layer), rows in norms.groupby(["depth", "layer"], sort=True):
        ax.plot(rows.step, rows.norm, lw=1, label=layer)
    ax.set(yscale="log", xlabel="step", ylabel="gradient norm", title="per-layer gradient norms")
    ax.legend(fontsize=7, ncol=2)
    return fig
