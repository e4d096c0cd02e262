"""The fairness tables from counts per intersection cell: the rows enter once, as counts."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from nnaudit.fairness import (CellCounts, count_rows, fairness_audit, fairness_audit_counts,
                              subgroup_table)
from nnaudit.fairness._findings import NOTHING_RANKED, NO_DISPARITY
from nnaudit.fairness._metrics import histogram_auc


def scored_rows(n=3000, seed=0, deciles=True):
    rng = np.random.default_rng(seed)
    groups = pd.DataFrame({"race": rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1]),
                           "sex": rng.choice(["f", "m"], n)})
    y = rng.integers(0, 2, n)
    raw = 0.25 * y + rng.random(n) * 0.75
    scores = np.ceil(raw * 10) if deciles else raw
    return y, groups, scores


def test_decile_scores_give_the_exact_auc_per_group():
    y, groups, scores = scored_rows()
    tables = subgroup_table(y, np.zeros_like(y), groups, scores=scores, threshold=7, n_boot=0)
    by_group = tables["by_group"]
    for (attribute, group), row in by_group.set_index(["attribute", "subgroup"]).iterrows():
        columns = attribute.split(" x ")
        mask = np.all([groups[c].to_numpy() == v for c, v in zip(columns, group.split(" x "))], axis=0)
        assert row["auc"] == pytest.approx(roc_auc_score(y[mask], scores[mask]), abs=1e-12)
        assert row["auc_max_error"] == 0.0
    assert tables["overall"]["auc"].iloc[0] == pytest.approx(roc_auc_score(y, scores), abs=1e-12)


def test_continuous_scores_stay_within_the_stated_bound():
    y, groups, scores = scored_rows(deciles=False)
    by_group = subgroup_table(y, np.zeros_like(y), groups, scores=scores, n_boot=0,
                              score_bins=50)["by_group"]
    errors = []
    for _, row in by_group.iterrows():
        columns = row["attribute"].split(" x ")
        mask = np.all([groups[c].to_numpy() == row[c] for c in columns], axis=0)
        error = abs(row["auc"] - roc_auc_score(y[mask], scores[mask]))
        assert error <= row["auc_max_error"] + 1e-12
        errors.append(error)
    assert 0 < max(errors) and (by_group["auc_max_error"] > 0).all()  # 50 bins do lose something


def test_histogram_auc_hand_worked():
    # scores: positives 1, 2, 2; negatives 0, 2 -> pairs (1>0),(2>0),(2>0), ties (2,2) x2, (1<2)
    # AUC = (3 + 2 * 0.5 + 0) / 6 = 4 / 6
    positives, negatives = np.array([0, 1, 2]), np.array([1, 0, 1])
    auc, low, high, max_error = histogram_auc(positives, negatives, np.zeros(3, dtype=bool))
    assert auc == pytest.approx(4 / 6) and max_error == 0 and low < auc < high
    # the same bins said to hold several values: the tied pairs could go either way
    *_, bound = histogram_auc(positives, negatives, np.array([False, False, True]))
    assert bound == pytest.approx(0.5 * 2 / 6)


def test_tables_from_counts_equal_tables_from_rows():
    y, groups, scores = scored_rows()
    rows = fairness_audit(y, np.zeros_like(y), groups, scores=scores, threshold=7, n_boot=200)
    counts = count_rows(y, np.zeros_like(y), groups, scores=scores, threshold=7)
    stored = CellCounts.from_tables(**counts.to_tables(), attributes=["race", "sex"],
                                    classes=counts.classes, positive="1", threshold=7)
    for name, table in fairness_audit_counts(stored, n_boot=200).tables.items():
        pd.testing.assert_frame_equal(table, rows.tables[name])


def test_threshold_moved_on_the_histograms_matches_the_rows():
    y, groups, scores = scored_rows()
    counts = count_rows(y, np.zeros_like(y), groups, scores=scores, threshold=7)
    for threshold in (3, 5.5, 9):
        moved, unsure = counts.at_threshold(1, threshold)
        assert unsure == 0  # deciles: every bin holds one value
        direct = count_rows(y, np.zeros_like(y), groups, scores=scores, threshold=threshold)
        np.testing.assert_array_equal(moved.binary, direct.binary)
    # continuous scores in a few wide bins: a threshold inside a bin is flagged as unsure
    y, groups, raw = scored_rows(deciles=False)
    coarse = count_rows(y, np.zeros_like(y), groups, scores=raw, score_bins=4)
    _, unsure = coarse.at_threshold(1, 0.6)
    assert unsure > 0


def test_cell_counts_table_is_the_confusion_matrix(hand_cells, make_rows):
    y_true, y_pred, groups = make_rows(hand_cells)
    cells = count_rows(y_true, y_pred, groups).to_tables()["cell_counts"]
    dark_thin = cells[(cells["tone"] == "dark") & (cells["stroke"] == "thin")]
    # (tp, fp, tn, fn) = (0, 2, 1, 0): label 0 predicted 1 twice, label 0 predicted 0 once
    assert dict(zip(zip(dark_thin["label"], dark_thin["prediction"]), dark_thin["n"])) == {
        ("0", "1"): 2, ("0", "0"): 1}
    assert cells["n"].sum() == len(y_true)


def test_every_group_too_small_gives_the_table_and_says_nothing_is_ranked():
    # issue 13: a 20-row file made the findings fail with KeyError: 'metric'
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 20)
    groups = pd.DataFrame({"g": rng.choice(["a", "b"], 20)})
    result = fairness_audit(y, np.where(rng.random(20) < 0.2, 1 - y, y), groups, n_boot=50)
    assert result.tables["by_group"]["small_group"].all()
    assert result.tables["disparity"].empty
    templates = [f.template for f in result.findings]
    assert NOTHING_RANKED in templates and NO_DISPARITY not in templates
    assert result.summary["worst_group"] is None
