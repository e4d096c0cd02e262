"""The course's three tables built from real audit results: the numbers in the cells are the
audits' own (checked against hand-worked values and scikit-learn), the layout is the course's,
the published rows are the paper's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import precision_score, recall_score

from nnaudit.reports.formatting import Formatter, format_number
from nnaudit.reports.gender_shades import gender_shades_table
from nnaudit.reports.i18n import translate_reason
from nnaudit.reports.robustness import attack_table, corruption_table, severities
from nnaudit.reports.strubell import strubell_table
from nnaudit.reports.zhang import zhang_table

from real_results import (SCRIPT_GROUP, energy_result, fairness_result, generalization_results,
                          robustness_result)

EN = Formatter("en")


def points(value: float) -> str:
    return format_number(value, "en", "points")


def cells(table, row: str) -> dict[str, object]:
    """Column label -> cell of one row."""
    found = next(r for r in table.rows if r.label == row)
    return {c.label: cell for c, cell in zip(table.columns, found.cells)}


def test_gender_shades_layout_and_values_of_a_binary_task():
    result = fairness_result()
    by_group = result.tables["by_group"]
    table = gender_shades_table(result.tables["overall"], by_group, ["sex", "race"], EN,
                                positive="yes", classes=2, min_group_size=30,
                                disparity=result.tables["disparity"])
    assert [r.label for r in table.rows] == ["PPV (%)", "Error rate (%)", "TPR (%)", "FPR (%)"]
    labels = [c.label for c in table.columns]
    assert labels[:3] == ["All", "female", "male"]
    assert sorted(labels[3:6]) == sorted(["a", "b", SCRIPT_GROUP])      # the audit's order
    assert labels[6:] == [g for g in by_group["subgroup"] if " x " in g]   # the intersections
    assert [c.group for c in table.columns[:3]] == ["", "sex", "sex"]
    error = cells(table, "Error rate (%)")
    female = by_group.set_index("subgroup").loc["female"]
    assert error["female"].text == points(female["error_rate"])
    assert error["female"].interval == (f"[{points(female['error_rate_low'])}, "
                                        f"{points(female['error_rate_high'])}]")
    assert error["All"].text == points(result.tables["overall"]["error_rate"].iloc[0])
    # the injected bias: the women's intersection is the worst ranked cell, never a small group
    worst = [label for label, cell in error.items() if cell.mark == "worst"]
    assert worst == ["female", result.summary["worst_group"]]  # per grouping, each significant
    assert error[SCRIPT_GROUP].small and not error[SCRIPT_GROUP].mark
    assert error["All"].mark == ""                       # everyone is never ranked
    assert any("fewer than 30" in note for note in table.notes)


def test_gender_shades_of_a_multiclass_task_is_macro_averaged_as_scikit_learn():
    from nnaudit.fairness import fairness_audit

    rng = np.random.default_rng(3)
    n = 3000
    y = rng.integers(0, 4, n)
    groups = pd.DataFrame({"tone": rng.choice(["dark", "light"], n, p=[0.3, 0.7])})
    wrong = rng.random(n) < np.where(groups["tone"] == "dark", 0.4, 0.1)
    y_pred = np.where(wrong, (y + rng.integers(1, 4, n)) % 4, y)
    result = fairness_audit(y, y_pred, groups, classes=list("abcd"), n_boot=200, seed=0)
    table = gender_shades_table(result.tables["overall"], result.tables["by_group"], ["tone"],
                                EN, positive=None, classes=4, min_group_size=30,
                                disparity=result.tables["disparity"])
    dark = (groups["tone"] == "dark").to_numpy()
    ppv, tpr = cells(table, "PPV (%)"), cells(table, "TPR (%)")
    assert ppv["dark"].text == points(precision_score(y[dark], y_pred[dark], average="macro"))
    assert tpr["light"].text == points(recall_score(y[~dark], y_pred[~dark], average="macro"))
    assert ppv["All"].text == points(precision_score(y, y_pred, average="macro"))
    # macro rates have no significance test: never highlighted; the error rate's gap is tested
    assert ppv["dark"].mark == "" and ppv["light"].mark == ""
    error = cells(table, "Error rate (%)")
    assert error["dark"].mark == "worst" and error["light"].mark == "best"
    assert ppv["dark"].interval                          # a bootstrap interval, not a blank
    assert "4 classes" in table.notes[0] and "macro-averaged" in table.notes[0]


def test_a_balanced_control_has_no_highlighted_cell():
    """Highlights only where a gap is significant after the correction: equal error rates in
    every group (here at most chance differences) colour no cell, although some group is
    always the lowest and some the highest."""
    from nnaudit.fairness import fairness_audit

    rng = np.random.default_rng(0)
    n = 4000
    groups = pd.DataFrame({"tone": rng.choice(["dark", "light"], n),
                           "stroke": rng.choice(["thin", "thick"], n)})
    y = rng.integers(0, 2, n)
    y_pred = np.where(rng.random(n) < 0.1, 1 - y, y)
    result = fairness_audit(y, y_pred, groups, n_boot=200, seed=0)
    assert not result.tables["disparity"]["significant"].any()
    table = gender_shades_table(result.tables["overall"], result.tables["by_group"],
                                ["tone", "stroke"], EN, positive="1", classes=2,
                                min_group_size=30, disparity=result.tables["disparity"])
    assert not [cell for row in table.rows for cell in row.cells if cell.mark]
    assert any("No cell is highlighted" in note for note in table.notes)


def test_highlights_rank_within_each_attribute_not_across_groupings():
    """Each grouping's significant gap marks its own best and worst group: a race gap is
    highlighted in the race columns even when an intersection is worse overall."""
    from nnaudit.fairness import fairness_audit

    rng = np.random.default_rng(1)
    n = 6000
    groups = pd.DataFrame({"race": rng.choice(["Asian", "White"], n),
                           "sex": rng.choice(["F", "M"], n)})
    y = rng.integers(0, 2, n)
    rate = np.where(groups["race"] == "Asian", 0.2, 0.1)
    y_pred = np.where(rng.random(n) < rate, 1 - y, y)
    result = fairness_audit(y, y_pred, groups, n_boot=200, seed=0)
    table = gender_shades_table(result.tables["overall"], result.tables["by_group"],
                                ["race", "sex"], EN, positive="1", classes=2,
                                min_group_size=30, disparity=result.tables["disparity"])
    error = cells(table, "Error rate (%)")
    assert error["Asian"].mark == "worst" and error["White"].mark == "best"
    assert error["F"].mark == "" and error["M"].mark == ""  # no significant sex gap
    worst = [label for label, cell in error.items() if cell.mark == "worst"]
    assert "Asian" in worst and any(" x " in label for label in worst)


def test_zhang_table_rows_and_switches():
    memorization = generalization_results()["memorization"]
    table = zhang_table(memorization.tables, memorization.protocol, EN)
    assert [c.label for c in table.columns] == [
        "Data augmentation", "Dropout", "Weight decay", "Train accuracy (%)",
        "Test accuracy (%)", "Epochs to fit"]
    # tiny protocol: true and random labels, 50 % noise, then the weight-decay ablation rows
    assert [r.label for r in table.rows] == ["true labels", "random labels",
                                            "50% of labels random", "true labels",
                                            "random labels"]
    conditions = memorization.tables["random_labels"].set_index("condition")
    first = {c.label: cell.text for c, cell in zip(table.columns, table.rows[0].cells)}
    assert first["Train accuracy (%)"] == points(conditions.loc["true labels", "train_acc"])
    assert [first[k] for k in ("Data augmentation", "Dropout", "Weight decay")] == ["no"] * 3
    last = {c.label: cell.text for c, cell in zip(table.columns, table.rows[-1].cells)}
    assert last["Weight decay"] == "yes" and last["Data augmentation"] == "no"
    ablation = memorization.tables["regularizer_ablation"]
    row = ablation[(ablation["regularizers"] == "weight decay") & (ablation["labels"] == "random")]
    expected = (format_number(row["epochs_to_target"].iloc[0], "en", "integer")
                if row["reached_target"].iloc[0] else f"not fitted in {row['epochs_run'].iloc[0]}")
    assert last["Epochs to fit"] == expected


def test_strubell_table_published_rows_and_this_run_in_the_same_units():
    table = strubell_table(energy_result(0.04).tables, EN)
    published = {r.label: [c.text for c in r.cells] for r in table.rows[:5]}
    # Strubell, Ganesh & McCallum (2019), Table 3: kWh·PUE and CO2e (lbs)
    assert published["Transformer (65M parameters)"][:3] == ["published", "27", "26"]
    assert published["Transformer (213M parameters)"][:3] == ["published", "201", "192"]
    assert published["ELMo"][:3] == ["published", "275", "262"]
    assert published["BERT base"][:3] == ["published", "1,507", "1,438"]
    assert published["Transformer (213M) with neural architecture search"][:3] == [
        "published", "656,347", "626,155"]
    own = {r.label: [c.text for c in r.cells] for r in table.rows[5:]}
    # training: 0.04 kWh CPU + 0.004 kWh RAM, estimated; 0.044 x 1.1 x 0.056 kg CO2e
    assert own["This model: training"][:2] == ["estimated", "0.044"]
    assert own["This model: training"][3] == format_number(0.04 * 1.1 * 0.056, "en")
    # a year of 10,000 predictions a day at 0.0002 kWh x 1.1 per 2,000 predictions
    year = 0.0002 * 1.1 / 2000 * 10_000 * 365
    assert own["This model: a year of inference at 10,000 predictions a day"][1] == \
        format_number(year, "en")
    assert all(r.emphasis for r in table.rows[5:]) and not any(r.emphasis for r in table.rows[:5])


def test_robustness_tables_read_the_audit_per_group():
    result = robustness_result()
    table = attack_table(result.tables, ["tone", "stroke"], EN)
    adversarial = result.tables["adversarial"]
    row = adversarial[(adversarial["attack"] == "pgd") & (adversarial["radius"] == 0.1)
                      & (adversarial["subgroup"] == "dark")].iloc[0]
    assert cells(table, "pgd (Linf), radius 0.1")["dark"].text == points(row["accuracy"])
    clean = result.tables["clean"].set_index("subgroup")
    assert cells(table, "clean inputs")["All"].text == points(clean.loc["all", "accuracy"])
    assert severities(result.tables) == [1, 3]
    corrupted = corruption_table(result.tables, 3, ["tone", "stroke"], EN)
    assert [r.label for r in corrupted.rows] == ["clean inputs", "gaussian noise", "contrast"]


@pytest.mark.parametrize("reason, lang, expected", [
    ("the random-label test needs the model itself, which a predictions file does not have",
     "fr", "le test des étiquettes aléatoires nécessite le modèle lui-même, qu'un fichier de "
           "prédictions ne contient pas"),
    ("a predictions file has no training or inference to measure", "fr",
     "un fichier de prédictions n'a ni entraînement ni inférence à mesurer"),
    ("this LeNet has BatchNorm layers", "fr", "this LeNet has BatchNorm layers"),  # kept as is
])
def test_skip_reasons_translate_part_by_part(reason, lang, expected):
    assert translate_reason(reason, lang) == expected


def test_nested_values_read_as_lists_not_json():
    fields = dict(EN.fields({"robust_accuracy": {"pgd": {"0.1": 0.176, "0.3": 0.0}},
                             "methods": [{"name": "saliency", "kind": "sensitivity"}],
                             "positive": None, "train_config": {"epochs": 15, "lr": 0.003}}))
    assert fields == {"Robust accuracy › pgd": "0.1: 17.6%; 0.3: 0%",
                      "Methods": "name: saliency, kind: sensitivity",
                      "Train config": "epochs: 15; lr: 0.003"}      # "positive" does not apply


def test_with_three_attributes_every_pair_gets_its_columns():
    from nnaudit.fairness import fairness_audit

    rng = np.random.default_rng(2)
    n = 3000
    groups = pd.DataFrame({"race": rng.choice(["Asian", "White"], n),
                           "gender": rng.choice(["F", "M"], n),
                           "age": rng.choice(["0-20", "20-40"], n)})
    y = rng.integers(0, 2, n)
    y_pred = np.where(rng.random(n) < 0.1, 1 - y, y)
    result = fairness_audit(y, y_pred, groups, n_boot=100, seed=0)
    table = gender_shades_table(result.tables["overall"], result.tables["by_group"],
                                ["race", "gender", "age"], EN, positive="1", classes=2,
                                min_group_size=30, disparity=result.tables["disparity"])
    headings = [heading for heading, _span in table.column_groups()]
    assert headings == ["", "race", "gender", "age", "race x gender", "race x age",
                        "gender x age", "Intersection"]
    pair = [c.label for c in table.columns if c.group == "race x gender"]
    assert sorted(pair) == ["Asian x F", "Asian x M", "White x F", "White x M"]
