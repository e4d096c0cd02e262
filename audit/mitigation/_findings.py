"""The mitigation's sentences, computed from its tables.

Each template is also the message id of its French translation
(reports/locales/fr/LC_MESSAGES/nnaudit.po): change one only together with the catalog.
"""

from __future__ import annotations

import math

import pandas as pd

from nnaudit.results import Finding

GAP_CUT = ("{method} cut the {metric} gap across {attribute} from {before_pct} to {after_pct} "
           "(change {change_pct}, 95% CI {low_pct} to {high_pct}) at a cost of {cost_pct} of "
           "accuracy")
GAP_CUT_FREE = ("{method} cut the {metric} gap across {attribute} from {before_pct} to "
                "{after_pct} (change {change_pct}, 95% CI {low_pct} to {high_pct}) and did not "
                "lower accuracy (change {accuracy_change_pct})")
GAP_WIDENED = ("{method} widened the {metric} gap across {attribute} from {before_pct} to "
               "{after_pct} (change {change_pct}, 95% CI {low_pct} to {high_pct})")
GAP_KEPT = ("{method} left the {metric} gap across {attribute} within its interval: "
            "{before_pct} before, {after_pct} after (change {change_pct}, 95% CI {low_pct} to "
            "{high_pct})")
COST = ("{method} moved accuracy from {before_pct} to {after_pct} (change {change_pct}, 95% CI "
        "{low_pct} to {high_pct}); its own training or fitting used {kwh} kWh ({label})")
COST_UNMEASURED = ("{method} moved accuracy from {before_pct} to {after_pct} (change "
                   "{change_pct}, 95% CI {low_pct} to {high_pct}); its energy was not measured")
FITTED_ON_VALIDATION = ("The thresholds were fitted on the validation split ({fit_rows} rows) "
                        "and evaluated on the test split ({eval_rows} rows)")
FITTED_ON_HALF = ("The thresholds were fitted on {fit_rows} rows of {source} and evaluated on "
                  "the other {eval_rows}, split at random within each group and label (seed "
                  "{seed}): no row is evaluated with thresholds fitted on it")
GROUP_AT_DECISION = ("The thresholds differ by group of {attributes}: every decision needs the "
                     "person's group, which the law may forbid using at decision time")

TEMPLATES = (GAP_CUT, GAP_CUT_FREE, GAP_WIDENED, GAP_KEPT, COST, COST_UNMEASURED,
             FITTED_ON_VALIDATION, FITTED_ON_HALF, GROUP_AT_DECISION)

# Gaps of rates a remedy did not target are reported only when they widened: a remedy for
# one rate can worsen another. At most this many per remedy, the widest changes first.
MAX_SIDE_EFFECTS = 3


def remedy_findings(label: str, gaps: pd.DataFrame, accuracy: dict[str, float],
                    own_groupings: set[str], extra_kwh: float | None,
                    energy_label: str) -> list[Finding]:
    """A remedy's targeted gaps (cut, widened or kept) over ``own_groupings`` (the groupings
    of the attributes it mitigated), the untargeted gaps it widened there, and its accuracy
    and energy."""
    own = gaps[gaps["attribute"].isin(own_groupings)]
    findings = [_gap_finding(label, row, accuracy) for row in own[own["targeted"]].to_dict("records")]
    widened = own[~own["targeted"] & (own["change_low"] > 0)].sort_values("change", ascending=False)
    findings += [_gap_finding(label, row, accuracy)
                 for row in widened.head(MAX_SIDE_EFFECTS).to_dict("records")]
    common = {"method": label, "before_pct": accuracy["accuracy_before"],
              "after_pct": accuracy["accuracy_after"], "change_pct": accuracy["accuracy_change"],
              "low_pct": accuracy["accuracy_change_low"],
              "high_pct": accuracy["accuracy_change_high"]}
    if extra_kwh is None or not math.isfinite(extra_kwh):
        findings.append(Finding(COST_UNMEASURED, common))
    else:
        findings.append(Finding(COST, {**common, "kwh": float(extra_kwh), "label": energy_label}))
    return findings


def _gap_finding(label: str, row: dict, accuracy: dict[str, float]) -> Finding:
    params = {"method": label, "metric": row["metric"], "attribute": row["attribute"],
              "before_pct": row["before"], "after_pct": row["after"],
              "change_pct": row["change"], "low_pct": row["change_low"],
              "high_pct": row["change_high"]}
    if row["change_high"] < 0:
        cost = accuracy["accuracy_before"] - accuracy["accuracy_after"]
        if cost > 0:
            return Finding(GAP_CUT, {**params, "cost_pct": cost})
        return Finding(GAP_CUT_FREE, {**params,
                                      "accuracy_change_pct": accuracy["accuracy_change"]})
    if row["change_low"] > 0:
        return Finding(GAP_WIDENED, params, "warning")
    return Finding(GAP_KEPT, params, "warning" if row["targeted"] else "info")
