"""Membership inference by loss threshold: does the model reveal who was in its training set?

Yeom et al. 2018, "Privacy risk in machine learning: analyzing the connection to overfitting".
The attacker guesses "member" when the model's loss on an example is below a threshold; the AUC
sweeps every threshold, the advantage is the best TPR - FPR over them. A control attack between
two disjoint sets of non-members must find nothing (AUC near 0.5).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import roc_curve

MIN_GROUP_SIZE = 10  # members and non-members per subgroup, below which no AUC is reported


def example_losses(probs: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """Cross-entropy of each example: -log p(y | x)."""
    picked = probs[torch.arange(len(y)), y].clamp_min(1e-12)
    return (-picked.log()).numpy()


def loss_threshold_attack(member_losses: np.ndarray, nonmember_losses: np.ndarray, *,
                          n_boot: int, rng: np.random.Generator) -> dict:
    """AUC and best advantage of the attack, with 95 % percentile-bootstrap intervals.

    Members and non-members are resampled separately, so every resample keeps both counts.
    The losses are ranked once: a resample only changes how many times each distinct loss
    counts, so its ROC curve is a cumulative sum over the ranks (no sort per resample; the
    numbers equal sklearn's ``roc_auc_score`` and ``roc_curve``, ties included).
    """
    n_members, n_nonmembers = len(member_losses), len(nonmember_losses)
    distinct, rank = np.unique(np.r_[member_losses, nonmember_losses], return_inverse=True)
    member_rank, nonmember_rank = rank[:n_members], rank[n_members:]

    def attack(members: np.ndarray, nonmembers: np.ndarray) -> tuple[float, float]:
        # Lower loss -> more likely a member: thresholds sweep the ranks upwards.
        w = np.bincount(members, minlength=len(distinct)) / n_members
        v = np.bincount(nonmembers, minlength=len(distinct)) / n_nonmembers
        tpr, fpr = np.cumsum(w), np.cumsum(v)
        auc = float(np.sum(v * (tpr - w / 2)))  # trapezoids, ties as one step
        return auc, float(max(0.0, np.max(tpr - fpr)))

    auc, advantage = attack(member_rank, nonmember_rank)
    boots = np.array([attack(member_rank[rng.integers(0, n_members, n_members)],
                             nonmember_rank[rng.integers(0, n_nonmembers, n_nonmembers)])
                      for _ in range(n_boot)])
    low, high = np.percentile(boots, [2.5, 97.5], axis=0)
    return {"n_members": n_members, "n_nonmembers": n_nonmembers,
            "auc": auc, "auc_low": float(low[0]), "auc_high": float(high[0]),
            "advantage": advantage, "advantage_low": float(low[1]),
            "advantage_high": float(high[1])}


def membership_table(attacks: dict[str, dict], group_columns: list[str], *, n_boot: int,
                     seed: int) -> pd.DataFrame:
    """One row per attacked model and scope (everyone, then each subgroup).

    ``attacks``: name -> {"members": losses, "nonmembers": losses, "member_groups": DataFrame,
    "nonmember_groups": DataFrame, "train_test_gap": float}.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for name, a in attacks.items():
        scopes = [("all", "all", np.ones(len(a["members"]), bool),
                   np.ones(len(a["nonmembers"]), bool))]
        for column in group_columns:
            for value in sorted(set(a["member_groups"][column]) | set(a["nonmember_groups"][column])):
                scopes.append((column, value, (a["member_groups"][column] == value).to_numpy(),
                               (a["nonmember_groups"][column] == value).to_numpy()))
        for column, value, in_members, in_nonmembers in scopes:
            if min(in_members.sum(), in_nonmembers.sum()) < MIN_GROUP_SIZE:
                continue
            stats = loss_threshold_attack(a["members"][in_members], a["nonmembers"][in_nonmembers],
                                          n_boot=n_boot, rng=rng)
            rows.append({"model": name, "attribute": column, "subgroup": str(value), **stats,
                         "train_test_gap": a["train_test_gap"]})
    return pd.DataFrame(rows)


def roc_points(members: np.ndarray, nonmembers: np.ndarray) -> pd.DataFrame:
    truth = np.r_[np.ones(len(members)), np.zeros(len(nonmembers))]
    fpr, tpr, _ = roc_curve(truth, -np.r_[members, nonmembers])
    return pd.DataFrame({"fpr": fpr, "tpr": tpr})
