"""Questions for discussion derived from a run's findings and headline numbers.

A report is read in a classroom or an ethics committee: the questions turn the numbers into
decisions the readers must take (who is under-represented, whether a disparity is acceptable for
the stated use, what the energy buys). Each question is a `Finding` so it is translated and its
numbers formatted like the audits' own sentences.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from nnaudit.results import Finding
from nnaudit.store import Run
from nnaudit.reports.formatting import Formatter

READING_LIST = [
    ("Buolamwini, J. & Gebru, T. (2018). Gender Shades: Intersectional Accuracy Disparities in "
     "Commercial Gender Classification. FAT* 2018, PMLR 81:77-91."),
    ("Mitchell, M. et al. (2019). Model Cards for Model Reporting. FAT* 2019, "
     "doi:10.1145/3287560.3287596."),
    ("Zhang, C., Bengio, S., Hardt, M., Recht, B. & Vinyals, O. (2017). Understanding deep "
     "learning requires rethinking generalization. ICLR 2017."),
    ("Adebayo, J. et al. (2018). Sanity Checks for Saliency Maps. NeurIPS 2018."),
    ("Yeom, S., Giacomelli, I., Fredrikson, M. & Jha, S. (2018). Privacy Risk in Machine Learning: "
     "Analyzing the Connection to Overfitting. IEEE CSF 2018."),
    ("Strubell, E., Ganesh, A. & McCallum, A. (2019). Energy and Policy Considerations for Deep "
     "Learning in NLP. ACL 2019."),
]

MAX_ALERT_QUESTIONS = 3
ENERGY_MEASURED = ("Training and auditing this model used {kwh} kWh, about {co2} kg CO2eq. What "
                   "does this compare to, and what would serving the model at scale cost "
                   "(Strubell et al. 2019)?")
ENERGY_ESTIMATED = ("Training and auditing this model used an estimated {kwh} kWh (not "
                    "measured), about {co2} kg CO2eq. What does this compare to, and what would "
                    "serving the model at scale cost (Strubell et al. 2019)?")


def discussion_questions(run: Run, fmt: Formatter) -> list[str]:
    """The questions for ``run``, most specific first, as sentences formatted by ``fmt``."""
    questions: list[Finding] = []
    questions += _representation(run)
    questions += _fairness(run)
    questions += _calibration(run)
    questions += _mitigation(run)
    questions += _generalization(run)
    questions += _saliency(run)
    questions += _energy(run)
    texts = [fmt.finding(q) for q in questions]
    texts += _alerts(run, fmt)
    texts.append(fmt.finding(Finding(
        "Who was consulted about the intended use, and who would bear the cost of the model's "
        "errors?")))
    return texts


def _number(value: Any) -> float | None:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return None


def _count_families(counts: Any, prefix: str = "") -> list[dict[str, float]]:
    """Groups of comparable counts: one family per attribute (or intersection) in the card."""
    if not isinstance(counts, dict):
        return []
    leaves = {str(k): float(v) for k, v in counts.items() if _number(v) is not None}
    families = [leaves] if len(leaves) >= 2 else []
    for key, value in counts.items():
        if isinstance(value, dict):
            families += _count_families(value, f"{prefix}{key} ")
    return families


def _representation(run: Run) -> list[Finding]:
    counts = run.manifest.get("dataset", {}).get("card", {}).get("subgroup_counts") or {}
    # Only a training split says who the model learned from: a predictions file's counts are
    # the audited rows ("test"), not training data.
    split_counts = counts.get("train") if isinstance(counts, dict) else None
    if not isinstance(split_counts, dict):
        return []
    best = None
    for family in _count_families(split_counts):
        total = sum(family.values())
        smallest = min(family, key=family.get)
        largest = max(family, key=family.get)
        if total <= 0 or family[smallest] <= 0:
            continue
        ratio = family[largest] / family[smallest]
        if best is None or ratio > best[0]:
            best = (ratio, smallest, family[smallest] / total, largest, family[largest] / total)
    if best is None or best[0] < 1.5:
        return []
    ratio, smallest, small_share, largest, large_share = best
    return [Finding(
        "In the training data, {group} makes up {share_pct} of the examples against {largest_pct} "
        "for {largest}, {ratio} times fewer. Who is under-represented, why, and what would it take "
        "to collect better data?",
        {"group": smallest, "share_pct": small_share, "largest": largest,
         "largest_pct": large_share, "ratio": ratio})]


def _fairness(run: Run) -> list[Finding]:
    if not run.audit_ran("fairness"):
        return []
    summary = run.audits["fairness"].get("summary", {})
    questions = []
    if summary.get("no_better_than_majority"):  # its gaps are class mixes: nothing to discuss
        return questions
    worst, ratio = summary.get("worst_group"), _number(summary.get("error_ratio"))
    worst_error = _number(summary.get("worst_group_error"))
    best_error = _number(summary.get("best_group_error"))
    if worst is not None and worst_error is not None and best_error is not None:
        use = (run.manifest.get("model_card") or {}).get("intended_use")
        params = {"group": worst, "worst_pct": worst_error, "best_pct": best_error,
                  "ratio": ratio if ratio is not None else float("nan")}
        if use:
            questions.append(Finding(
                "The error rate for {group} is {worst_pct} against {best_pct} for the best-served "
                "group ({ratio} times higher). Would this disparity be acceptable for the stated "
                "use: \"{use}\"?", {**params, "use": use}))
        else:
            questions.append(Finding(
                "The error rate for {group} is {worst_pct} against {best_pct} for the best-served "
                "group ({ratio} times higher). The intended use is not stated: for which uses, if "
                "any, would this disparity be acceptable?", params))
    try:
        by_group = run.table("fairness", "by_group")
    except KeyError:
        by_group = None
    if by_group is not None and "small_group" in by_group.columns:
        n_small = int(by_group["small_group"].fillna(False).astype(bool).sum())
        if n_small:
            questions.append(Finding(
                "Some groups ({count}) have too few test examples for a reliable error rate. What "
                "can still be concluded about them, and who should collect the missing evidence?",
                {"count": n_small}))
    return questions


CALIBRATION_OR_ERROR_RATES = (
    "Base rates differ across {attribute} ({high_pct} for {high_group} against {low_pct} for "
    "{low_group}), so no score can be both calibrated within each group and give them equal "
    "false-positive and false-negative rates; here the false-positive rates differ by {fpr_pp}. "
    "COMPAS was defended with calibration (Northpointe) and attacked with false-positive rates "
    "(ProPublica: 42% against 22%). Which property matters for the stated use, and who bears the "
    "cost of the other?")


def _calibration(run: Run) -> list[Finding]:
    """The impossibility (Kleinberg et al. 2016; Chouldechova 2017) with the run's numbers,
    when its fairness audit found base rates that differ (`nnaudit.fairness`)."""
    from nnaudit.fairness import TRADE_OFF_CALIBRATED, TRADE_OFF_MISCALIBRATED

    if not run.audit_ran("fairness"):
        return []
    found = [f for f in run.findings("fairness")
             if f.template in (TRADE_OFF_CALIBRATED, TRADE_OFF_MISCALIBRATED)]
    return [Finding(CALIBRATION_OR_ERROR_RATES, {
        key: found[0].params[key] for key in ("attribute", "high_pct", "high_group", "low_pct",
                                              "low_group", "fpr_pp")})] if found else []


TRADE_OFF = ("{method} moved the {metric} gap across {attribute} from {before_pct} to "
             "{after_pct}, and accuracy from {accuracy_before_pct} to {accuracy_after_pct}. Is "
             "this trade-off acceptable for the intended use, and who should make that choice?")
TRADE_OFF_ENERGY = ("{method} moved the {metric} gap across {attribute} from {before_pct} to "
                    "{after_pct}, and accuracy from {accuracy_before_pct} to "
                    "{accuracy_after_pct}, for {kwh} kWh of extra training or fitting. Is this "
                    "trade-off acceptable for the intended use, and who should make that "
                    "choice?")


def _mitigation(run: Run) -> list[Finding]:
    """The trade-off each remedy of a mitigated run measured: its headline gap, the accuracy
    and the energy it cost (`nnaudit.mitigation`)."""
    if not run.audit_ran("mitigation"):
        return []
    questions = []
    for row in run.table("mitigation", "methods").to_dict("records"):
        gap = _number(row.get("gap_before"))
        if gap is None or math.isnan(gap):  # no two subgroups large enough to compare
            continue
        kwh = _number(row.get("extra_kwh"))
        measured = kwh is not None and not math.isnan(kwh)
        questions.append(Finding(TRADE_OFF_ENERGY if measured else TRADE_OFF, {
            "method": row["method"], "metric": row["gap_metric"],
            "attribute": row["gap_attribute"], "before_pct": row["gap_before"],
            "after_pct": row["gap_after"], "accuracy_before_pct": row["accuracy_before"],
            "accuracy_after_pct": row["accuracy_after"], **({"kwh": kwh} if measured else {})}))
    return questions


def _generalization(run: Run) -> list[Finding]:
    summary = {**run.audits.get("memorization", {}).get("summary", {}),
               **run.audits.get("membership", {}).get("summary", {})}
    questions = []
    random_train = _number(summary.get("random_label_train_acc"))
    if random_train is not None:
        questions.append(Finding(
            "The same network reaches {train_pct} training accuracy on randomly shuffled labels "
            "(Zhang et al. 2017). What does a high training accuracy then prove about what a model "
            "has learned?", {"train_pct": random_train}))
    auc = _number(summary.get("mia_auc"))
    if auc is not None:
        questions.append(Finding(
            "A membership-inference attack tells training examples from unseen ones with an AUC of "
            "{auc} (0.5 is chance; Yeom et al. 2018). What could this reveal about the people in "
            "the training data?", {"auc": auc}))
    return questions


def _saliency(run: Run) -> list[Finding]:
    if not run.audit_ran("saliency"):
        return []
    failing = run.audits["saliency"].get("summary", {}).get("methods_failing_sanity")
    if isinstance(failing, (list, tuple)) and failing:
        return [Finding(
            "The maps of {methods} barely change when the model's weights are randomized (Adebayo "
            "et al. 2018). Should they be shown to users as explanations of its decisions?",
            {"methods": list(failing)})]
    if _number(failing):
        return [Finding(
            "{count} saliency methods barely change when the model's weights are randomized "
            "(Adebayo et al. 2018). Should their maps be shown to users as explanations?",
            {"count": int(failing)})]
    return []


def _energy(run: Run) -> list[Finding]:
    if not run.audit_ran("energy"):
        return []
    summary = run.audits["energy"].get("summary", {})
    kwh, co2 = _number(summary.get("total_kwh")), _number(summary.get("total_kg_co2eq"))
    if kwh is None or co2 is None:
        return []
    template = ENERGY_ESTIMATED if summary.get("measured") is False else ENERGY_MEASURED
    return [Finding(template, {"kwh": kwh, "co2": co2})]


def _alerts(run: Run, fmt: Formatter) -> list[str]:
    alerts = [(name, f) for name in run.audits if run.audit_ran(name)
              for f in run.findings(name) if f.severity == "alert"]
    return [fmt.finding(Finding(
        "The {audit} audit raised an alert: \"{finding}\". Who is affected, and what would you "
        "change before deploying the model?",
        {"audit": fmt.gettext(name), "finding": fmt.finding(f).rstrip(".")}))
        for name, f in alerts[:MAX_ALERT_QUESTIONS]]
