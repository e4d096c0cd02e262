"""Computed sentences: said only when the numbers support them.

The templates are a small fixed set: each is also the message id of its French translation
(reports/locales/fr/LC_MESSAGES/nnaudit.po), so change one only together with the catalog.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nnaudit.results import Finding

ERROR_RATIO = ("{group} has {ratio} times the error rate of {reference} (95% CI {low} to {high}): "
               "{worst_pct} against {best_pct}")
ERROR_GAP = ("{group} has an error rate of {worst_pct} against {best_pct} for {reference}, "
             "a gap of {gap_pct} (95% CI {low_pct} to {high_pct})")
RATE_GAP = ("{metric} differs across {attribute}: {worst_pct} for {group} against {best_pct} for "
            "{reference}, a gap of {gap_pct} (95% CI {low_pct} to {high_pct})")
NO_DISPARITY = ("No significant disparity across {attributes}: no gap between subgroups survives "
                "the Benjamini-Hochberg correction over {tests} tests")
NOTHING_RANKED = ("No grouping of {attributes} has two subgroups with {min_n} examples or more: "
                  "no subgroup is ranked and no gap is claimed")
SMALL_GROUPS = "{count} subgroups have fewer than {min_n} examples and are not ranked: {groups}"
TRAINING_SHARE = ("The training data held {share_pct} {group} examples ({attribute}), against "
                  "{balanced_pct} if it were balanced")

TEMPLATES = (ERROR_RATIO, ERROR_GAP, RATE_GAP, NO_DISPARITY, NOTHING_RANKED, SMALL_GROUPS,
             TRAINING_SHARE)

# Rates named in RATE_GAP findings (the error rate has its own sentences); their short names
# are the table's column names, the same in every language.
GAP_RATES = ("tpr", "fpr", "ppv", "selection_rate")

# A group is under-represented in training below this fraction of its balanced share.
UNDER_REPRESENTED = 0.5


def fairness_findings(tables: dict[str, pd.DataFrame], *, attributes: list[str],
                      min_group_size: int, training_shares: pd.DataFrame | None = None) -> list[Finding]:
    """Findings, alerts first: significant error gaps, other significant gaps, then context."""
    disparity = tables["disparity"]
    found = disparity[disparity["significant"].astype(bool)]  # an empty column is not boolean
    findings = []
    errors = found[found["metric"] == "error_rate"].sort_values("difference", ascending=False)
    for row in errors.itertuples():
        common = {"group": row.worst_group, "reference": row.best_group,
                  "worst_pct": float(row.worst), "best_pct": float(row.best)}
        if np.isfinite(row.ratio) and np.isfinite(row.ratio_low) and np.isfinite(row.ratio_high):
            findings.append(Finding(ERROR_RATIO, {**common, "ratio": float(row.ratio),
                                                  "low": float(row.ratio_low),
                                                  "high": float(row.ratio_high)}, "alert"))
        else:
            findings.append(Finding(ERROR_GAP, {**common, "gap_pct": float(row.difference),
                                                "low_pct": float(row.difference_low),
                                                "high_pct": float(row.difference_high)}, "alert"))
    for metric in GAP_RATES:
        rows = found[found["metric"] == metric]
        if rows.empty:
            continue
        row = rows.loc[rows["difference"].idxmax()]
        findings.append(Finding(RATE_GAP, {
            "metric": metric, "attribute": row["attribute"], "group": row["worst_group"],
            "reference": row["best_group"], "worst_pct": float(row["worst"]),
            "best_pct": float(row["best"]), "gap_pct": float(row["difference"]),
            "low_pct": float(row["difference_low"]), "high_pct": float(row["difference_high"])},
            "warning"))
    if disparity.empty:
        findings.append(Finding(NOTHING_RANKED, {"attributes": ", ".join(attributes),
                                                 "min_n": int(min_group_size)}, "warning"))
    elif found.empty:
        findings.append(Finding(NO_DISPARITY, {"attributes": ", ".join(attributes),
                                               "tests": int(tables["tests"]["p_value"].notna().sum())}))
    by_group = tables["by_group"]
    small = by_group[by_group["small_group"]]
    if not small.empty:
        findings.append(Finding(SMALL_GROUPS, {"count": len(small), "min_n": int(min_group_size),
                                               "groups": ", ".join(small["subgroup"])}, "warning"))
    if training_shares is not None:
        under = training_shares[training_shares["share"] < UNDER_REPRESENTED * training_shares["balanced_share"]]
        for row in under.itertuples():
            findings.append(Finding(TRAINING_SHARE, {
                "share_pct": float(row.share), "group": row.subgroup, "attribute": row.attribute,
                "balanced_pct": float(row.balanced_share)}, "warning"))
    return findings


def training_shares(training_groups: pd.DataFrame, by_group: pd.DataFrame,
                    attributes: list[str]) -> pd.DataFrame:
    """Share of each audited group in the training data (0 when absent), per attribute and
    for the intersection of all attributes, with the share each would have if balanced."""
    frames = []
    groupings = [[a] for a in attributes] + ([attributes] if len(attributes) > 1 else [])
    for columns in groupings:
        name = " x ".join(columns)
        counts = training_groups[columns].astype(str).value_counts(normalize=True)
        audited = pd.MultiIndex.from_frame(by_group.loc[by_group["attribute"] == name, columns])
        index = counts.index.union(audited)
        frame = index.to_frame(index=False).reindex(columns=attributes)
        frame.insert(0, "attribute", name)
        frame.insert(1, "subgroup", [" x ".join(key) for key in index])
        frame["share"] = counts.reindex(index, fill_value=0.0).to_numpy()
        frame["balanced_share"] = 1 / len(index)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
