"""`nnaudit.mitigate` end to end: mitigated runs linked to their base, audited, compared."""

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (MetricFrame, false_positive_rate, selection_rate,
                               true_positive_rate)

import nnaudit
from nnaudit.mitigation._blackbox import split_halves
from nnaudit.store import Run

METRICS = {"selection_rate": selection_rate, "tpr": true_positive_rate,
           "fpr": false_positive_rate, "error_rate": lambda t, p: float(np.mean(t != p))}


@pytest.fixture(scope="module")
def threshold_run(trained_base, tmp_path_factory) -> Run:
    return nnaudit.mitigate(trained_base, method="threshold",
                            out=tmp_path_factory.mktemp("threshold"))


@pytest.fixture(scope="module")
def all_runs(trained_base, tmp_path_factory) -> Run:
    return nnaudit.mitigate(trained_base, method="all", out=tmp_path_factory.mktemp("all"))


def test_a_mitigated_run_is_linked_to_its_base_run(threshold_run, trained_base):
    manifest = threshold_run.manifest
    assert threshold_run.status == "complete" and manifest["kind"] == "mitigated"
    assert manifest["mitigates"] == Run.open(trained_base).manifest["run_id"]
    assert manifest["mitigation"] == {
        "method": "threshold", "constraint": "equalized_odds", "attributes": ["group"],
        "fitted_on": "the validation split (600 rows)",
        "evaluated_on": "the test split (1200 rows)", "seed": 0}
    assert manifest["model"]["name"] == "perceptron + thresholds by group"
    assert threshold_run.audit_ran("mitigation") and threshold_run.audit_ran("fairness")


def test_equalized_odds_thresholds_close_the_held_out_fpr_and_tpr_gaps(threshold_run):
    changes = threshold_run.table("mitigation", "disparity_change")
    group = changes[changes["attribute"] == "group"].set_index("metric")
    for metric in ("fpr", "tpr"):
        assert group.loc[metric, "before"] > 0.1, group.loc[metric]
        assert group.loc[metric, "after"] < 0.05, group.loc[metric]
        assert group.loc[metric, "change_high"] < 0 and group.loc[metric, "targeted"]
    texts = [f.text for f in threshold_run.findings("mitigation")]
    assert any(t.startswith("threshold (equalized_odds) cut the false-positive rate gap across group from")
               for t in texts), texts
    assert any("fitted on the validation split (600 rows)" in t for t in texts)
    assert any("needs the person's group" in t for t in texts)


def test_the_mitigated_runs_numbers_agree_with_fairlearns_metric_frame(threshold_run,
                                                                       trained_base):
    by_group = threshold_run.table("mitigation", "by_group")
    by_group = by_group[by_group["attribute"] == "group"]
    changes = threshold_run.table("mitigation", "disparity_change")
    changes = changes[changes["attribute"] == "group"].set_index("metric")
    # after: the decisions the mitigated run stored; before: the base run's own predictions
    for stage, method, predictions in (
            ("after", "threshold (equalized_odds)", threshold_run.predictions()),
            ("before", "base", Run.open(trained_base).predictions())):
        frame = MetricFrame(metrics=METRICS, y_true=predictions["y_true"],
                            y_pred=predictions["y_pred"], sensitive_features=predictions["group"])
        mine = by_group[by_group["method"] == method].set_index("subgroup")
        for metric in METRICS:
            assert mine[metric].to_dict() == pytest.approx(frame.by_group[metric].to_dict())
            assert changes.loc[metric, stage] == pytest.approx(frame.difference()[metric])
    # the mitigated run's own fairness audit reads the same decisions
    fairness = threshold_run.table("fairness", "by_group").set_index("subgroup")
    after = by_group[by_group["method"] == "threshold (equalized_odds)"].set_index("subgroup")
    assert fairness.loc[["a", "b"], "fpr"].tolist() == pytest.approx(after["fpr"].tolist())


def test_threshold_runs_keep_decisions_and_the_rules_not_a_new_model(threshold_run):
    assert not (threshold_run.path / "model.pt").exists()
    predictions = threshold_run.predictions()
    assert not any(c.startswith("score_") for c in predictions.columns)
    rules = threshold_run.table("mitigation", "thresholds")
    assert sorted(rules["subgroup"]) == ["a", "b"] and list(rules["group"]) == list(
        rules["subgroup"])
    assert threshold_run.manifest["metrics"]["test_accuracy"] == pytest.approx(
        float(np.mean(predictions["y_true"] == predictions["y_pred"])))


def test_all_writes_a_run_per_remedy_and_one_comparison(all_runs, trained_base):
    base_id = Run.open(trained_base).manifest["run_id"]
    assert all_runs.manifest["mitigation"]["method"] == "all"
    names = all_runs.manifest["mitigation"]["runs"]
    runs = [Run.open(all_runs.path.parent / name) for name in names]
    assert [r.manifest["mitigation"]["method"] for r in runs] == ["threshold", "resample",
                                                                  "reweight"]
    assert all(r.status == "complete" and r.manifest["mitigates"] == base_id for r in runs)
    methods = all_runs.table("mitigation", "methods")
    assert list(methods["method"]) == ["threshold (equalized_odds)", "resample", "reweight"]
    assert list(methods["gap_metric"]) == ["fpr", "error_rate", "error_rate"]
    # one comparison: the base rows once, then each remedy's rows
    by_group = all_runs.table("mitigation", "by_group")
    assert list(dict.fromkeys(by_group["method"])) == ["base", *methods["method"]]
    assert all_runs.manifest["metrics"] == {}


def test_retrained_runs_are_trained_runs_with_the_remedy(all_runs):
    for name in all_runs.manifest["mitigation"]["runs"][1:]:
        run = Run.open(all_runs.path.parent / name)
        assert (run.path / "model.pt").exists() and len(run.history()) == 3
        assert "score_yes" in run.predictions().columns
        assert run.manifest["metrics"]["epochs"] == 3
        methods = run.table("mitigation", "methods")
        assert methods["fitted_on"].iloc[0].startswith("the training split (4200 rows), ")
        assert np.isnan(methods["extra_kwh"].iloc[0])  # energy is off in these runs
        assert any("its energy was not measured" in f.text for f in run.findings("mitigation"))


def test_blackbox_thresholds_are_fitted_and_judged_on_disjoint_halves(blackbox_base,
                                                                      scored_file, tmp_path):
    run = nnaudit.mitigate(blackbox_base, method="threshold", predictions=scored_file,
                           out=tmp_path)
    assert run.status == "complete" and run.manifest["kind"] == "mitigated"
    assert not (run.path / "predictions.parquet").exists()  # a user's rows are never copied
    size = run.manifest["dataset"]["card"]["size"]
    # half of each (group, label) stratum; an odd stratum's extra row goes to fitting
    assert size["fit"] + size["test"] == 4000 and 0 <= size["fit"] - size["test"] <= 4
    assert run.cell_counts()["n"].sum() == size["test"]
    assert any(f.text.startswith(f"The thresholds were fitted on {size['fit']} rows of "
                                 f"{scored_file} and evaluated on the other {size['test']}")
               for f in run.findings("mitigation"))
    changes = run.table("mitigation", "disparity_change").set_index("metric")
    for metric in ("fpr", "tpr"):
        assert changes.loc[metric, "after"] < 0.05 < changes.loc[metric, "before"]


def test_the_split_halves_every_group_and_label():
    cells = np.array(["a"] * 7 + ["b"] * 10)
    y = np.array([0, 1, 0, 1, 0, 1, 0] + [1] * 10)
    fit = split_halves(cells, y, seed=0)
    strata = pd.DataFrame({"cell": cells, "y": y, "fit": fit}).groupby(["cell", "y"])["fit"]
    assert strata.sum().to_dict() == {("a", 0): 2, ("a", 1): 2, ("b", 1): 5}
    assert np.array_equal(fit, split_halves(cells, y, seed=0))
    assert not np.array_equal(fit, split_halves(cells, y, seed=1))


def test_the_discussion_asks_about_the_measured_trade_off(threshold_run):
    from nnaudit.reports.discussion import discussion_questions
    from nnaudit.reports.formatting import Formatter

    questions = discussion_questions(threshold_run, Formatter("en"))
    methods = threshold_run.table("mitigation", "methods").iloc[0]
    expected = (f"threshold (equalized_odds) moved the fpr gap across group from "
                f"{100 * methods['gap_before']:.1f}% to {100 * methods['gap_after']:.1f}%, and "
                f"accuracy from {100 * methods['accuracy_before']:.1f}% to "
                f"{100 * methods['accuracy_after']:.1f}%. Is this trade-off acceptable")
    assert any(q.startswith(expected) for q in questions), (expected, questions)
    french = discussion_questions(threshold_run, Formatter("fr"))
    assert any("compromis" in q for q in french), french


def test_a_base_run_that_auto_placed_on_the_cpu_is_retrained_on_the_cpu():
    from nnaudit.mitigation._mitigate import remedy_device

    assert remedy_device(None, "auto", "cpu (x86_64)") == "cpu"
    assert remedy_device(None, "auto", "NVIDIA H100 80GB HBM3") == "auto"
    assert remedy_device(None, "cuda", "NVIDIA H100 80GB HBM3") == "cuda"
    assert remedy_device("cuda", "auto", "cpu (x86_64)") == "cuda"     # asked for: obeyed
