"""The audit's sentences: a fixed set of English templates filled from its tables.

Templates have ``{name}`` placeholders and no format specs (they are the French catalog's
message ids); params ending in ``_pct`` are shares the renderers print as percentages.
"""

from __future__ import annotations

import math

import pandas as pd

from nnaudit.results import Finding

MEMORIZED = (
    "With random labels the model reached {train_acc_pct} training accuracy in {epochs} epochs, "
    "{slowdown} times as many as with true labels, while its test accuracy stayed at "
    "{test_acc_pct} (chance is {chance_pct}): it can memorize its training set, so training "
    "accuracy alone says nothing about generalization.")
NOT_MEMORIZED = (
    "With random labels the model reached only {train_acc_pct} training accuracy within the "
    "budget of {budget} epochs (target {target_pct}): this run does not show memorization, "
    "and a longer budget might.")
TRUE_LABELS = (
    "With true labels the same model reached {test_acc_pct} test accuracy, against "
    "{random_test_acc_pct} with random labels: what it learns from true labels generalizes.")
NOISE = (
    "Test accuracy fell from {clean_test_acc_pct} with clean labels to {noisy_test_acc_pct} "
    "with {fraction_pct} of labels corrupted, while training accuracy reached "
    "{noisy_train_acc_pct}.")
REGULARIZED_STILL_MEMORIZES = (
    "With {regularizers} regularizers on, random labels still reached {train_acc_pct} training "
    "accuracy: explicit regularization did not prevent memorization.")
REGULARIZED_SLOWS = (
    "With {regularizers} regularizers on, random labels reached only {train_acc_pct} training "
    "accuracy within the budget, against {plain_train_acc_pct} without: regularization slowed "
    "memorization in this budget.")
LEAK = (
    "A loss-threshold membership attack on the audited model reaches an AUC of {auc} "
    "(95 % interval {auc_low} to {auc_high}) and an advantage of {advantage_pct}, next to a "
    "train-test accuracy gap of {gap_pct}: the model's losses reveal who was in its training set.")
NO_LEAK = (
    "A loss-threshold membership attack on the audited model reaches an AUC of {auc} "
    "(95 % interval {auc_low} to {auc_high}), next to a train-test accuracy gap of {gap_pct}: "
    "no clear leak of training membership.")
RANDOM_LABEL_LEAK = (
    "On the model that memorized random labels, the same attack reaches an AUC of {auc} (95 % "
    "interval {auc_low} to {auc_high}): a model that memorizes reveals its training set.")
GROUP_LEAK = (
    "Membership leaks most for {attribute} = {group}: attack AUC {auc} (95 % interval "
    "{auc_low} to {auc_high}) against {overall_auc} overall.")
CONTROL_OK = (
    "The control attack between two sets of non-members gives an AUC of {auc} (95 % interval "
    "{auc_low} to {auc_high}), as it must when nothing leaks.")
CONTROL_BIASED = (
    "The control attack between two sets of non-members gives an AUC of {auc} (95 % interval "
    "{auc_low} to {auc_high}), away from 0.5: the attack's numbers are not trustworthy here.")
SEEDS_STABLE = (
    "Across {n_seeds} seeds test accuracy was {mean_pct} on average (from {min_pct} to "
    "{max_pct}); the worst {attribute} group was {group} in every seed.")
SEEDS_UNSTABLE = (
    "Across {n_seeds} seeds test accuracy was {mean_pct} on average (from {min_pct} to "
    "{max_pct}); the worst {attribute} group changed between seeds ({groups}): a subgroup "
    "finding from a single seed may not hold.")
VANISHING = (
    "Gradients vanish in {layers}: their norm is below {threshold} of the output layer's, so "
    "these layers barely learn.")
EXPLODING = "Gradients explode in {layers}: their norm is non-finite or above {threshold} times the output layer's."
HEALTHY = (
    "Gradients reach every layer: each layer's gradient norm stays between {low} and {high} "
    "times the output layer's.")
ACTIVATIONS = (
    "In the deep MLP comparison, the first layer receives {sigmoid_ratio} of the output "
    "layer's gradient with sigmoid activations and {relu_ratio} with ReLU.")
REDUCED = (
    "This is the bounded default protocol ({n_train} training images, {budget} epochs at most, "
    "{n_seeds} seeds, regularizer rows {rows}); run with --full for the complete protocol.")


def random_label_findings(table: pd.DataFrame, slowdown: float, chance: float,
                          budget: int, target: float) -> list[Finding]:
    rows = table.set_index("condition")
    random, true = rows.loc["random labels"], rows.loc["true labels"]
    if random.reached_target:
        first = Finding(MEMORIZED, {"train_acc_pct": random.train_acc,
                                    "epochs": int(random.epochs_to_target),
                                    "slowdown": slowdown if math.isfinite(slowdown) else "n/a",
                                    "test_acc_pct": random.test_acc, "chance_pct": chance},
                        "warning")
    else:
        first = Finding(NOT_MEMORIZED, {"train_acc_pct": random.train_acc, "budget": budget,
                                        "target_pct": target}, "info")
    return [first, Finding(TRUE_LABELS, {"test_acc_pct": true.test_acc,
                                         "random_test_acc_pct": random.test_acc})]


def noise_findings(sweep: pd.DataFrame) -> list[Finding]:
    clean = sweep[sweep.fraction == 0].iloc[0]
    noisy = sweep[(sweep.fraction > 0) & (sweep.fraction < 1)]
    if noisy.empty:
        return []
    worst = noisy.iloc[-1]
    return [Finding(NOISE, {"clean_test_acc_pct": clean.test_acc,
                            "noisy_test_acc_pct": worst.test_acc,
                            "fraction_pct": worst.fraction,
                            "noisy_train_acc_pct": worst.train_acc})]


def ablation_findings(ablation: pd.DataFrame, target: float) -> list[Finding]:
    random = ablation[ablation.labels == "random"].set_index("regularizers")
    if "all" not in random.index or "none" not in random.index:
        return []
    regularized = random.loc["all"]
    if regularized.train_acc >= target:
        return [Finding(REGULARIZED_STILL_MEMORIZES,
                        {"regularizers": "all", "train_acc_pct": regularized.train_acc})]
    return [Finding(REGULARIZED_SLOWS, {"regularizers": "all",
                                        "train_acc_pct": regularized.train_acc,
                                        "plain_train_acc_pct": random.loc["none"].train_acc})]


def membership_findings(table: pd.DataFrame) -> list[Finding]:
    def params(row):
        return {"auc": row.auc, "auc_low": row.auc_low, "auc_high": row.auc_high}

    findings = []
    overall = table[(table.model == "audited model") & (table.attribute == "all")].iloc[0]
    leaks = overall.auc_low > 0.5
    findings.append(Finding(LEAK if leaks else NO_LEAK,
                            {**params(overall), "gap_pct": overall.train_test_gap,
                             **({"advantage_pct": overall.advantage} if leaks else {})},
                            "warning" if leaks else "info"))
    groups = table[(table.model == "audited model") & (table.attribute != "all")]
    if leaks and not groups.empty:
        top = groups.loc[groups.auc.idxmax()]
        if top.auc_low > overall.auc:
            findings.append(Finding(GROUP_LEAK, {"attribute": top.attribute, "group": top.subgroup,
                                                 **params(top), "overall_auc": overall.auc},
                                    "warning"))
    random = table[(table.model == "random labels") & (table.attribute == "all")]
    if not random.empty:
        findings.append(Finding(RANDOM_LABEL_LEAK, params(random.iloc[0]),
                                "warning" if random.iloc[0].auc_low > 0.5 else "info"))
    control = table[(table.model == "control") & (table.attribute == "all")].iloc[0]
    unbiased = control.auc_low <= 0.5 <= control.auc_high
    findings.append(Finding(CONTROL_OK if unbiased else CONTROL_BIASED, params(control),
                            "info" if unbiased else "alert"))
    return findings


def seed_findings(runs: pd.DataFrame, summary: pd.DataFrame) -> list[Finding]:
    accuracy = {"n_seeds": len(runs), "mean_pct": float(runs.test_acc.mean()),
                "min_pct": float(runs.test_acc.min()), "max_pct": float(runs.test_acc.max())}
    if summary.empty:
        return []
    findings = []
    for attribute, rows in summary.groupby("attribute", sort=False):
        worst = rows[rows.times_worst > 0]
        if len(worst) == 1:
            findings.append(Finding(SEEDS_STABLE, {**accuracy, "attribute": attribute,
                                                   "group": worst.subgroup.iloc[0]}))
        else:
            findings.append(Finding(SEEDS_UNSTABLE, {**accuracy, "attribute": attribute,
                                                     "groups": ", ".join(worst.subgroup)}, "warning"))
    return findings


def gradient_findings(health: pd.DataFrame, vanishing: float, exploding: float) -> list[Finding]:
    findings = []
    for status, template, threshold, severity in (("exploding", EXPLODING, exploding, "alert"),
                                                  ("vanishing", VANISHING, vanishing, "warning")):
        layers = health[health.status == status].layer
        if not layers.empty:
            findings.append(Finding(template, {"layers": ", ".join(layers),
                                               "threshold": f"{threshold:g}"}, severity))
    if not findings:
        hidden = health.iloc[:-1] if len(health) > 1 else health
        findings.append(Finding(HEALTHY, {"low": float(hidden.ratio_to_output.min()),
                                          "high": float(hidden.ratio_to_output.max())}))
    return findings


def activation_finding(comparison: pd.DataFrame) -> Finding:
    first = comparison[comparison.depth == 1].set_index("activation").ratio_to_output
    return Finding(ACTIVATIONS, {"sigmoid_ratio": f"{first['sigmoid']:.1e}",
                                 "relu_ratio": f"{first['relu']:.1e}"})
