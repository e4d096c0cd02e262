"""Verdicts against a declared criterion, and calibration per group, on simulated data whose
answer is known: identical error rates (pass at 20,000 rows, inconclusive at 50) and a
COMPAS-like file (calibrated scores, different base rates, a known false-positive-rate gap)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, false_positive_rate, true_positive_rate

from nnaudit.errors import UserInputError
from nnaudit.fairness import Criterion, fairness_audit
from nnaudit.fairness._verdicts import newcombe_interval


def identical_rates(n: int, seed: int = 0, error: float = 0.1):
    """Two groups of n rows with the same error rate in both classes."""
    rng = np.random.default_rng(seed)
    groups = pd.DataFrame({"grp": np.repeat(["a", "b"], n)})
    y = rng.integers(0, 2, 2 * n)
    return y, np.where(rng.random(2 * n) < error, 1 - y, y), groups


def compas_like(n: int = 3000, seed: int = 1):
    """Risk deciles that are calibrated in both groups (y ~ Bernoulli(score)) but whose
    distribution differs: base rates about 0.50 and 0.34, so at the 0.5 threshold the
    false-positive rates differ by about 0.2 (COMPAS: 0.42 against 0.22)."""
    rng = np.random.default_rng(seed)
    race = np.repeat(["African-American", "Caucasian"], n)
    score = np.concatenate([rng.beta(2, 2, n), rng.beta(1.3, 2.6, n)])
    score = np.clip(np.floor(score * 10) / 10 + 0.05, 0.05, 0.95)
    y = (rng.random(2 * n) < score).astype(int)
    return y, (score >= 0.5).astype(int), score, pd.DataFrame({"race": race})


def test_newcombe_interval_matches_the_published_example():
    # Newcombe (1998), Table II, example (a): 56/70 - 48/80, method 10: 0.0524 to 0.3339
    low, high = newcombe_interval(56, 70, 48, 80, confidence=0.95)
    assert low == pytest.approx(0.0524, abs=1e-4) and high == pytest.approx(0.3339, abs=1e-4)


def test_identical_error_rates_pass_at_20000_rows_per_group():
    y, pred, groups = identical_rates(20_000)
    result = fairness_audit(y, pred, groups, n_boot=100,
                            criterion=Criterion("equalized_odds", tolerance=0.02))
    verdicts = result.tables["verdicts"]
    assert set(verdicts["metric"]) == {"tpr", "fpr"} and (verdicts["verdict"] == "within").all()
    assert (verdicts["difference_low"] > -0.02).all() and (verdicts["difference_high"] < 0.02).all()
    assert result.summary["verdict"] == "pass"
    assert "pass" in result.findings[0].text


def test_identical_error_rates_are_inconclusive_at_50_rows_with_the_size_needed():
    y, pred, groups = identical_rates(50)
    result = fairness_audit(y, pred, groups, n_boot=100,
                            criterion=Criterion("equalized_odds", tolerance=0.02))
    verdicts = result.tables["verdicts"]
    assert (verdicts["verdict"] == "inconclusive").all()
    assert result.summary["verdict"] == "inconclusive"
    assert (verdicts["needed_n"] > 100).all() and verdicts["needed_n"].max() > 1000
    # the size needed is about right: at it, the same rates give a conclusive interval
    needed = int(verdicts["needed_n"].max())
    y, pred, groups = identical_rates(int(needed * 1.3), seed=3)
    again = fairness_audit(y, pred, groups, n_boot=100,
                           criterion=Criterion("equalized_odds", tolerance=0.02))
    assert again.summary["verdict"] != "inconclusive"
    assert f"{needed}" in result.findings[0].text


def test_compas_like_scores_fail_equalized_odds_for_the_disadvantaged_group():
    y, pred, score, groups = compas_like()
    result = fairness_audit(y, pred, groups, scores=score, threshold=0.5, n_boot=200,
                            criterion=Criterion("equalized_odds", tolerance=0.05,
                                                reference="Caucasian"))
    verdicts = result.tables["verdicts"].set_index("metric")
    fpr = verdicts.loc["fpr"]
    assert fpr["subgroup"] == "African-American" and fpr["reference"] == "Caucasian"
    assert fpr["verdict"] == "outside" and fpr["difference_low"] > 0.05
    # the oracle: fairlearn's false-positive rates per group
    frame = MetricFrame(metrics={"fpr": false_positive_rate, "tpr": true_positive_rate},
                        y_true=y, y_pred=pred, sensitive_features=groups["race"])
    gap = frame.by_group.loc["African-American", "fpr"] - frame.by_group.loc["Caucasian", "fpr"]
    assert fpr["difference"] == pytest.approx(gap, abs=1e-12) and 0.12 < gap < 0.28
    assert result.summary["verdict"] == "fail"
    # calibration: at equal scores the observed rates are close in both groups
    calibration = result.tables["calibration"]
    race = calibration[calibration["attribute"] == "race"].pivot(
        index="bin", columns="subgroup", values="observed_rate").dropna()
    assert len(race) == 10
    assert (race["African-American"] - race["Caucasian"]).abs().max() < 0.12
    errors = result.tables["calibration_error"].set_index("subgroup")
    assert errors["calibrated"].all() and (errors["ece_high"] < 0.08).all()
    # and the finding names the trade-off with the run's numbers
    trade_off = [f for f in result.findings if f.text.startswith("Base rates differ")]
    assert len(trade_off) == 1 and "is calibrated within each group" in trade_off[0].text
    assert trade_off[0].params["fpr_pp"] == pytest.approx(gap)


def test_a_miscalibrated_group_is_found_and_its_ece_interval_excludes_zero():
    y, pred, score, groups = compas_like()
    dark = groups["race"].to_numpy() == "African-American"
    shifted = np.where(dark, np.clip(score - 0.2, 0.05, 0.95), score)  # underestimates one group
    result = fairness_audit(y, (shifted >= 0.5).astype(int), groups, scores=shifted,
                            threshold=0.5, n_boot=200)
    errors = result.tables["calibration_error"].set_index("subgroup")
    assert not errors.loc["African-American", "calibrated"]
    assert errors.loc["African-American", "ece_low"] > 0.1
    assert errors.loc["Caucasian", "calibrated"]
    assert any("is not calibrated within every group" in f.text for f in result.findings)


def test_a_ratio_tolerance_applies_the_four_fifths_rule():
    y, pred, score, groups = compas_like()
    result = fairness_audit(y, pred, groups, n_boot=100, criterion=Criterion(
        "demographic_parity", tolerance=0.5, tolerance_ratio=0.8, reference="African-American"))
    row = result.tables["verdicts"].iloc[0]
    assert row["ratio_high"] < 0.8 and row["verdict"] == "outside"


def test_an_unknown_reference_is_one_sentence():
    y, pred, groups = identical_rates(100)
    with pytest.raises(UserInputError, match="fairness.reference 'c' is no group of grp"):
        fairness_audit(y, pred, groups, n_boot=100, criterion=Criterion("tpr", reference="c"))


def test_intersections_are_compared_with_the_reference_value_at_the_same_other_values():
    y, pred, score, groups = compas_like()
    groups["sex"] = np.resize(["F", "M"], len(groups))
    result = fairness_audit(y, pred, groups, n_boot=100,
                            criterion=Criterion("fpr", reference="Caucasian"))
    pairs = result.tables["verdicts"]
    pairs = dict(zip(pairs["subgroup"], pairs["reference"]))
    assert pairs["African-American x F"] == "Caucasian x F"
    assert pairs["African-American x M"] == "Caucasian x M"
    assert pairs["M"] == "F" or pairs["F"] == "M"  # sex: the largest group is the reference


def test_a_constant_classifier_warns_first_and_raises_no_disparity_alert():
    """UTKFace's case: one class predicted for every face; the groups' class mixes differ, so
    their error rates differ significantly, and none of it is the model's doing."""
    rng = np.random.default_rng(0)
    groups = pd.DataFrame({"race": np.repeat(["Asian", "Indian", "White"], 2000)})
    share = np.repeat([0.2, 0.45, 0.6], 2000)  # share of the class the model never predicts
    y = (rng.random(6000) < share).astype(int)
    result = fairness_audit(y, np.zeros(6000, dtype=int), groups, n_boot=100)
    assert result.tables["disparity"]["significant"].any()  # the gaps are there ...
    first = result.findings[0]
    assert first.template.startswith("The model's accuracy") and first.severity == "warning"
    assert first.params["majority"] == "0" and first.params["accuracy_pct"] == pytest.approx(
        first.params["majority_pct"])
    assert not [f for f in result.findings if f.severity == "alert"]  # ... and never claimed
    assert result.summary["no_better_than_majority"] and result.summary["verdict"] == "inconclusive"


def test_a_model_better_than_the_majority_class_has_no_such_warning():
    y, pred, groups = identical_rates(500)
    result = fairness_audit(y, pred, groups, n_boot=100)
    assert not result.summary["no_better_than_majority"]
    assert not any(f.template.startswith("The model's accuracy") for f in result.findings)


def test_differences_read_in_percentage_points_and_metric_names_in_words_in_both_languages():
    from nnaudit.reports.formatting import format_finding

    y, pred, score, groups = compas_like()
    result = fairness_audit(y, pred, groups, n_boot=100, criterion=Criterion(
        "equalized_odds", tolerance=0.05, reference="Caucasian"))
    verdict = result.findings[0]
    english, french = format_finding(verdict, "en"), format_finding(verdict, "fr")
    gap = 100 * verdict.params["difference_pp"]
    assert f"{gap:.1f}\u00a0points" in english and "true-positive rate" in english
    assert f"{gap:.1f}".replace(".", ",") + "\u00a0points" in french
    assert "taux de vrais positifs" in french and "non conforme" in french
    rate_gaps = [f for f in result.findings if f.template.startswith("The {metric_term}")]
    assert rate_gaps and all("tpr" not in format_finding(f, "en") for f in rate_gaps)
    for finding in rate_gaps:  # a gap is never a percentage
        text = format_finding(finding, "en")
        assert text.split("a gap of ")[1].split(" (")[0].endswith("points")


def test_a_multiclass_models_confidence_is_calibrated_per_group():
    """Top-label calibration: in one group the predicted class's probability is honest, in
    the other the model claims 0.9 and is right 60% of the time."""
    rng = np.random.default_rng(0)
    n = 3000
    groups = pd.DataFrame({"tone": np.repeat(["dark", "light"], n)})
    y = rng.integers(0, 3, 2 * n)
    right = rng.random(2 * n) < np.where(groups["tone"] == "dark", 0.6, 0.9)
    pred = np.where(right, y, (y + rng.integers(1, 3, 2 * n)) % 3)
    probs = np.full((2 * n, 3), 0.05)
    probs[np.arange(2 * n), pred] = 0.9
    result = fairness_audit(y, pred, groups, scores=probs, classes=list("abc"), n_boot=100)
    errors = result.tables["calibration_error"].set_index("subgroup")
    assert errors.loc["dark", "ece"] == pytest.approx(0.3, abs=0.03)
    assert errors.loc["light", "ece"] < 0.03 and errors.loc["light", "calibrated"]
    assert not errors.loc["dark", "calibrated"]
    reliability = result.tables["calibration"].set_index("subgroup")
    assert reliability.loc["light", "mean_score"] == pytest.approx(0.9)
    assert "reliability" in result.figures
