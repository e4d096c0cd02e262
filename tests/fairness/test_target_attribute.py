"""The target as a sensitive attribute (Gender Shades): each class its own positive class."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nnaudit.fairness import fairness_audit


def gender_classifier():
    """A gender classifier audited by gender x race; per (race, gender): (right, wrong)."""
    cells = {("D", "F"): (7, 3), ("D", "M"): (9, 1), ("L", "F"): (9, 1), ("L", "M"): (10, 0)}
    y, pred, race = [], [], []
    for (r, g), (right, wrong) in cells.items():
        other = "M" if g == "F" else "F"
        y += [g] * (right + wrong)
        pred += [g] * right + [other] * wrong
        race += [r] * (right + wrong)
    groups = pd.DataFrame({"gender": y, "race": race})
    return np.array(y), np.array(pred), groups


# worked by hand from the cells above, as Gender Shades' Table 4 does: for F, TP = women called
# women, FN = women called men, FP = men called women (within the column's other attributes)
EXPECTED = {  # subgroup: (PPV, TPR, FPR, error rate)
    "F": (16 / 17, 16 / 20, 1 / 20, 4 / 20),
    "M": (19 / 23, 19 / 20, 4 / 20, 1 / 20),
    "F x D": (7 / 8, 7 / 10, 1 / 10, 3 / 10),
    "M x D": (9 / 12, 9 / 10, 3 / 10, 1 / 10),
    "F x L": (9 / 9, 9 / 10, 0 / 10, 1 / 10),
    "M x L": (10 / 11, 10 / 10, 1 / 10, 0 / 10),
}


def test_each_gender_is_its_own_positive_class_checked_by_hand():
    y, pred, groups = gender_classifier()
    result = fairness_audit(y, pred, groups, classes=["F", "M"], positive="M",
                            min_group_size=5, n_boot=100)
    by_group = result.tables["by_group"].set_index("subgroup")
    for subgroup, (ppv, tpr, fpr, error) in EXPECTED.items():
        row = by_group.loc[subgroup]
        assert row["own_positive"] == subgroup[0]
        assert (row["ppv"], row["tpr"], row["fpr"], row["error_rate"]) == pytest.approx(
            (ppv, tpr, fpr, error)), subgroup
        assert row["ppv_low"] <= row["ppv"] <= row["ppv_high"]
    # race is not the target: its rates keep the fixed positive class (M)
    dark = by_group.loc["D"]
    assert pd.isna(dark["own_positive"]) and dark["tpr"] == pytest.approx(9 / 10)
    assert dark["fpr"] == pytest.approx(3 / 10)
    assert result.protocol["own_positive_class"] == ["gender"]


def test_the_oracle_agrees_sklearn_recall_with_each_gender_as_pos_label():
    from fairlearn.metrics import MetricFrame
    from sklearn.metrics import precision_score, recall_score

    y, pred, groups = gender_classifier()
    result = fairness_audit(y, pred, groups, classes=["F", "M"], positive="M",
                            min_group_size=5, n_boot=100)
    by_group = result.tables["by_group"].set_index("subgroup")
    for gender in ("F", "M"):
        frame = MetricFrame(metrics={
            "tpr": lambda t, p, g=gender: recall_score(t, p, pos_label=g),
            "ppv": lambda t, p, g=gender: precision_score(t, p, pos_label=g, zero_division=0)},
            y_true=y, y_pred=pred, sensitive_features=groups["race"])
        for race in ("D", "L"):
            row = by_group.loc[f"{gender} x {race}"]
            assert row["tpr"] == pytest.approx(frame.by_group.loc[race, "tpr"])
            assert row["ppv"] == pytest.approx(frame.by_group.loc[race, "ppv"])


def test_no_finding_compares_a_class_with_itself():
    y, pred, groups = gender_classifier()
    y, pred, groups = np.tile(y, 40), np.tile(pred, 40), pd.concat([groups] * 40, ignore_index=True)
    result = fairness_audit(y, pred, groups, classes=["F", "M"], positive="M", n_boot=100)
    gender = result.tables["disparity"]
    gender = gender[gender["attribute"].str.contains("gender")]
    assert set(gender["metric"]) <= {"error_rate", "accuracy"}
    tests = result.tables["tests"]
    assert set(tests.loc[tests["attribute"].str.contains("gender"), "metric"]) == {"error_rate"}
    assert "gender" not in set(result.tables["parity"]["attribute"])
    for finding in result.findings:
        assert not ("across gender" in finding.text and "ppv" in finding.text.lower())
    # the women's error rate (0.2) against the men's (0.05) is still a comparison to make
    errors = gender[(gender["attribute"] == "gender") & (gender["metric"] == "error_rate")]
    assert errors.iloc[0]["worst_group"] == "F" and errors.iloc[0]["significant"]
