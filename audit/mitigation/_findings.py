"""The mitigation's sentences, computed from its tables.

Each template is also the message id of its French translation
(reports/locales/fr/LC_MESSAGES/nnaudit.po): change one only together with the catalog.
"""

from __future__ import annotations

import math

import pandas as pd

from nnaudit.fairness import METRIC_TERMS
from nnaudit.results import Finding

GAP_CUT = ("{method} cut the {metric_term} gap across {attribute} from {before_pp} to "
           "{after_pp} (change {change_pp}, 95% CI {low_pp} to {high_pp}) at a cost of "
           "{cost_pp} of accuracy")
GAP_CUT_FREE = ("{method} cut the {metric_term} gap across {attribute} from {before_pp} to "
                "{after_pp} (change {change_pp}, 95% CI {low_pp} to {high_pp}) and did not "
                "lower accuracy (change {accuracy_change_pp})")
GAP_WIDENED = ("{method} widened the {metric_term} gap across {attribute} from {before_pp} to "
               "{after_pp} (change {change_pp}, 95% CI {low_pp} to {high_pp})")
# Not significant either way: the direction is still said, with the interval that allows none.
GAP_WIDENED_UNSURE = ("{method} widened the {metric_term} gap across {attribute} from "
                      "{before_pp} to {after_pp} (change {change_pp}, 95% CI {low_pp} to "
                      "{high_pp}); the interval does not rule out no change")
GAP_NARROWED_UNSURE = ("{method} narrowed the {metric_term} gap across {attribute} from "
                       "{before_pp} to {after_pp} (change {change_pp}, 95% CI {low_pp} to "
                       "{high_pp}); the interval does not rule out no change")
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

TEMPLATES = (GAP_CUT, GAP_CUT_FREE, GAP_WIDENED, GAP_WIDENED_UNSURE, GAP_NARROWED_UNSURE, COST, COST_UNMEASURED,
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
    params = {"method": label, "metric_term": METRIC_TERMS.get(row["metric"], row["metric"]),
              "attribute": row["attribute"], "before_pp": row["before"],
              "after_pp": row["after"], "change_pp": row["change"], "low_pp": row["change_low"],
              "high_pp": row["change_high"]}
    if row["change_high"] < 0:
        cost = accuracy["accuracy_before"] - accuracy["accuracy_after"]
        if cost > 0:
            return Finding(GAP_CUT, {**params, "cost_pp": cost})
        return Finding(GAP_CUT_FREE, {**params,
                                      "accuracy_change_pp": accuracy["accuracy_change"]})
    if row["change_low"] > 0:
        return Finding(GAP_WIDENED, params, "warning")
    if row["change"] > 0:
        return Finding(GAP_WIDENED_UNSURE, params, "warning")
    return Finding(GAP_NARROWED_UNSURE, params, "warning" if row["targeted"] else "info")
