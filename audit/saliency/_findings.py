"""The saliency audit's findings: a small fixed set of sentence templates filled with numbers."""

from __future__ import annotations

import pandas as pd

from nnaudit.results import Finding
from nnaudit.saliency._faithfulness import RANDOM_ORDER
from nnaudit.saliency._sanity import SIMILARITY_THRESHOLD

FAILS_RANDOMIZATION = ("{method} maps keep their shape when all the model's weights are "
                       "re-initialized (rank correlation {correlation} of the absolute maps, "
                       "{signed_correlation} of the signed maps): their outline shows the input, "
                       "not what this model learned.")
FAILS_RANDOM_LABELS = ("{method} maps of a model trained on random labels resemble those of the "
                       "trained model (rank correlation {correlation}): they show the input more "
                       "than what the model learned.")
PASSES = ("{count} of {total} attribution methods pass the randomization sanity check: {methods}.")
FAITHFUL = ("Removing the pixels {method} ranks highest lowers the predicted-class probability "
            "faster than a random order (deletion AUC {auc} against {random_auc}).")
NOT_FAITHFUL = ("{method} does no better than a random order at finding what the prediction "
                "depends on (deletion AUC {auc} against {random_auc}).")
FOREGROUND_GAP = ("For {attribute} = {group}, {method} puts {share_pct} of the attribution on the "
                  "digit against {other_share_pct} for {other_group}: the model may rely on the "
                  "background for this group.")
TOP_FEATURE_DIFFERS = ("For {attribute} = {group}, the feature {method} ranks first is "
                       "{group_feature}, not {feature} as for everyone.")

# A foreground-share gap between groups of one attribute worth reporting.
FOREGROUND_GAP_MIN = 0.10
# Deletion AUC must beat the random order by this much to count as faithful.
FAITHFUL_MARGIN = 0.02


def compute(verdicts: pd.DataFrame, aucs: pd.DataFrame, foreground: pd.DataFrame | None,
            features: pd.DataFrame | None) -> list[Finding]:
    """Findings, most important first."""
    findings = []
    for row in verdicts.itertuples():
        if row.full_randomization_spearman_abs > SIMILARITY_THRESHOLD:
            findings.append(Finding(FAILS_RANDOMIZATION, {
                "method": row.method, "correlation": float(row.full_randomization_spearman_abs),
                "signed_correlation": float(row.full_randomization_spearman_signed)}, "alert"))
        if getattr(row, "random_labels_spearman_abs", 0.0) > SIMILARITY_THRESHOLD:
            findings.append(Finding(FAILS_RANDOM_LABELS, {
                "method": row.method, "correlation": float(row.random_labels_spearman_abs)},
                "warning"))
    passing = verdicts.loc[verdicts["passes"], "method"].tolist()
    findings.append(Finding(PASSES, {"count": len(passing), "total": len(verdicts),
                                     "methods": ", ".join(passing) or "none"},
                            "info" if len(passing) == len(verdicts) else "warning"))
    by_method = aucs.set_index("method")
    random_auc = float(by_method.loc[RANDOM_ORDER, "deletion_auc"])
    for method, row in by_method.drop(index=RANDOM_ORDER).iterrows():
        params = {"method": method, "auc": float(row["deletion_auc"]), "random_auc": random_auc}
        if row["deletion_auc"] < random_auc - FAITHFUL_MARGIN:
            findings.append(Finding(FAITHFUL, params, "info"))
        else:
            findings.append(Finding(NOT_FAITHFUL, params, "warning"))
    if foreground is not None:
        findings += _foreground_gaps(foreground, passing)
    if features is not None:
        findings += _top_feature_changes(features)
    return findings


def _foreground_gaps(table: pd.DataFrame, trusted: list[str]) -> list[Finding]:
    """Largest gap between groups of each attribute, for methods that passed the sanity check."""
    findings = []
    groups = table[(table["attribute"] != "all") & table["method"].isin(trusted)]
    for (method, attribute), part in groups.groupby(["method", "attribute"], sort=False):
        part = part.dropna(subset=["foreground_share"])
        if len(part) < 2:
            continue
        low, high = part.loc[part["foreground_share"].idxmin()], part.loc[
            part["foreground_share"].idxmax()]
        if high["foreground_share"] - low["foreground_share"] >= FOREGROUND_GAP_MIN:
            findings.append(Finding(FOREGROUND_GAP, {
                "attribute": attribute, "group": low["subgroup"], "method": method,
                "share_pct": float(low["foreground_share"]), "other_group": high["subgroup"],
                "other_share_pct": float(high["foreground_share"])}, "warning"))
    return findings


def _top_feature_changes(table: pd.DataFrame) -> list[Finding]:
    findings = []
    top = table[table["rank"] == 1]
    for method, part in top.groupby("method", sort=False):
        overall = part.loc[part["attribute"] == "all", "feature"].iloc[0]
        for row in part[part["attribute"] != "all"].itertuples():
            if row.feature != overall:
                findings.append(Finding(TOP_FEATURE_DIFFERS, {
                    "attribute": row.attribute, "group": row.subgroup, "method": method,
                    "group_feature": row.feature, "feature": overall}, "info"))
    return findings
