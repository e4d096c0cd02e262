"""Verdicts against a declared criterion: within, outside or inconclusive, from the interval.

A criterion names the rates that must be equal across groups (equalized odds: TPR and FPR;
Hardt, Price & Srebro 2016), a tolerance (a difference in percentage points, and optionally a
ratio such as the four-fifths rule) and a reference group. Every group of every grouping is
compared with its reference, and the verdict comes from the interval of the difference, never
from the point:

- **within** when the whole (1 - 2 alpha) interval lies inside the tolerance: the two one-sided
  tests of equivalence (TOST; Schuirmann 1987, J. Pharmacokinet. Biopharm. 15(6)) at alpha;
- **outside** when the whole interval lies outside it (a one-sided test at alpha);
- **inconclusive** otherwise, with the rows the group would need for a conclusive answer.

The difference of two proportions has Newcombe's hybrid score interval (Newcombe 1998, Stat.
Med. 17(8), method 10); the ratio Katz's log interval (Katz et al. 1978, Biometrics 34(3)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from nnaudit.errors import UserInputError
from nnaudit.fairness._metrics import RateSet
from nnaudit.messages import N_
from nnaudit.results import Finding
from nnaudit.stats import proportion_interval

# criterion -> the rates it asks to be equal across groups
CRITERIA = {
    "equalized_odds": ("tpr", "fpr"),
    "equal_opportunity": ("tpr",),
    "predictive_parity": ("ppv",),
    "demographic_parity": ("selection_rate",),
    "accuracy_parity": ("error_rate",),
}
# One-sided tests at this level: the interval has confidence 1 - 2 * ALPHA (90 %).
ALPHA = 0.05
VERDICT_CONFIDENCE = 1 - 2 * ALPHA

# Names a person reads (translated through the catalog as ``*_term`` params).
CRITERION_TERMS = {
    "equalized_odds": N_("equalized odds"),
    "equal_opportunity": N_("equal opportunity"),
    "predictive_parity": N_("predictive parity"),
    "demographic_parity": N_("demographic parity"),
    "accuracy_parity": N_("accuracy parity"),
}
METRIC_TERMS = {
    "tpr": N_("true-positive rate"), "fpr": N_("false-positive rate"),
    "fnr": N_("false-negative rate"), "tnr": N_("true-negative rate"),
    "ppv": N_("positive predictive value"), "npv": N_("negative predictive value"),
    "selection_rate": N_("selection rate"), "error_rate": N_("error rate"),
    "accuracy": N_("accuracy"), "base_rate": N_("base rate"),
}

VERDICT_PASS = N_("Verdict on {criterion_term}, tolerance {tolerance_pp}: pass. All {compared} "
                  "comparisons with the reference group lie wholly within the tolerance (90% "
                  "intervals, two one-sided tests at 5%). This shows equality within the "
                  "tolerance on this test set and for this criterion only, not fairness on other "
                  "data or by another criterion")
VERDICT_FAIL = N_("Verdict on {criterion_term}, tolerance {tolerance_pp}: fail. {outside} of "
                  "{compared} comparisons with the reference group lie wholly outside the "
                  "tolerance; the largest: the {metric_term} of {group} ({attribute}) differs "
                  "from that of {reference} by {difference_pp} (90% CI {low_pp} to {high_pp})")
VERDICT_INCONCLUSIVE = N_("Verdict on {criterion_term}, tolerance {tolerance_pp}: inconclusive. "
                          "{unsure} of {compared} comparisons with the reference group have an "
                          "interval that straddles the tolerance; {group} ({attribute}, "
                          "{metric_term}) would need about {needed_n} examples for a conclusive "
                          "answer")
VERDICT_NOT_APPLICABLE = N_("No verdict on {criterion_term}: it needs the {metric_term}, which "
                            "this run does not have (a binary task with a positive class has it)")

VERDICT_TEMPLATES = (VERDICT_PASS, VERDICT_FAIL, VERDICT_INCONCLUSIVE)

COLUMNS = ["criterion", "metric", "attribute", "subgroup", "reference", "n", "reference_n",
           "value", "reference_value", "difference", "difference_low", "difference_high",
           "tolerance", "ratio", "ratio_low", "ratio_high", "tolerance_ratio", "verdict",
           "needed_n"]


@dataclass(frozen=True)
class Criterion:
    """What "fair enough" means for this audit.

    name: a key of `CRITERIA` or the name of one rate (``fpr``); tolerance: the largest
    difference accepted, as a proportion (0.05 = 5 points); tolerance_ratio: optionally also the
    smallest ratio accepted (0.8: the four-fifths rule), 0 for none; reference: the group every
    other is compared with ("" or None: the largest of each grouping).
    """

    name: str
    tolerance: float = 0.05
    tolerance_ratio: float = 0.0
    reference: str | None = None

    @classmethod
    def from_config(cls, options) -> "Criterion":
        """From the ``[fairness]`` section (`nnaudit.config.FairnessConfig`)."""
        return cls(options.criterion, options.tolerance, options.tolerance_ratio,
                   options.reference or None)

    def metrics(self, rate_set: RateSet) -> tuple[str, ...]:
        return CRITERIA.get(self.name, (self.name,))

    def term(self) -> str:
        return CRITERION_TERMS.get(self.name) or METRIC_TERMS.get(self.name, self.name)


def criterion_names() -> list[str]:
    """Every name `Criterion` takes: the criteria, then the single rates."""
    return [*CRITERIA, *METRIC_TERMS]


def verdict_table(by_group: pd.DataFrame, rate_set: RateSet, criterion: Criterion,
                  attributes: list[str]) -> pd.DataFrame:
    """One row per group (not the reference), grouping and rate of the criterion.

    ``by_group``: the audit's table (its confusion-count columns give each rate's numerator and
    denominator). Raises `UserInputError` when the reference names no group.
    """
    metrics = [m for m in criterion.metrics(rate_set) if m in rate_set.rates]
    reference_attribute = _reference_attribute(by_group, criterion.reference, attributes)
    rows = []
    for grouping, table in by_group.groupby("attribute", sort=False):
        table = table.reset_index(drop=True)
        counts = table[list(rate_set.cells)].to_numpy(dtype=np.int64)
        fractions = rate_set.num_den(counts)
        _own_positive_correctness(table, counts, fractions)
        for i, j in _pairs(table, criterion.reference, reference_attribute):
            for metric in metrics:
                num, den = fractions[metric]
                rows.append(_compare(criterion, metric, grouping, table, i, j,
                                     (num[i], den[i]), (num[j], den[j])))
    return pd.DataFrame(rows, columns=COLUMNS)


def _own_positive_correctness(table: pd.DataFrame, counts: np.ndarray, fractions: dict) -> None:
    """A group whose class is its own positive (`nnaudit.fairness._target_attribute`) holds its
    context's counts: its own rows are the true positives and false negatives."""
    if "own_positive" not in table or table["own_positive"].isna().all():
        return
    own = table["own_positive"].notna().to_numpy()
    tp, fn = counts[:, 0], counts[:, 3]
    for name, num in (("error_rate", fn), ("accuracy", tp)):
        if name in fractions:
            k, n = fractions[name]
            fractions[name] = (np.where(own, num, k), np.where(own, tp + fn, n))


def overall_verdict(verdicts: pd.DataFrame) -> str | None:
    """fail when any comparison is outside, pass when all are within, else inconclusive."""
    if verdicts.empty:
        return None
    if (verdicts["verdict"] == "outside").any():
        return "fail"
    return "pass" if (verdicts["verdict"] == "within").all() else "inconclusive"


def verdict_findings(verdicts: pd.DataFrame, criterion: Criterion,
                     rate_set: RateSet) -> list[Finding]:
    """One sentence: the overall verdict and the comparison that decides it."""
    missing = [m for m in criterion.metrics(rate_set) if m not in rate_set.rates]
    if missing:
        return [Finding(VERDICT_NOT_APPLICABLE, {"criterion_term": criterion.term(),
                                                 "metric_term": METRIC_TERMS.get(missing[0], missing[0])},
                        "warning")]
    verdict = overall_verdict(verdicts)
    if verdict is None:
        return []
    common = {"criterion_term": criterion.term(), "tolerance_pp": float(criterion.tolerance), "compared": len(verdicts)}
    if verdict == "pass":
        return [Finding(VERDICT_PASS, common, "info")]
    if verdict == "fail":
        outside = verdicts[verdicts["verdict"] == "outside"]
        row = outside.loc[outside["difference"].abs().idxmax()]
        return [Finding(VERDICT_FAIL, {
            **common, "outside": len(outside), "metric_term": METRIC_TERMS[row["metric"]],
            "group": row["subgroup"], "attribute": row["attribute"],
            "reference": row["reference"], "difference_pp": float(row["difference"]),
            "low_pp": float(row["difference_low"]),
            "high_pp": float(row["difference_high"])}, "alert")]
    unsure = verdicts[verdicts["verdict"] == "inconclusive"]
    sized = unsure.dropna(subset=["needed_n"])
    row = (sized.loc[sized["needed_n"].idxmax()] if not sized.empty else unsure.iloc[0])
    return [Finding(VERDICT_INCONCLUSIVE, {
        **common, "unsure": len(unsure), "metric_term": METRIC_TERMS[row["metric"]],
        "group": row["subgroup"], "attribute": row["attribute"],
        "needed_n": int(row["needed_n"]) if np.isfinite(row["needed_n"]) else "-"}, "warning")]


def verdict_summary(verdicts: pd.DataFrame, criterion: Criterion) -> dict:
    """The manifest's headline of the verdict."""
    counts = verdicts["verdict"].value_counts()
    return {"criterion": criterion.name, "tolerance": float(criterion.tolerance),
            "tolerance_ratio": float(criterion.tolerance_ratio) or None,
            "reference": criterion.reference or None, "verdict": overall_verdict(verdicts),
            "verdict_outside": int(counts.get("outside", 0)),
            "verdict_inconclusive": int(counts.get("inconclusive", 0)),
            "verdict_within": int(counts.get("within", 0))}


# --- the comparison ----------------------------------------------------------------------------

def newcombe_interval(k1, n1, k2, n2, confidence: float = VERDICT_CONFIDENCE) -> tuple[float, float]:
    """Newcombe's hybrid score interval for p1 - p2 (from the two Wilson intervals)."""
    p1, p2 = k1 / n1, k2 / n2
    (l1, u1), (l2, u2) = (proportion_interval(k1, n1, confidence=confidence),
                          proportion_interval(k2, n2, confidence=confidence))
    d = p1 - p2
    return (float(d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)),
            float(d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)))


def ratio_interval(k1, n1, k2, n2, confidence: float = VERDICT_CONFIDENCE) -> tuple[float, float, float]:
    """p1 / p2 with Katz's log interval; half a count added to an empty numerator."""
    a, b = max(k1, 0.5), max(k2, 0.5)
    ratio = (a / n1) / (b / n2)
    half = norm.ppf(0.5 + confidence / 2) * math.sqrt(max(1 / a - 1 / n1 + 1 / b - 1 / n2, 0.0))
    return ratio, ratio * math.exp(-half), ratio * math.exp(half)


def _side(low: float, high: float, lower: float, upper: float) -> str:
    if lower <= low and high <= upper:
        return "within"
    if high < lower or low > upper:
        return "outside"
    return "inconclusive"


def _compare(criterion: Criterion, metric: str, grouping: str, table: pd.DataFrame, i: int, j: int,
             mine: tuple, theirs: tuple) -> dict:
    (k1, n1), (k2, n2) = mine, theirs
    row = {"criterion": criterion.name, "metric": metric, "attribute": grouping,
           "subgroup": table["subgroup"][i], "reference": table["subgroup"][j],
           "n": int(table["n"][i]), "reference_n": int(table["n"][j]),
           "tolerance": float(criterion.tolerance),
           "tolerance_ratio": float(criterion.tolerance_ratio) or np.nan}
    if n1 == 0 or n2 == 0:  # the rate is undefined in one of the two groups
        return {**row, **dict.fromkeys(("value", "reference_value", "difference", "difference_low",
                                        "difference_high", "ratio", "ratio_low", "ratio_high",
                                        "needed_n"), np.nan), "verdict": "inconclusive"}
    low, high = newcombe_interval(k1, n1, k2, n2)
    tol = criterion.tolerance
    sides = [_side(low, high, -tol, tol)]
    ratio = ratio_low = ratio_high = np.nan
    if criterion.tolerance_ratio:
        ratio, ratio_low, ratio_high = ratio_interval(k1, n1, k2, n2)
        sides.append(_side(ratio_low, ratio_high, criterion.tolerance_ratio,
                           1 / criterion.tolerance_ratio))
    verdict = ("outside" if "outside" in sides else
               "within" if all(s == "within" for s in sides) else "inconclusive")
    d = k1 / n1 - k2 / n2
    needed = (_needed_rows(d, (k1, n1), (k2, n2), tol, int(table["n"][i]))
              if verdict == "inconclusive" else np.nan)
    return {**row, "value": k1 / n1, "reference_value": k2 / n2, "difference": d,
            "difference_low": low, "difference_high": high, "ratio": ratio,
            "ratio_low": ratio_low, "ratio_high": ratio_high, "verdict": verdict,
            "needed_n": needed}


def _needed_rows(d: float, mine: tuple, theirs: tuple, tol: float, rows: int) -> float:
    """Rows the group would need (its reference grown in proportion) for the interval of the
    same difference to clear the tolerance on one side; NaN when the difference sits on it."""
    margin = abs(abs(d) - tol)
    if margin < 1e-12:
        return np.nan
    z = norm.ppf(0.5 + VERDICT_CONFIDENCE / 2)
    # smoothed rates, so a rate of 0 or 1 still has a variance to shrink
    variance = sum(p * (1 - p) / n for p, n in (((k + 0.5) / (n + 1), n) for k, n in (mine, theirs)))
    factor = z * z * variance / (margin * margin)
    return float(max(math.ceil(rows * factor), rows + 1))


def _reference_attribute(by_group: pd.DataFrame, reference: str | None,
                         attributes: list[str]) -> str | None:
    """The attribute of which ``reference`` is a value (None: the largest group is the reference)."""
    if not reference:
        return None
    for attribute in attributes:
        if reference in set(by_group.loc[by_group["attribute"] == attribute, "subgroup"]):
            return attribute
    values = sorted({str(v) for a in attributes
                     for v in by_group.loc[by_group["attribute"] == a, "subgroup"]})
    raise UserInputError(f"fairness.reference {reference!r} is no group of "
                         f"{', '.join(attributes)} (the groups: {', '.join(values[:12])}).")


def _pairs(table: pd.DataFrame, reference: str | None,
           reference_attribute: str | None) -> list[tuple[int, int]]:
    """(group, its reference) row pairs of one grouping.

    In a grouping with the reference's attribute, each group is compared with the group that
    has the reference value and the same values of the other attributes (African-American x
    Male with Caucasian x Male); in the others, every group with the largest one.
    """
    if reference_attribute is None or reference_attribute not in table.columns or \
            table[reference_attribute].isna().all():
        largest = int(table["n"].to_numpy().argmax())
        return [(i, largest) for i in range(len(table)) if i != largest]
    others = [c for c in table.columns[2:table.columns.get_loc("n")]
              if c != reference_attribute and table[c].notna().any()]
    key = table[others].astype(str).agg(" x ".join, axis=1) if others else pd.Series([""] * len(table))
    pairs = []
    for i in range(len(table)):
        if table[reference_attribute][i] == reference:
            continue
        match = np.flatnonzero((key == key[i]).to_numpy()
                               & (table[reference_attribute] == reference).to_numpy())
        if len(match):
            pairs.append((i, int(match[0])))
    return pairs
