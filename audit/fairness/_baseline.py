"""Is the model better than always answering the majority class? If not, its gaps say nothing.

A classifier that predicts one class for every row still shows "disparities": each group's
error rate is then its share of the other classes (UTKFace: "Asian x 0-20 has 2.17 times the
error rate of Indian x 20-40"). When the accuracy's 95% Wilson interval reaches down to the
majority class's share, the audit warns first and claims no disparity.
"""

from __future__ import annotations

import pandas as pd

from nnaudit.fairness._counts import CellCounts
from nnaudit.messages import N_
from nnaudit.results import Finding

NO_BETTER_THAN_MAJORITY = N_(
    "The model's accuracy, {accuracy_pct} (95% CI {low_pct} to {high_pct}), is no better than "
    "always answering the majority class {majority} ({majority_pct} of the rows): its gaps "
    "between subgroups reflect each group's mix of classes, not errors a model makes, so no "
    "disparity is claimed")


def majority_baseline(counts: CellCounts, overall: pd.DataFrame) -> Finding | None:
    """The warning when the accuracy is not above the majority class's share, else None."""
    per_class = counts.confusion.sum(axis=(0, 2))
    majority = int(per_class.argmax())
    share = per_class[majority] / per_class.sum()
    row = overall.iloc[0]
    if row["accuracy_low"] > share:
        return None
    return Finding(NO_BETTER_THAN_MAJORITY, {
        "accuracy_pct": float(row["accuracy"]), "low_pct": float(row["accuracy_low"]),
        "high_pct": float(row["accuracy_high"]), "majority": counts.classes[majority],
        "majority_pct": float(share)}, "warning")
