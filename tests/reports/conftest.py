"""Hand-made run directories for the report tests, written with the real `RunWriter`."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from nnaudit.results import AuditResult, Finding
from nnaudit.store import RunWriter

SCRIPT_GROUP = "<script>alert(1)</script>"

CARD = {
    "name": "adult",
    "source": "UCI Adult census extract",
    "citation": "Kohavi 1996",
    "license": "CC BY 4.0",
    "size": {"train": 30000, "val": 2000, "test": 10000},
    "attributes": {"sex": "recorded as male/female in the 1994 census",
                   "race": "census race category"},
    "simulated_attributes": False,
    "subgroup_counts": {"train": {"sex": {"female": 1000, "male": 9000}},
                        "test": {"sex": {"female": 330, "male": 3000}}},
    "limits": ["Binary sex only; no non-binary category."],
}


def _figure():
    fig, ax = plt.subplots(figsize=(4, 2.5))
    ax.plot([0, 1, 2], [0.9, 0.5, 0.2])
    return fig


def fairness_result(worst_error=0.21, best_error=0.05, small_n=12):
    by_group = pd.DataFrame({
        "group": ["female", "male", SCRIPT_GROUP],
        "n": [330, 3000, small_n],
        "error": [worst_error, best_error, np.nan],
        "error_low": [worst_error - 0.03, best_error - 0.01, np.nan],
        "error_high": [worst_error + 0.04, best_error + 0.01, np.nan],
        "small_group": [False, False, True],
    })
    # a wide table (10 columns) with long labels, to check the PDF keeps it on the page
    wide = pd.DataFrame({f"metric_with_a_long_name_{i}": np.linspace(0, 1, 4) + i
                         for i in range(9)})
    wide.insert(0, "intersection", ["female × 17-25 years old", "female × over 65 years old",
                                    "male × 17-25 years old", "male × over 65 years old"])
    return AuditResult(
        name="fairness",
        tables={"by_group": by_group, "intersections": wide},
        figures={"heatmap": _figure()},
        findings=[
            Finding("The error rate for {group} is {ratio} times that of {best_group}.",
                    {"group": "female", "ratio": worst_error / best_error, "best_group": "male"},
                    "alert"),
            Finding("{group} has only {n} test examples; its error rate is not estimated.",
                    {"group": SCRIPT_GROUP, "n": small_n}, "warning"),
        ],
        summary={"worst_group": "female", "worst_group_error": worst_error,
                 "best_group_error": best_error, "error_ratio": worst_error / best_error,
                 "significant_gaps": 1},
        protocol={"n_boot": 1000, "min_group_size": 30, "threshold": 0.5},
    )


def generalization_result():
    # 60 rows: long enough to span two PDF pages (header repeated), short enough to render fast
    curves = pd.DataFrame({"epoch": np.arange(1, 61),
                           "random_label_train_acc": np.linspace(0.1, 0.97, 60),
                           "true_label_train_acc": np.linspace(0.5, 0.999, 60)})
    return AuditResult(
        name="generalization",
        tables={"curves": curves},
        figures={"learning_curves": _figure()},
        findings=[Finding("With random labels the network reaches {train_pct} training accuracy "
                          "and {test_pct} test accuracy.",
                          {"train_pct": 0.97, "test_pct": 0.1}, "warning")],
        summary={"random_label_train_acc": 0.97, "random_label_test_acc": 0.1,
                 "true_label_test_acc": 0.85, "slowdown": 3.2, "mia_auc": 0.61},
        protocol={"protocol": "default", "epochs": 20},
    )


def saliency_result():
    table = pd.DataFrame({"method": ["Saliency", "IntegratedGradients", "GuidedBackprop"],
                          "rank_correlation": [0.12, 0.18, 0.93],
                          "passes_sanity": [True, True, False]})
    return AuditResult(
        name="saliency", tables={"sanity": table}, figures={"grid": _figure()},
        findings=[Finding("{method} fails the randomization sanity check.",
                          {"method": "GuidedBackprop"}, "alert")],
        summary={"methods_passing_sanity": ["Saliency", "IntegratedGradients"],
                 "methods_failing_sanity": ["GuidedBackprop"]},
        protocol={"n_examples": 32})


def energy_result():
    table = pd.DataFrame({"phase": ["training", "audits", "inference"],
                          "kwh": [0.0123, 0.0045, 0.00031], "kg_co2eq": [0.0007, 0.0003, 1e-5],
                          "seconds": [120.5, 30.0, 1.2]})
    return AuditResult(
        name="energy", tables={"phases": table},
        findings=[Finding("Training used {kwh} kWh.", {"kwh": 0.0123})],
        summary={"total_kwh": 0.01711, "total_kg_co2eq": 0.00101, "measured": False},
        protocol={"country": "FRA"})


def _manifest(kind="trained", test_accuracy=0.853, **extra):
    manifest = {
        "kind": kind, "created_at": "2026-11-23T09:00:00+00:00", "seed": 0, "device": "cpu",
        "config": {"seed": 0},
        "dataset": {"name": "adult", "card": CARD},
        "model": {"name": "mlp", "options": {"hidden": [64, 32]}, "parameters": 12345}
        if kind == "trained" else {},
        "metrics": {"test_accuracy": test_accuracy, "test_loss": 0.41, "train_accuracy": 0.9},
        "model_card": {"intended_use": "Teaching fairness auditing in a course.",
                       "out_of_scope": ["Any decision about real people."]},
    }
    manifest.update(extra)
    return manifest


def write_run(root, slug, results, manifest, skipped=()):
    writer = RunWriter.create(root, slug, {"seed": 0, "name": slug})
    for result in results:
        writer.write_audit(result)
    for name, reason in skipped:
        writer.record_skipped(name, reason)
    if manifest["kind"] == "trained":
        writer.write_table("history.parquet", pd.DataFrame({
            "epoch": [1, 2, 3], "train_loss": [0.6, 0.45, 0.4], "train_acc": [0.8, 0.86, 0.9],
            "val_loss": [0.5, 0.44, 0.42], "val_acc": [0.83, 0.85, 0.85], "lr": [1e-3] * 3,
            "seconds": [10.5, 10.0, 9.5]}))
    writer.finish(manifest)
    return writer.path


@pytest.fixture(scope="session")
def runs_root(tmp_path_factory):
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="session")
def full_run(runs_root):
    return write_run(runs_root, "full", [fairness_result(), generalization_result(),
                                         saliency_result(), energy_result()], _manifest())


@pytest.fixture(scope="session")
def balanced_run(runs_root):
    """The same model trained on balanced data: smaller disparity, for the comparison."""
    return write_run(runs_root, "balanced",
                     [fairness_result(worst_error=0.09, best_error=0.06), energy_result()],
                     _manifest(test_accuracy=0.861))


@pytest.fixture(scope="session")
def blackbox_run(runs_root):
    manifest = _manifest(kind="blackbox", test_accuracy=0.8)
    manifest.pop("model_card")  # nothing said about its use: "to be completed"
    return write_run(runs_root, "blackbox", [fairness_result()], manifest)


@pytest.fixture(scope="session")
def missing_audits_run(runs_root):
    return write_run(runs_root, "missing", [energy_result()], _manifest(),
                     skipped=[("saliency", "captum is not installed")])


@pytest.fixture
def incomplete_run(tmp_path):
    """An interrupted run: config written, audits written, no manifest."""
    writer = RunWriter.create(tmp_path, "interrupted", {"seed": 0})
    writer.write_audit(energy_result())
    return writer.path


@pytest.fixture(scope="session")
def real_fairness_run(runs_root):
    """A black-box run whose fairness result comes from the real `fairness_audit`: the women's
    predictions are flipped 25 % of the time against 8 % for the men."""
    from nnaudit.fairness import fairness_audit

    rng = np.random.default_rng(0)
    n = 1500
    groups = pd.DataFrame({"sex": rng.choice(["female", "male"], n, p=[0.4, 0.6])})
    y_true = rng.integers(0, 2, n)
    flip = rng.random(n) < np.where(groups["sex"] == "female", 0.25, 0.08)
    y_pred = np.where(flip, 1 - y_true, y_true)
    result = fairness_audit(y_true, y_pred, groups, classes=["no", "yes"], n_boot=100, seed=0)
    manifest = _manifest(kind="blackbox", test_accuracy=float((y_true == y_pred).mean()))
    return write_run(runs_root, "real-fairness", [result], manifest)
