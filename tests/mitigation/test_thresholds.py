"""Thresholds by group: fairlearn's constraints, met on held-out rows of a known score shift."""

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (MetricFrame, false_positive_rate, selection_rate,
                               true_positive_rate)

from nnaudit.errors import UserInputError
from nnaudit.mitigation import CONSTRAINTS, fit_thresholds

from tests.mitigation.conftest import shifted_scores


def gaps(y, decided, group) -> pd.Series:
    frame = MetricFrame(metrics={"fpr": false_positive_rate, "tpr": true_positive_rate,
                                 "selection_rate": selection_rate},
                        y_true=y, y_pred=decided, sensitive_features=group)
    return frame.difference()


def test_every_constraint_of_fairlearn_is_offered():
    from fairlearn.postprocessing._threshold_optimizer import ALL_CONSTRAINTS

    assert set(CONSTRAINTS) == set(ALL_CONSTRAINTS)


@pytest.fixture(scope="module")
def fit_and_held_out():
    """Fitting rows and held-out rows of the same shifted score (b scored 0.8 higher)."""
    return shifted_scores(8000, seed=10), shifted_scores(8000, seed=11)


def test_the_shift_makes_gaps_the_thresholds_must_close(fit_and_held_out):
    _, (score, y, group) = fit_and_held_out
    before = gaps(y, score >= 0.5, group)
    assert before["fpr"] > 0.15 and before["tpr"] > 0.05 and before["selection_rate"] > 0.15


def test_equalized_odds_brings_held_out_fpr_and_tpr_gaps_under_5_points(fit_and_held_out):
    (score, y, group), (held_score, held_y, held_group) = fit_and_held_out
    fitted = fit_thresholds(score, y, group, constraint="equalized_odds")
    after = gaps(held_y, fitted.decide(held_score, held_group, seed=0), held_group)
    assert after["fpr"] < 0.05 and after["tpr"] < 0.05, after


def test_demographic_parity_brings_the_held_out_selection_rate_gap_under_5_points(
        fit_and_held_out):
    (score, y, group), (held_score, held_y, held_group) = fit_and_held_out
    fitted = fit_thresholds(score, y, group, constraint="demographic_parity")
    after = gaps(held_y, fitted.decide(held_score, held_group, seed=0), held_group)
    assert after["selection_rate"] < 0.05, after


def test_demographic_parity_opens_error_rate_gaps_when_base_rates_differ():
    """A remedy for one rate can worsen another: with a calibrated score and groups whose
    base rates differ, equal selection rates need unequal TPR and FPR."""
    rng = np.random.default_rng(12)
    group = rng.choice(["a", "b"], 16000)
    z = rng.normal(size=16000) + np.where(group == "b", 0.8, 0.0)
    y = rng.random(16000) < 1 / (1 + np.exp(-3 * z))
    score = 1 / (1 + np.exp(-3 * (z + 0.3 * rng.normal(size=16000))))
    fit, held = np.arange(16000) < 8000, np.arange(16000) >= 8000
    before = gaps(y[held], score[held] >= 0.5, group[held])
    fitted = fit_thresholds(score[fit], y[fit], group[fit], constraint="demographic_parity")
    after = gaps(y[held], fitted.decide(score[held], group[held], seed=0), group[held])
    assert after["selection_rate"] < 0.05 < before["selection_rate"]
    # measured: FPR gap 15.1 -> 22.4 points, TPR gap 8.7 -> 12.2 points
    assert after["fpr"] > before["fpr"] + 0.05 and after["tpr"] > before["tpr"], (before, after)


def test_an_unshifted_score_gets_the_same_rule_in_both_groups():
    score, y, group = shifted_scores(8000, seed=3, shift=0.0)
    table = fit_thresholds(score, y, group, constraint="equalized_odds").table()
    thresholds = table.set_index("subgroup")[["threshold0", "threshold1"]].mean(axis=1)
    assert abs(thresholds["a"] - thresholds["b"]) < 0.1, table


def test_the_rule_table_describes_each_groups_randomized_threshold():
    score, y, group = shifted_scores(4000, seed=4)
    table = fit_thresholds(score, y, group).table()
    assert sorted(table["subgroup"]) == ["a", "b"]
    assert np.allclose(table["p0"] + table["p1"], 1.0)
    assert set(table["operator0"]) | set(table["operator1"]) <= {">", "<"}
    # group b's scores run higher, so its threshold is higher
    middle = table.set_index("subgroup")[["threshold0", "threshold1"]].mean(axis=1)
    assert middle["b"] > middle["a"]


@pytest.mark.parametrize("constraint", sorted(CONSTRAINTS))
@pytest.mark.parametrize("lacking", ["positive", "negative"])
def test_a_group_without_positives_or_negatives_is_refused(constraint, lacking):
    score, y, group = shifted_scores(2000, seed=5)
    group = np.where(np.arange(2000) < 100, "c", group)
    y = np.where(group == "c", lacking == "negative", y)
    with pytest.raises(UserInputError, match=f"group 'c' has no {lacking} example in the "
                                              f"fitting rows, and {constraint} thresholds"):
        fit_thresholds(score, y, group, constraint=constraint)


def test_a_group_never_fitted_gets_no_silent_negative():
    score, y, group = shifted_scores(2000, seed=6)
    fitted = fit_thresholds(score, y, group)
    with pytest.raises(UserInputError, match="group 'c' has no threshold"):
        fitted.decide(score[:3], np.array(["a", "c", "b"]), seed=0)


def test_an_unknown_constraint_is_named():
    score, y, group = shifted_scores(200, seed=7)
    with pytest.raises(UserInputError, match="unknown constraint 'equal_opportunity'; choose"):
        fit_thresholds(score, y, group, constraint="equal_opportunity")
