"""Per-subgroup tables: accuracy under each condition with intervals, drops, and group gaps.

Every table has the columns ``attribute`` (the attribute names joined with " x ", or
``overall``), ``group`` (the display label, values joined with " x ", or ``all``) and one column
per sensitive attribute holding the group's value (None where the grouping does not involve
that attribute), as the fairness tables do: readers select intersections with these columns.

All counts come from one matrix product of the correctness matrix (conditions x images) with
the subgroup membership matrix (images x subgroups).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy.stats import binom, false_discovery_control, norm

from nnaudit.stats import proportion_interval, two_proportion_test

CONFIDENCE = 0.95
ALPHA = 0.05
Z = float(norm.ppf(1 - (1 - CONFIDENCE) / 2))
MIN_GROUP_SIZE = 30  # smaller groups are reported but never ranked in the gap tables
OVERALL = ("overall", "all")


@dataclass(frozen=True)
class Subgroups:
    """Everyone, each attribute's values, pairs (more than two attributes), the intersection.

    attribute, label: (S,) names; values: per subgroup, the value of each attribute or None;
    membership: (N, S) float matrix, 1 where image i is in subgroup s.
    """

    attributes: list[str]
    attribute: list[str]
    label: list[str]
    values: list[dict[str, str | None]]
    membership: np.ndarray

    @classmethod
    def from_groups(cls, groups: pd.DataFrame) -> "Subgroups":
        attributes = [str(c) for c in groups.columns]
        columns = [groups[c].astype(str).to_numpy() for c in groups.columns]
        groupings = [(i,) for i in range(len(attributes))]
        if len(attributes) > 2:
            groupings += list(combinations(range(len(attributes)), 2))
        if len(attributes) > 1:
            groupings.append(tuple(range(len(attributes))))
        attribute, label, values = [OVERALL[0]], [OVERALL[1]], [dict.fromkeys(attributes)]
        masks = [np.ones(len(groups), dtype=bool)]
        for grouping in groupings:
            keys = list(zip(*(columns[i] for i in grouping)))
            for key in sorted(set(keys)):
                attribute.append(" x ".join(attributes[i] for i in grouping))
                label.append(" x ".join(key))
                values.append({**dict.fromkeys(attributes),
                               **{attributes[i]: v for i, v in zip(grouping, key)}})
                masks.append(np.array([k == key for k in keys]))
        return cls(attributes, attribute, label, values, np.stack(masks, axis=1).astype(float))

    def columns(self) -> dict[str, list]:
        """The label columns of every table, one entry per subgroup."""
        return {"attribute": self.attribute, "subgroup": self.label,
                **{a: [v[a] for v in self.values] for a in self.attributes}}

    @property
    def finest(self) -> str:
        """The grouping figures draw: the intersection of all attributes (or the only one)."""
        return self.attribute[-1]


def accuracy_table(conditions: pd.DataFrame, correct: np.ndarray, clean: np.ndarray,
                   subgroups: Subgroups) -> pd.DataFrame:
    """Accuracy per condition and subgroup, the drop from clean, and the flip rate.

    ``correct`` is (K, N) bool, one row per row of ``conditions``; ``clean`` (N,) bool.
    ``accuracy`` has a Wilson interval. ``drop`` (clean minus condition accuracy, on the same
    images) has a normal interval on the paired per-image differences: ``lost`` images turned
    wrong, ``gained`` turned right. ``flip_rate`` is ``lost`` over the ``clean_correct`` images,
    with a Wilson interval: the share of what the model got right that the condition breaks.
    The gap tables rank groups by it, because a drop in points is capped by a group's clean
    accuracy (a group near chance level has little left to lose).
    """
    m = subgroups.membership
    correct = correct.astype(float)
    clean = clean.astype(float)
    n = m.sum(axis=0)
    hits = correct @ m
    lost = ((1 - correct) * clean) @ m
    gained = (correct * (1 - clean)) @ m
    clean_hits = np.broadcast_to(clean @ m, hits.shape)
    k, s = hits.shape
    low, high = proportion_interval(hits, np.broadcast_to(n, hits.shape), confidence=CONFIDENCE)
    flip_low, flip_high = proportion_interval(lost, clean_hits, confidence=CONFIDENCE)
    labels = pd.DataFrame(subgroups.columns())
    table = pd.concat([conditions.loc[conditions.index.repeat(s)].reset_index(drop=True),
                       pd.concat([labels] * k, ignore_index=True)], axis=1)
    table["n"] = np.tile(n, k).astype(np.int64)
    table["correct"] = hits.ravel().astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["accuracy"] = (hits / n).ravel()
        table["accuracy_low"] = low.ravel()
        table["accuracy_high"] = high.ravel()
        table["clean_accuracy"] = (clean_hits / n).ravel()
        rows = table["n"].to_numpy(float)
        drop = ((lost - gained) / n).ravel()
        drop_se = np.sqrt(np.maximum((lost + gained).ravel() / rows - drop ** 2, 0) / rows)
        table["drop"] = drop
        table["drop_low"] = drop - Z * drop_se
        table["drop_high"] = drop + Z * drop_se
        table["lost"] = lost.ravel().astype(np.int64)
        table["gained"] = gained.ravel().astype(np.int64)
        table["clean_correct"] = clean_hits.ravel().astype(np.int64)
        table["flip_rate"] = (lost / clean_hits).ravel()
        table["flip_rate_low"] = flip_low.ravel()
        table["flip_rate_high"] = flip_high.ravel()
    table["small_group"] = table["n"] < MIN_GROUP_SIZE
    return table


def corruption_error_table(corruptions: list[str], correct: dict[str, np.ndarray],
                           clean: np.ndarray, subgroups: Subgroups) -> pd.DataFrame:
    """Mean corruption error per corruption (over its severities) and over all, per subgroup.

    Hendrycks & Dietterich (2019) divide by AlexNet's errors to compare models; with one model
    and no reference network, the error is reported as is, and the relative corruption error
    is the unnormalized ``corruption_error - clean_error``. ``flip_rate`` is the mean, over the
    images classified correctly clean, of the share of corrupted versions they get wrong. Both
    have a normal interval on the per-image values.
    """
    m = subgroups.membership
    right = clean.astype(float)
    n = m.sum(axis=0)
    clean_correct = right @ m
    rows = []
    for name in [*corruptions, "all"]:
        cells = np.concatenate([correct[c] for c in corruptions]) if name == "all" else correct[name]
        per_image_error = 1 - cells.astype(float).mean(axis=0)
        relative, relative_se = _mean_and_se(per_image_error - (1 - right), m)
        flips, flips_se = _mean_and_se(per_image_error, m * right[:, None])
        part = pd.DataFrame(subgroups.columns())
        part.insert(0, "corruption", name)
        part["n"] = n.astype(np.int64)
        part["clean_error"] = 1 - clean_correct / n
        part["corruption_error"] = per_image_error @ m / n
        part["relative_corruption_error"] = relative
        part["relative_corruption_error_low"] = relative - Z * relative_se
        part["relative_corruption_error_high"] = relative + Z * relative_se
        part["clean_correct"] = clean_correct.astype(np.int64)
        part["flip_rate"] = flips
        part["flip_rate_low"] = flips - Z * flips_se
        part["flip_rate_high"] = flips + Z * flips_se
        part["small_group"] = part["n"] < MIN_GROUP_SIZE
        rows.append(part)
    return pd.concat(rows, ignore_index=True)


def _mean_and_se(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean of ``values`` over the images of each subgroup (0/1 ``weights``, (N, S)) and its
    standard error, from the sample variance."""
    count = weights.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = values @ weights / count
        variance = np.maximum((values ** 2 @ weights - count * mean ** 2) / (count - 1), 0)
        return mean, np.sqrt(variance / count)


def gap_table(table: pd.DataFrame, keys: list[str], value: str, worse: str, *, size: str,
              count: str | None = None) -> pd.DataFrame:
    """Worst against best subgroup of each attribute, per condition, with a test.

    ``value`` is the column compared, with its interval ``value_low``, ``value_high`` (copied
    for both groups); ``worse`` is "higher" (a flip rate) or "lower" (an accuracy). Only
    subgroups whose ``size`` column (the images ``value`` is computed on) reaches
    MIN_GROUP_SIZE are ranked.

    With ``count``, ``value`` is the proportion ``count / size`` with a Wilson interval: the
    difference gets Newcombe's interval from the two Wilson intervals (Newcombe 1998, Stat Med
    17(8), method 10) and the pooled two-proportion z-test, or Fisher's exact test for small
    counts, as the fairness tables. Without, ``value`` is a mean with a normal interval, and
    so is the difference (the groups hold different images, so the variances add). The
    p-values are corrected for all the rows of this table by Benjamini-Hochberg; a gap is
    ``significant`` below ALPHA.
    """
    ranked = table[(table["attribute"] != OVERALL[0]) & (table[size] >= MIN_GROUP_SIZE)
                   & table[value].notna()]
    pairs = []  # (condition and attribute, best row, worst row)
    for key, part in ranked.groupby([*keys, "attribute"], sort=False, dropna=False):
        if len(part) >= 2:
            order = part.sort_values(value, kind="stable")
            lowest, highest = order.iloc[0], order.iloc[-1]
            pairs.append((key, *((lowest, highest) if worse == "higher" else (highest, lowest))))
    columns = [*keys, "attribute", "worst_group", "worst", "worst_low", "worst_high", "worst_n",
               "best_group", "best", "best_low", "best_high", "best_n", "difference",
               "difference_low", "difference_high", "p_value"]
    if not pairs:  # typed as a full table would be, so that readers can select from it
        kinds = {**{k: table[k].dtype for k in keys}, "worst_n": np.int64, "best_n": np.int64,
                 "significant": bool, **dict.fromkeys(("attribute", "worst_group", "best_group"),
                                                      object)}
        return pd.DataFrame({c: pd.Series(dtype=kinds.get(c, float))
                             for c in [*columns, "p_adjusted", "significant"]})
    gaps = pd.DataFrame([{
        **dict(zip([*keys, "attribute"], key)),
        **{f"{side}{suffix}": row[f"{value}{suffix}"]
           for side, row in (("worst", worst), ("best", best)) for suffix in ("", "_low", "_high")},
        "worst_group": worst["subgroup"], "worst_n": int(worst[size]),
        "best_group": best["subgroup"], "best_n": int(best[size])} for key, best, worst in pairs])
    high, low = ("worst", "best") if worse == "higher" else ("best", "worst")
    difference = gaps[high] - gaps[low]
    if count is not None:
        # Newcombe: each side's distance to its own Wilson bound, in the direction of the gap.
        below = np.hypot(gaps[high] - gaps[f"{high}_low"], gaps[f"{low}_high"] - gaps[low])
        above = np.hypot(gaps[f"{high}_high"] - gaps[high], gaps[low] - gaps[f"{low}_low"])
        p_value, _ = two_proportion_test([w[count] for _, _, w in pairs], gaps["worst_n"],
                                         [b[count] for _, b, _ in pairs], gaps["best_n"])
    else:
        se = np.hypot(gaps[f"{high}_high"] - gaps[high], gaps[f"{low}_high"] - gaps[low]) / Z
        below = above = Z * se
        with np.errstate(invalid="ignore", divide="ignore"):
            p_value = np.where(se > 0, 2 * norm.sf(difference / se), 1.0)
    gaps["difference"] = difference
    gaps["difference_low"] = difference - below
    gaps["difference_high"] = difference + above
    gaps["p_value"] = p_value
    gaps = gaps[columns]
    gaps["p_adjusted"] = false_discovery_control(gaps["p_value"].fillna(1.0), method="bh")
    gaps["significant"] = gaps["p_adjusted"] < ALPHA
    return gaps


def flip_radius_table(radii: np.ndarray, subgroups: Subgroups, max_radius: float) -> pd.DataFrame:
    """Median smallest flipping radius of the correctly classified images, per subgroup.

    Misclassified images (radius 0) are counted apart, as ``wrong_clean``: the accuracy tables
    already hold them, and a median over both would mix how often a group is wrong with how
    close its right answers sit to the decision boundary (Nanda et al. 2021 measure the latter).
    The interval is the pair of order statistics whose ranks bracket the median with at least
    95 % probability (binomial ranks; Conover 1999, Practical Nonparametric Statistics, 3.2):
    it needs no assumption on the distribution and accepts the censored radii (images not
    flipped within ``max_radius``, counted as infinite); an infinite bound reads "beyond the
    largest radius tried".
    """
    rows = []
    for s in range(subgroups.membership.shape[1]):
        members = radii[subgroups.membership[:, s] > 0]
        values = np.sort(members[members > 0])
        n = len(values)
        rank = int(binom.ppf((1 - CONFIDENCE) / 2, n, 0.5)) if n else 0  # 1-based lower rank
        rows.append({"n": len(members), "wrong_clean": int((members == 0).sum()),
                     "searched": n, "not_flipped": int(np.isinf(values).sum()),
                     "median_radius": float(np.median(values)) if n else np.nan,
                     "median_radius_low": float(values[rank - 1]) if rank >= 1 else 0.0,
                     "median_radius_high": float(values[n - rank]) if rank >= 1 else np.inf,
                     "max_radius": max_radius})
    table = pd.concat([pd.DataFrame(subgroups.columns()), pd.DataFrame(rows)], axis=1)
    table["small_group"] = table["searched"] < MIN_GROUP_SIZE
    return table
