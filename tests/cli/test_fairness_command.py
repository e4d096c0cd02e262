"""`nnaudit fairness`: a black-box model audited from its predictions file alone."""

import json

import numpy as np
import pandas as pd

from nnaudit.store import list_runs

from tests.cli.test_cli import assert_user_error, nnaudit


def predictions_file(path, error_by_group, n=1200, seed=0):
    """Binary predictions whose error rate per (skin, sex) group is set by hand."""
    rng = np.random.default_rng(seed)
    skin = rng.choice(["lighter", "darker"], n)
    sex = rng.choice(["male", "female"], n)
    y = rng.integers(0, 2, n)
    error = np.array([error_by_group[(s, g)] for s, g in zip(skin, sex)])
    flip = rng.random(n) < error
    pd.DataFrame({"y": y, "yhat": np.where(flip, 1 - y, y), "skin": skin, "sex": sex}).to_csv(path, index=False)
    return path


def test_injected_bias_is_found_from_predictions_alone(tmp_path):
    csv = predictions_file(tmp_path / "preds.csv", {
        ("lighter", "male"): 0.01, ("lighter", "female"): 0.05,
        ("darker", "male"): 0.10, ("darker", "female"): 0.35})
    proc = nnaudit("fairness", "--predictions", str(csv), "--label", "y", "--pred", "yhat",
                   "--groups", "skin,sex", "--positive", "1", "--n-boot", "300",
                   "--out", str(tmp_path / "runs"), "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["kind"] == "blackbox" and summary["status"] == "complete"
    assert summary["headline"]["worst_group"] == "darker x female"
    [run] = list_runs(tmp_path / "runs")
    table = run.table("fairness", "by_group")
    worst = table[table["group"] == "darker x female"].iloc[0]
    assert 0.28 < worst["error_rate"] < 0.42
    assert run.audits["saliency"]["status"] == "skipped"
    assert (run.path / "report.html").exists()


def test_equal_error_rates_give_no_significant_gap(tmp_path):
    csv = predictions_file(tmp_path / "preds.csv", {
        key: 0.1 for key in [("lighter", "male"), ("lighter", "female"),
                             ("darker", "male"), ("darker", "female")]}, seed=1)
    proc = nnaudit("fairness", "--predictions", str(csv), "--label", "y", "--pred", "yhat",
                   "--groups", "skin,sex", "--n-boot", "300", "--out", str(tmp_path / "runs"),
                   "--json")
    assert proc.returncode == 0, proc.stderr
    [run] = list_runs(tmp_path / "runs")
    assert not run.table("fairness", "by_group")["significant"].fillna(False).any()


def test_bad_predictions_files_exit_2(tmp_path):
    csv = predictions_file(tmp_path / "preds.csv", {
        key: 0.1 for key in [("lighter", "male"), ("lighter", "female"),
                             ("darker", "male"), ("darker", "female")]})
    base = ["fairness", "--predictions", str(csv), "--label", "y", "--out", str(tmp_path / "r")]
    assert_user_error(nnaudit(*base, "--pred", "yhat", "--groups", "race"), "race")
    assert_user_error(nnaudit(*base, "--pred", "yhat", "--groups", "skin", "--positive", "7"), "7")
    assert_user_error(nnaudit(*base, "--score", "yhat", "--threshold", "3", "--groups", "skin"), "3")
    assert_user_error(nnaudit("fairness", "--predictions", str(tmp_path / "none.csv"), "--label",
                              "y", "--pred", "p", "--groups", "g"), "none.csv")
