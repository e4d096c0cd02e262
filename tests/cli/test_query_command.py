"""`nnaudit query`: SQL over every run's tables in a folder."""

import io

import pandas as pd
import pytest

from nnaudit.config import load_config
from nnaudit.pipeline import run_blackbox
from nnaudit.query import query_runs

from tests.cli.test_cli import assert_user_error, nnaudit
from tests.cli.test_fairness_command import predictions_file


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three black-box runs whose dark-female error rate grows: 0.1, 0.2, 0.3."""
    tmp_path = tmp_path_factory.mktemp("sweep")
    config = load_config(None, {"out": str(tmp_path / "runs"), "fairness.n_boot": 100,
                                "report.html": False, "energy.enabled": False})
    for k, worst in enumerate((0.1, 0.2, 0.3)):
        csv = predictions_file(tmp_path / f"p{k}.csv", {
            ("lighter", "male"): 0.02, ("lighter", "female"): 0.02, ("darker", "male"): 0.02,
            ("darker", "female"): worst}, n=3000, seed=k)
        run_blackbox(csv, label="y", pred="yhat", groups=["skin", "sex"], config=config)
    return tmp_path / "runs"


def test_worst_group_error_of_every_run_of_a_sweep(runs):
    sql = ("SELECT run, max(error_rate) AS worst FROM fairness_by_group "
           "WHERE attribute = 'skin x sex' AND NOT small_group GROUP BY run ORDER BY worst")
    proc = nnaudit("query", sql, "--runs", str(runs), "--csv")
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(io.StringIO(proc.stdout))
    assert len(table) == 3 and table["run"].str.contains("blackbox-p").all()
    # each run's own table holds the same number: the view stacks them, it computes nothing
    for worst, expected in zip(table["worst"], (0.1, 0.2, 0.3)):
        assert abs(worst - expected) < 0.05
    headline = query_runs("SELECT fairness_worst_group, fairness_worst_group_error FROM runs "
                          "ORDER BY fairness_worst_group_error", runs)
    assert list(headline["fairness_worst_group"]) == ["darker x female"] * 3
    assert list(headline["fairness_worst_group_error"]) == list(table["worst"])
    counts = query_runs("SELECT run, sum(n) AS n FROM cell_counts GROUP BY run", runs)
    assert (counts["n"] == 3000).all()


def test_a_bad_query_names_the_views(runs, tmp_path):
    assert_user_error(nnaudit("query", "SELECT * FROM nope", "--runs", str(runs)),
                      "nope", "fairness_by_group", "runs")
    assert_user_error(nnaudit("query", "SELECT 1", "--runs", str(tmp_path / "absent")), "absent")
