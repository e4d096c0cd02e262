"""The paired before/after comparison: hand-worked gaps, a clean control, fairlearn's numbers."""

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (MetricFrame, false_negative_rate, false_positive_rate,
                               selection_rate, true_negative_rate, true_positive_rate)
from sklearn.metrics import precision_score

from nnaudit.audits import table_schemas
from nnaudit.mitigation import (DecisionSpace, Evaluation, Remedy, mitigation_result,
                                paired_gaps)
from nnaudit.mitigation._compare import by_group_rates
from nnaudit.store import RunWriter

BINARY = DecisionSpace.of(["no", "yes"], None, 0.5)


def random_rows(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    groups = pd.DataFrame({"sex": rng.choice(["f", "m"], n),
                           "race": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])})
    y = rng.integers(0, 2, n)
    before = np.where(rng.random(n) < np.where(groups["sex"] == "f", 0.3, 0.1), 1 - y, y)
    after = np.where(rng.random(n) < 0.15, 1 - y, y)
    return y, before, after, groups


def test_hand_worked_gaps_and_their_change():
    # group a: 10 rows, 2 errors before and after; group b: 10 rows, 5 errors before, 2 after
    y = np.zeros(20, dtype=int)
    groups = pd.DataFrame({"g": ["a"] * 10 + ["b"] * 10})
    before = np.array([1, 1] + [0] * 8 + [1] * 5 + [0] * 5)
    after = np.array([1, 1] + [0] * 8 + [1] * 2 + [0] * 8)
    paired = paired_gaps(y, before, after, groups, BINARY, min_group_size=1, n_boot=200, seed=0,
                         targets=("error_rate",))
    row = paired.gaps.set_index("metric").loc["error_rate"]
    assert row["before"] == pytest.approx(0.3) and row["after"] == pytest.approx(0.0)
    assert row["change"] == pytest.approx(-0.3)
    assert (row["highest_before"], row["lowest_before"]) == ("b", "a")
    assert row["targeted"] and row["groups"] == 2
    assert row["change_low"] <= -0.3 <= row["change_high"]
    assert paired.accuracy["accuracy_before"] == pytest.approx(13 / 20)
    assert paired.accuracy["accuracy_after"] == pytest.approx(16 / 20)
    assert paired.accuracy["accuracy_change"] == pytest.approx(3 / 20)


def test_the_same_decisions_change_nothing_not_even_in_the_intervals():
    y, before, _, groups = random_rows()
    paired = paired_gaps(y, before, before, groups, BINARY, min_group_size=30, n_boot=300,
                         seed=0)
    gaps = paired.gaps
    assert len(gaps) and (gaps["change"] == 0).all()
    assert (gaps["change_low"] == 0).all() and (gaps["change_high"] == 0).all()
    assert not gaps["significant"].any()
    assert paired.accuracy["accuracy_change_low"] == paired.accuracy["accuracy_change_high"] == 0


def test_a_change_beyond_sampling_noise_is_significant_with_a_paired_interval():
    y, before, after, groups = random_rows()
    gaps = paired_gaps(y, before, after, groups, BINARY, min_group_size=30, n_boot=500,
                       seed=0).gaps.set_index(["attribute", "metric"])
    sex = gaps.loc[("sex", "error_rate")]
    assert sex["before"] > 0.15 and sex["change_high"] < 0 and sex["significant"]
    # Paired: the change's interval is narrower than the two gaps' intervals put together.
    assert sex["change_high"] - sex["change_low"] < (sex["before_high"] - sex["before_low"]) + \
        (sex["after_high"] - sex["after_low"])
    race = gaps.loc[("race", "error_rate")]
    assert not race["significant"]  # race played no part in either model's errors


@pytest.mark.parametrize("attribute", ["sex", "race"])
def test_rates_and_gaps_agree_with_fairlearns_metric_frame(attribute):
    y, before, after, groups = random_rows()
    paired = paired_gaps(y, before, after, groups, BINARY, min_group_size=1, n_boot=0, seed=0)
    metrics = {"selection_rate": selection_rate, "tpr": true_positive_rate,
               "fpr": false_positive_rate, "fnr": false_negative_rate,
               "tnr": true_negative_rate,
               "ppv": lambda t, p: precision_score(t, p, zero_division=np.nan),
               "error_rate": lambda t, p: float(np.mean(t != p))}
    gaps = paired.gaps[paired.gaps["attribute"] == attribute].set_index("metric")
    for stage, decided in (("before", before), ("after", after)):
        frame = MetricFrame(metrics=metrics, y_true=y, y_pred=decided,
                            sensitive_features=groups[attribute])
        table = by_group_rates(y, decided, groups, BINARY, min_group_size=1)
        mine = table[table["attribute"] == attribute].set_index("subgroup")
        for metric in metrics:
            assert mine[metric].to_dict() == pytest.approx(frame.by_group[metric].to_dict())
            assert gaps.loc[metric, stage] == pytest.approx(frame.difference()[metric])


def test_multiclass_decisions_compare_error_rates():
    rng = np.random.default_rng(1)
    groups = pd.DataFrame({"tone": rng.choice(["dark", "light"], 600)})
    y = rng.integers(0, 3, 600)
    before = np.where((groups["tone"] == "dark") & (rng.random(600) < 0.5), (y + 1) % 3, y)
    space = DecisionSpace.of(["a", "b", "c"], None, 0.5)
    gaps = paired_gaps(y, before, y, groups, space, min_group_size=30, n_boot=100, seed=0).gaps
    assert list(gaps["metric"]) == ["error_rate"]
    assert gaps["after"].iloc[0] == 0 and gaps["before"].iloc[0] > 0.4


def test_decision_spaces_follow_the_fairness_audit():
    probs = np.array([[0.6, 0.3, 0.1], [0.2, 0.3, 0.5], [0.1, 0.8, 0.1]])
    # multi-class without a positive class: the argmax, right or wrong
    plain = DecisionSpace.of(["a", "b", "c"], None, 0.5)
    assert not plain.binary and list(plain.decide(probs)) == [0, 2, 1]
    # a positive class of three: "b or not", decided at its threshold
    folded = DecisionSpace.of(["a", "b", "c"], "b", 0.3)
    assert folded.classes == ["not b", "b"] and folded.positive_name == "b"
    assert list(folded.decide(probs)) == [1, 1, 1]
    assert list(folded.labels(np.array([0, 1, 2]))) == [0, 1, 0]
    # two classes, the first one positive
    first = DecisionSpace.of(["good", "bad"], "good", 0.7)
    assert list(first.decide(np.array([[0.8, 0.2], [0.6, 0.4]]))) == [0, 1]
    assert list(first.labels(np.array([0, 1]))) == [0, 1]


@pytest.mark.parametrize("min_group_size, compared", [(30, False), (10, True)])
def test_a_minority_below_min_group_size_leaves_no_headline_gap(min_group_size, compared,
                                                                 tmp_path):
    """20 rows of f and 380 of m: at min_group_size 30 no two subgroups can be compared, so the
    result says so (NaN gaps, no figure, no headline gap) instead of failing; at 10 the same rows
    give the headline gap (the control)."""
    rng = np.random.default_rng(0)
    groups = pd.DataFrame({"sex": ["f"] * 20 + ["m"] * 380})
    y = rng.integers(0, 2, 400)
    before = np.where(rng.random(400) < np.where(groups["sex"] == "f", 0.4, 0.1), 1 - y, y)
    evaluation = Evaluation(y, before, groups, BINARY, ["sex"], "the test split (400 rows)",
                            min_group_size=min_group_size, n_boot=100)
    result = mitigation_result(evaluation, [Remedy("resample", "resample", y, ("error_rate",),
                                                   "training")])
    methods = result.tables["methods"]
    assert methods["gap_before"].notna().all() == compared
    assert ("gaps" in result.figures) == compared
    assert ("gap_metric" in result.summary) == compared
    (tmp_path / "run").mkdir()
    # the declared schema holds either way
    RunWriter(tmp_path / "run").write_audit(result, table_schemas("mitigation"))


def test_folded_decisions_do_not_pose_as_the_models_accuracy():
    """A 10-class model judged on "7 or not" records a decision accuracy, never the
    test_accuracy a comparison would subtract from the base run's 10-class accuracy."""
    from nnaudit.mitigation._base import Decisions

    groups = pd.DataFrame({"g": ["a", "b", "a", "b"]})
    folded = DecisionSpace.of([str(d) for d in range(10)], "7", 0.5)
    binary = DecisionSpace.of(["no", "yes"], None, 0.5)
    y = np.array([1, 0, 1, 1])
    assert Decisions(y, np.array([1, 0, 0, 1]), folded, groups).metrics() == {
        "decision_accuracy": 0.75}
    assert Decisions(y, np.array([1, 0, 0, 1]), binary, groups).metrics() == {
        "test_accuracy": 0.75}
