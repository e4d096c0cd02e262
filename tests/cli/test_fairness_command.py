"""`nnaudit fairness`: a black-box model audited from its predictions file alone."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd

from nnaudit.config import load_config
from nnaudit.pipeline import run_blackbox
from nnaudit.store import Run, list_runs

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
    worst = table[table["subgroup"] == "darker x female"].iloc[0]
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


def test_a_folder_of_files_is_audited_with_duckdb_and_the_rows_are_not_copied(tmp_path):
    # issue 13: a directory given as --predictions was "does not exist"
    logs = tmp_path / "logs"
    for day in range(3):
        (logs / f"day={day}").mkdir(parents=True)
        predictions_file(logs / f"day={day}" / "part.csv", {
            ("lighter", "male"): 0.02, ("lighter", "female"): 0.05,
            ("darker", "male"): 0.10, ("darker", "female"): 0.30}, n=500, seed=day)
    runs = tmp_path / "runs"
    proc = nnaudit("fairness", "--predictions", str(logs), "--label", "y", "--pred", "yhat",
                   "--groups", "skin,sex", "--n-boot", "200", "--out", str(runs), "--json")
    assert proc.returncode == 0, proc.stderr
    [run] = list_runs(runs)
    assert run.manifest["device"] == "none (predictions counted by duckdb)"
    assert run.manifest["dataset"]["card"]["files"] == 3
    assert run.predictions() is None and run.cell_counts()["n"].sum() == 1500
    config = load_config(None, {"out": str(tmp_path / "pandas"), "fairness.n_boot": 200,
                                "report.html": False})
    in_memory = Run.open(run_blackbox(str(logs / "*" / "*.csv"), label="y", pred="yhat",
                                      groups=["skin", "sex"], config=config, engine="pandas"))
    pd.testing.assert_frame_equal(in_memory.table("fairness", "by_group"),
                                  run.table("fairness", "by_group"))


def test_spark_without_java_exits_2_naming_the_package(tmp_path):
    csv = predictions_file(tmp_path / "preds.csv", {
        key: 0.1 for key in [("lighter", "male"), ("lighter", "female"),
                             ("darker", "male"), ("darker", "female")]})
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = str(tmp_path / "empty")  # no java (nor anything else) on PATH
    proc = subprocess.run([sys.executable, "-m", "nnaudit", "fairness", "--predictions", str(csv),
                           "--label", "y", "--pred", "yhat", "--groups", "skin",
                           "--engine", "spark", "--out", str(tmp_path / "runs")],
                          capture_output=True, text=True, timeout=300, env=env)
    assert_user_error(proc, "The Spark engine needs")
    assert not (tmp_path / "runs").exists()


def test_a_declared_criterion_gives_a_verdict_and_fail_on_sets_the_exit_code(cli, tmp_path):
    csv = predictions_file(tmp_path / "preds.csv", {
        ("lighter", "male"): 0.02, ("lighter", "female"): 0.02,
        ("darker", "male"): 0.02, ("darker", "female"): 0.30}, n=2000)
    common = ["fairness", "--predictions", csv, "--label", "y", "--pred", "yhat",
              "--groups", "skin,sex", "--positive", "1", "--n-boot", "100",
              "--out", tmp_path / "runs", "--criterion", "accuracy_parity",
              "--tolerance", "0.05", "--reference", "lighter"]
    failed = cli(*common, "--fail-on", "fail")
    assert failed.code == 3, failed.err
    assert "fail" in failed.err and "fairness verdict on accuracy parity: fail" in failed.out
    run = list_runs(tmp_path / "runs")[0]
    verdicts = run.table("fairness", "verdicts")
    darker = verdicts[(verdicts["attribute"] == "skin")].iloc[0]
    assert darker["subgroup"] == "darker" and darker["reference"] == "lighter"
    assert darker["verdict"] == "outside" and darker["difference_low"] > 0.05
    assert run.audits["fairness"]["summary"]["verdict"] == "fail"
    assert cli(*common).code == 0                       # without --fail-on: reported, exit 0
    bad = cli(*common, "--fail-on", "never")
    assert bad.code == 2 and "--fail-on must be fail or inconclusive" in bad.err
    runs = len(list_runs(tmp_path / "runs"))
    unknown = cli(*common[:-2], "--reference", "purple")
    assert unknown.code == 2 and "fairness.reference 'purple' is no group of skin, sex" in unknown.err
    assert len(list_runs(tmp_path / "runs")) == runs  # nothing half-written
