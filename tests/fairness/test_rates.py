"""Every rate against confusion matrices worked by hand, an intersection and undefined rates."""

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (MetricFrame, demographic_parity_difference,
                               equalized_odds_difference, true_positive_rate)
from sklearn.metrics import recall_score, roc_auc_score

from nnaudit.fairness import subgroup_table


def row(table, attribute, group):
    match = table[(table["attribute"] == attribute) & (table["subgroup"] == group)]
    assert len(match) == 1
    return match.iloc[0]


def test_rates_per_attribute_by_hand(hand_cells, make_rows):
    y_true, y_pred, groups = make_rows(hand_cells)
    table = subgroup_table(y_true, y_pred, groups, min_group_size=1, n_boot=0)["by_group"]
    light = row(table, "tone", "light")   # tp 5, fp 1, tn 7, fn 2
    assert (light.n, light.tp, light.fp, light.tn, light.fn) == (15, 5, 1, 7, 2)
    expected = {"share": 15 / 22, "base_rate": 7 / 15, "selection_rate": 6 / 15, "ppv": 5 / 6,
                "npv": 7 / 9, "tpr": 5 / 7, "fpr": 1 / 8, "fnr": 2 / 7, "tnr": 7 / 8,
                "accuracy": 12 / 15, "error_rate": 3 / 15}
    for name, value in expected.items():
        assert light[name] == pytest.approx(value), name
    dark = row(table, "tone", "dark")     # tp 1, fp 3, tn 1, fn 2
    expected = {"base_rate": 3 / 7, "selection_rate": 4 / 7, "ppv": 1 / 4, "npv": 1 / 3,
                "tpr": 1 / 3, "fpr": 3 / 4, "fnr": 2 / 3, "tnr": 1 / 4, "accuracy": 2 / 7,
                "error_rate": 5 / 7}
    for name, value in expected.items():
        assert dark[name] == pytest.approx(value), name


def test_intersection_and_undefined_rates(hand_cells, make_rows):
    y_true, y_pred, groups = make_rows(hand_cells)
    tables = subgroup_table(y_true, y_pred, groups, min_group_size=1, n_boot=0)
    cell = row(tables["by_group"], "tone x stroke", "dark x thin")   # tp 0, fp 2, tn 1, fn 0
    assert (cell.n, cell.tp, cell.fp, cell.tn, cell.fn) == (3, 0, 2, 1, 0)
    # no positives: TPR and FNR are undefined (NaN, with NaN intervals), not 0
    for name in ("tpr", "fnr", "tpr_low", "tpr_high"):
        assert np.isnan(cell[name]), name
    assert cell["base_rate"] == 0
    assert cell["ppv"] == 0 and cell["npv"] == 1
    assert cell["fpr"] == pytest.approx(2 / 3) and cell["error_rate"] == pytest.approx(2 / 3)
    thick = row(tables["by_group"], "tone x stroke", "dark x thick")  # tp 1, fp 1, tn 0, fn 2
    assert thick["tnr"] == 0 and thick["npv"] == 0 and thick["ppv"] == pytest.approx(0.5)
    overall = tables["overall"].iloc[0]
    assert (overall.n, overall.tp, overall.fp, overall.tn, overall.fn) == (22, 6, 4, 8, 4)
    assert overall["error_rate"] == pytest.approx(8 / 22)


def test_counts_match_fairlearn_on_raw_rows():
    rng = np.random.default_rng(3)
    n = 500
    groups = pd.DataFrame({"a": rng.choice(list("xyz"), n), "b": rng.choice(list("uv"), n)})
    y_true, y_pred = rng.integers(0, 2, n), rng.integers(0, 2, n)
    tables = subgroup_table(y_true, y_pred, groups, min_group_size=1, n_boot=0)
    frame = MetricFrame(metrics=true_positive_rate, y_true=y_true, y_pred=y_pred,
                        sensitive_features=groups)
    table = tables["by_group"]
    for (a, b), tpr in frame.by_group.items():
        assert row(table, "a x b", f"{a} x {b}")["tpr"] == pytest.approx(tpr)
    parity = tables["parity"].set_index("attribute")
    assert parity.loc["a x b", "demographic_parity_difference"] == pytest.approx(
        demographic_parity_difference(y_true, y_pred, sensitive_features=groups))
    assert parity.loc["a", "equalized_odds_difference"] == pytest.approx(
        equalized_odds_difference(y_true, y_pred, sensitive_features=groups["a"]))


def test_pairs_and_intersection_with_three_attributes():
    rng = np.random.default_rng(0)
    n = 300
    groups = pd.DataFrame({c: rng.choice(["0", "1"], n) for c in ("a", "b", "c")})
    table = subgroup_table(rng.integers(0, 2, n), rng.integers(0, 2, n), groups,
                           n_boot=0)["by_group"]
    assert list(dict.fromkeys(table["attribute"])) == ["a", "b", "c", "a x b", "a x c", "b x c",
                                                       "a x b x c"]
    for attribute, groups_count in table.groupby("attribute")["n"].sum().items():
        assert groups_count == n, attribute


def test_scores_threshold_and_auc():
    rng = np.random.default_rng(1)
    n = 400
    groups = pd.DataFrame({"sex": rng.choice(["f", "m"], n)})
    y_true = rng.integers(0, 2, n)
    scores = np.clip(0.3 * y_true + rng.random(n) * 0.7, 0, 1)
    ignored = np.zeros(n, dtype=int)   # scores decide, not y_pred
    tables = subgroup_table(y_true, ignored, groups, scores=scores, threshold=0.6, n_boot=0)
    table = tables["by_group"]
    for sex in ("f", "m"):
        mask = (groups["sex"] == sex).to_numpy()
        predicted = scores[mask] >= 0.6
        r = row(table, "sex", sex)
        assert r["tp"] == np.sum(predicted & (y_true[mask] == 1))
        assert r["fp"] == np.sum(predicted & (y_true[mask] == 0))
        assert r["auc"] == pytest.approx(roc_auc_score(y_true[mask], scores[mask]))
        assert r["auc_low"] < r["auc"] < r["auc_high"]
    assert tables["overall"]["threshold"].iloc[0] == 0.6


# Three classes; group a makes every kind of mistake, group b none (and has no emu).
THREE_CLASSES = dict(y_true=np.array([0, 0, 1, 1, 2, 2, 0, 1]),
                     y_pred=np.array([0, 1, 1, 2, 2, 0, 0, 1]),
                     groups=pd.DataFrame({"g": ["a"] * 6 + ["b"] * 2}),
                     classes=["cat", "dog", "emu"], min_group_size=1)


def test_multiclass_per_class_table():
    tables = subgroup_table(**THREE_CLASSES, n_boot=0)
    a = row(tables["by_group"], "g", "a")
    assert a["accuracy"] == pytest.approx(3 / 6) and a["error_rate"] == pytest.approx(3 / 6)
    assert "tpr" not in tables["by_group"]
    per_class = tables["per_class"]
    dog_a = per_class[(per_class["class"] == "dog") & (per_class["subgroup"] == "a")].iloc[0]
    # dog vs rest in group a: truths dog at rows 2,3; predicted dog at rows 1,2
    assert (dog_a.tp, dog_a.fp, dog_a.tn, dog_a.fn) == (1, 1, 3, 1)
    emu_b = per_class[(per_class["class"] == "emu") & (per_class["subgroup"] == "b")].iloc[0]
    assert np.isnan(emu_b["tpr"]) and emu_b["fpr"] == 0
    # a chosen positive class gives the binary one-vs-rest table
    binary = subgroup_table(**THREE_CLASSES, positive="dog", n_boot=0)["by_group"]
    assert row(binary, "g", "a")["tpr"] == pytest.approx(dog_a["tpr"])


def test_multiclass_macro_rates_by_hand_and_with_intervals():
    # group a, y_true 0 0 1 1 2 2 and y_pred 0 1 1 2 2 0: each class against the rest
    #   cat: tp 1 fp 1 fn 1 tn 3 -> ppv 1/2 tpr 1/2 fpr 1/4
    #   dog: tp 1 fp 1 fn 1 tn 3 -> ppv 1/2 tpr 1/2 fpr 1/4
    #   emu: tp 1 fp 1 fn 1 tn 3 -> ppv 1/2 tpr 1/2 fpr 1/4
    # group b: y_true 0 1 / y_pred 0 1 -> cat and dog perfect, emu absent (undefined, left out)
    tables = subgroup_table(**THREE_CLASSES, n_boot=200)
    a, b = row(tables["by_group"], "g", "a"), row(tables["by_group"], "g", "b")
    assert (a["macro_ppv"], a["macro_tpr"], a["macro_fpr"]) == pytest.approx((0.5, 0.5, 0.25))
    assert (b["macro_ppv"], b["macro_tpr"], b["macro_fpr"]) == pytest.approx((1.0, 1.0, 0.0))
    assert a["macro_ppv_low"] <= a["macro_ppv"] <= a["macro_ppv_high"]
    assert a["macro_ppv_low"] < a["macro_ppv_high"]          # resampling group a moves it
    overall = tables["overall"].iloc[0]
    assert overall["macro_tpr"] == pytest.approx(recall_score(
        THREE_CLASSES["y_true"], THREE_CLASSES["y_pred"], average="macro"))
    # a chosen positive class gives the binary table, without macro rates
    binary = subgroup_table(**THREE_CLASSES, positive="dog", n_boot=0)["by_group"]
    assert "macro_ppv" not in binary
