"""The robustness audit's findings: a small fixed set of sentence templates filled with numbers.

Each template is also the message id of its French translation (reports/locales/fr), so change
one only together with the catalog. Gaps between subgroups are said only when significant after
the Benjamini-Hochberg correction over their table. Under corruption, groups are compared by
their flip rate (the share of their correctly classified images a corruption breaks), not by
their drop in accuracy points, which a group near chance level cannot show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nnaudit.results import Finding

CORRUPTION_GAP = ("{corruption} at severity {severity} turns {share_pct} of the {group} images "
                  "the model classifies correctly into errors, against {other_share_pct} for "
                  "{other_group} (a gap of {gap_pct}, 95% CI {low_pct} to {high_pct}).")
CORRUPTION_ERROR_GAP = ("Averaged over the corruptions and severities, {group} images the model "
                        "classifies correctly turn into errors {share_pct} of the time, against "
                        "{other_share_pct} for {other_group} (a gap of {gap_pct}, 95% CI "
                        "{low_pct} to {high_pct}).")
WORST_CORRUPTION = ("The model loses most under {corruption}: accuracy falls from {clean_pct} to "
                    "{accuracy_pct} at severity {severity}.")
MEAN_CORRUPTION_ERROR = ("Averaged over {count} corruptions at severities {severities}, the error "
                         "rate rises from {clean_error_pct} to {corruption_error_pct}.")
MEAN_CORRUPTION_ERROR_FALLS = ("Averaged over {count} corruptions at severities {severities}, the "
                               "error rate falls from {clean_error_pct} to "
                               "{corruption_error_pct}.")
ADVERSARIAL_DROP = "{attack} at radius {radius} lowers accuracy from {clean_pct} to {accuracy_pct}."
ADVERSARIAL_GAP = ("Under {attack} at radius {radius}, {group} keeps {accuracy_pct} accuracy "
                   "(95% CI {low_pct} to {high_pct}) against {other_accuracy_pct} for "
                   "{other_group}.")
FLIP_RADIUS_GAP = ("Half of the correctly classified {group} images flip under {attack} at "
                   "radius {radius} or less, against {other_radius} for {other_group}: {group} "
                   "sits closer to the decision boundary.")
NO_GROUP_GAP = ("No subgroup loses significantly more accuracy than another under the {count} "
                "corruption and attack conditions tested.")
ATTACKS_SKIPPED = "The adversarial attacks were skipped: {reason}."
CORRUPTIONS_SKIPPED = "{count} corruptions were skipped: {reasons}."
SHIFT = ("On this dataset the model's accuracy is {accuracy_pct} (95% CI {low_pct} to {high_pct}) "
         "against {reference_pct} on its own test split.")

# A significant gap between subgroups (in flip rate or accuracy) of at least this is an alert.
ALERT_GAP = 0.10
# A condition that costs at least this much accuracy overall is a warning.
WARNING_DROP = 0.20
# Gap sentences per kind, largest first, so the list stays readable.
MAX_GAP_FINDINGS = 3
_SEVERITY_ORDER = {"alert": 0, "warning": 1, "info": 2}


def compute(tables: dict[str, pd.DataFrame], *, severities: list[int], skipped: dict[str, str],
            flip_attack: str | None, reference_accuracy: float | None) -> list[Finding]:
    """Findings, alerts first, each kind largest effect first."""
    findings = []
    corruption_gaps = tables.get("corruption_gaps")
    adversarial_gaps = tables.get("adversarial_gaps")
    if "corruptions" in tables:
        findings += _corruption_gaps(corruption_gaps)
        if "corruption_error" in tables:  # not when severity 0 alone was asked for
            findings += _corruption_error(tables["corruption_error"],
                                          tables["corruption_error_gaps"], severities)
        findings += _worst_corruption(tables["corruptions"])
    if "adversarial" in tables:
        findings += _adversarial_gaps(adversarial_gaps)
        findings += _adversarial_drops(tables["adversarial"])
    if "flip_radius" in tables:
        findings += _flip_radius_gaps(tables["flip_radius"], flip_attack)
    tested = [g for g in (corruption_gaps, adversarial_gaps) if g is not None and len(g)]
    if tested and not any(g["significant"].any() for g in tested):
        conditions = sum(len(g.drop_duplicates(list(g.columns[:_key_count(g)]))) for g in tested)
        findings.append(Finding(NO_GROUP_GAP, {"count": conditions}, "info"))
    if "attacks" in skipped:
        findings.append(Finding(ATTACKS_SKIPPED, {"reason": skipped["attacks"]}, "warning"))
    by_reason: dict[str, list[str]] = {}
    for name, reason in skipped.items():
        if name != "attacks":
            by_reason.setdefault(reason, []).append(name)
    if by_reason:
        findings.append(Finding(CORRUPTIONS_SKIPPED, {
            "count": sum(len(names) for names in by_reason.values()),
            "reasons": "; ".join(f"{', '.join(names)} ({reason})"
                                 for reason, names in by_reason.items())}, "info"))
    if reference_accuracy is not None:
        findings.append(_shift(tables["clean"], reference_accuracy))
    return sorted(findings, key=lambda f: _SEVERITY_ORDER[f.severity])


def _gap_severity(difference: float) -> str:
    return "alert" if difference >= ALERT_GAP else "warning"


def _key_count(gaps: pd.DataFrame) -> int:
    """Columns naming the condition, before ``attribute``."""
    return list(gaps.columns).index("attribute")


def _corruption_gaps(gaps: pd.DataFrame) -> list[Finding]:
    found = gaps[gaps["significant"]].sort_values("difference", ascending=False)
    found = found.drop_duplicates("corruption")
    return [Finding(CORRUPTION_GAP, {"corruption": row.corruption, "severity": int(row.severity),
                                     **_shares(row)}, _gap_severity(row.difference))
            for row in found.head(MAX_GAP_FINDINGS).itertuples()]


def _shares(row) -> dict:
    """The params of a flip-rate gap sentence, from a row of a gap table."""
    return {"group": row.worst_group, "share_pct": float(row.worst),
            "other_share_pct": float(row.best), "other_group": row.best_group,
            "gap_pct": float(row.difference), "low_pct": float(row.difference_low),
            "high_pct": float(row.difference_high)}


def _corruption_error(table: pd.DataFrame, gaps: pd.DataFrame,
                      severities: list[int]) -> list[Finding]:
    overall = table[(table["corruption"] == "all") & (table["attribute"] == "overall")].iloc[0]
    corruptions = table.loc[table["corruption"] != "all", "corruption"].nunique()
    rises = overall["corruption_error"] >= overall["clean_error"]  # the word follows the sign
    findings = [Finding(MEAN_CORRUPTION_ERROR if rises else MEAN_CORRUPTION_ERROR_FALLS, {
        "count": int(corruptions), "severities": ", ".join(str(s) for s in severities if s > 0),
        "clean_error_pct": float(overall["clean_error"]),
        "corruption_error_pct": float(overall["corruption_error"])}, "info")]
    found = gaps[gaps["significant"] & (gaps["corruption"] == "all")]
    for row in found.sort_values("difference", ascending=False).head(1).itertuples():
        findings.append(Finding(CORRUPTION_ERROR_GAP, _shares(row), _gap_severity(row.difference)))
    return findings


def _worst_corruption(table: pd.DataFrame) -> list[Finding]:
    overall = table[(table["attribute"] == "overall") & (table["severity"] > 0)]
    if overall.empty:
        return []
    row = overall.loc[overall["drop"].idxmax()]
    return [Finding(WORST_CORRUPTION, {
        "corruption": row["corruption"], "clean_pct": float(row["clean_accuracy"]),
        "accuracy_pct": float(row["accuracy"]), "severity": int(row["severity"])},
        "warning" if row["drop"] >= WARNING_DROP else "info")]


def _adversarial_gaps(gaps: pd.DataFrame) -> list[Finding]:
    found = gaps[gaps["significant"]].sort_values("difference", ascending=False)
    findings = []
    for row in found.drop_duplicates("attack").head(MAX_GAP_FINDINGS).itertuples():
        findings.append(Finding(ADVERSARIAL_GAP, {
            "attack": row.attack, "radius": float(row.radius), "group": row.worst_group,
            "accuracy_pct": float(row.worst), "low_pct": float(row.worst_low),
            "high_pct": float(row.worst_high), "other_accuracy_pct": float(row.best),
            "other_group": row.best_group}, _gap_severity(row.difference)))
    return findings


def _adversarial_drops(table: pd.DataFrame) -> list[Finding]:
    overall = table[table["attribute"] == "overall"]
    findings = []
    for attack, part in overall.groupby("attack", sort=False):
        row = part.loc[part["radius"].idxmax()]
        findings.append(Finding(ADVERSARIAL_DROP, {
            "attack": attack, "radius": float(row["radius"]),
            "clean_pct": float(row["clean_accuracy"]), "accuracy_pct": float(row["accuracy"])},
            "warning" if row["drop"] >= WARNING_DROP else "info"))
    return findings


def _flip_radius_gaps(table: pd.DataFrame, attack: str | None) -> list[Finding]:
    """Per attribute, the group closest to the boundary against the farthest, when the
    intervals of their median radii do not overlap."""
    findings = []
    ranked = table[(table["attribute"] != "overall") & ~table["small_group"]]
    for _, part in ranked.groupby("attribute", sort=False):
        if len(part) < 2:
            continue
        near = part.loc[part["median_radius"].idxmin()]
        far = part.loc[part["median_radius"].idxmax()]
        if near["median_radius_high"] < far["median_radius_low"] and np.isfinite(
                near["median_radius"]):
            findings.append((far["median_radius"] - near["median_radius"], Finding(
                FLIP_RADIUS_GAP, {"group": near["subgroup"], "attack": attack,
                                  "radius": float(near["median_radius"]),
                                  "other_radius": float(far["median_radius"]),
                                  "other_group": far["subgroup"]}, "warning")))
    findings.sort(key=lambda pair: -pair[0])
    return [f for _, f in findings[:MAX_GAP_FINDINGS]]


def _shift(clean: pd.DataFrame, reference: float) -> Finding:
    overall = clean[clean["attribute"] == "overall"].iloc[0]
    lower = reference > overall["accuracy_high"]
    return Finding(SHIFT, {"accuracy_pct": float(overall["accuracy"]),
                           "low_pct": float(overall["accuracy_low"]),
                           "high_pct": float(overall["accuracy_high"]),
                           "reference_pct": reference}, "warning" if lower else "info")
