"""Injected bias must be found; equal error rates must not be called a disparity."""

import numpy as np
import pandas as pd

from nnaudit.audits import table_schemas
from nnaudit.fairness import fairness_audit, subgroup_table
from nnaudit.fairness._findings import ERROR_RATIO, NO_DISPARITY, SMALL_GROUPS, TEMPLATES, TRAINING_SHARE


def test_injected_bias_is_found(make_biased):
    y_true, y_pred, groups = make_biased(3000, seed=0, worst_error=0.3)
    result = fairness_audit(y_true, y_pred, groups, n_boot=500, training_groups=groups.iloc[:1000])
    disparity = result.tables["disparity"]
    row = disparity[(disparity["attribute"] == "tone x stroke")
                    & (disparity["metric"] == "error_rate")].iloc[0]
    assert row["worst_group"] == "dark x thin" and row["significant"]
    assert row["ratio_low"] > 1.5 and row["difference_low"] > 0
    assert result.summary["worst_group"] == "dark x thin"
    assert 0.25 < result.summary["worst_group_error"] < 0.35
    assert result.summary["error_ratio"] > 2 and result.summary["significant_gaps"] > 0
    first = result.findings[0]
    assert first.template == ERROR_RATIO and first.severity == "alert"
    assert first.params["group"] == "dark x thin"
    assert NO_DISPARITY not in [f.template for f in result.findings]
    # dark tone holds ~30% of the data against 50% if balanced: not under half, so no finding
    assert TRAINING_SHARE not in [f.template for f in result.findings]
    assert set(result.figures) == {"rates", "error_heatmap"}


def test_equal_error_rates_give_no_disparity(make_biased):
    """Under the global null, BH keeps the chance of any false call near 5% per data set."""
    called = 0
    for seed in range(8):
        y_true, y_pred, groups = make_biased(2000, seed=seed, worst_error=0.08)
        tables = subgroup_table(y_true, y_pred, groups, n_boot=200, seed=seed)
        called += bool(tables["disparity"]["significant"].any())
    assert called <= 1
    y_true, y_pred, groups = make_biased(2000, seed=100, worst_error=0.08)
    result = fairness_audit(y_true, y_pred, groups, n_boot=200)
    templates = [f.template for f in result.findings]
    assert templates == [NO_DISPARITY]
    assert result.summary["significant_gaps"] == 0


def test_small_groups_are_flagged_not_ranked():
    rng = np.random.default_rng(0)
    n = 1000
    groups = pd.DataFrame({"site": np.where(np.arange(n) < 12, "tiny", rng.choice(["a", "b"], n))})
    y_true = rng.integers(0, 2, n)
    y_pred = np.where(groups["site"] == "tiny", 1 - y_true, y_true)   # tiny: always wrong
    y_pred = np.where((groups["site"] == "b") & (rng.random(n) < 0.2), 1 - y_true, y_pred)
    result = fairness_audit(y_true, y_pred, groups, min_group_size=30, n_boot=200)
    by_group = result.tables["by_group"].set_index("subgroup")
    assert by_group.loc["tiny", "small_group"] and by_group.loc["tiny", "error_rate"] == 1
    assert not by_group.loc["a", "small_group"]
    disparity = result.tables["disparity"]
    assert "tiny" not in set(disparity["worst_group"]) | set(disparity["best_group"])
    error = disparity[disparity["metric"] == "error_rate"].iloc[0]
    assert error["worst_group"] == "b" and error["best_group"] == "a"
    small = [f for f in result.findings if f.template == SMALL_GROUPS]
    assert len(small) == 1 and small[0].params["groups"] == "tiny"
    assert result.summary["worst_group"] == "b"


def test_under_represented_training_group():
    rng = np.random.default_rng(0)
    n = 600
    groups = pd.DataFrame({"tone": rng.choice(["light", "dark"], n)})
    y = rng.integers(0, 2, n)
    training = pd.DataFrame({"tone": ["light"] * 95 + ["dark"] * 5})
    result = fairness_audit(y, y, groups, n_boot=100, training_groups=training)
    shares = [f for f in result.findings if f.template == TRAINING_SHARE]
    assert len(shares) == 1
    assert shares[0].params["group"] == "dark" and shares[0].params["share_pct"] == 0.05


def test_templates_have_no_format_specs():
    for template in TEMPLATES:
        assert ":" not in "".join(part.split("}")[0] for part in template.split("{")[1:])


def test_result_survives_the_run_directory(tmp_path, make_biased):
    from nnaudit.store import Run, RunWriter

    y_true, y_pred, groups = make_biased(600, seed=1, worst_error=0.3)
    three = np.where(y_true == 1, 2, y_pred)          # a third class for the multi-class path
    writer = RunWriter(tmp_path / "run")
    writer.write_audit(fairness_audit(three, y_pred, groups, n_boot=50,
                                      training_groups=groups), table_schemas("fairness"))
    writer.finish({"kind": "blackbox", "config": {}})
    run = Run.open(tmp_path / "run")
    assert run.status == "complete", run.problem
    tables = run.tables("fairness")
    assert {"overall", "by_group", "disparity", "tests", "per_class"} <= set(tables)
    assert tables["by_group"]["error_rate"].notna().all()
