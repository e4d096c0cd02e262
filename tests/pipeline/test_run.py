"""`nnaudit run` end to end: the default job, resume after Ctrl-C, and the injected bias."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from nnaudit.pipeline import RunInterrupted, run_pipeline
from nnaudit.store import Run, list_runs

from tests.conftest import small_config

pytestmark = pytest.mark.slow


def test_default_run_from_the_command_line(tmp_path):
    """The README's main job, exactly as a user types it (only the output folder differs)."""
    proc = subprocess.run([sys.executable, "-m", "nnaudit", "run", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    [run] = list_runs(tmp_path)
    assert run.status == "complete"
    assert "test accuracy" in proc.stdout and str(run.path) in proc.stdout
    for audit in ("fairness", "memorization", "membership", "seed_stability", "gradient_health",
                  "saliency", "energy"):
        assert run.audits[audit]["status"] == "complete", run.audits[audit]
    assert (run.path / "report.html").exists() and (run.path / "model.pt").exists()

    # LeNet-5 learns the light-tone digits: at least 95 % on them.
    preds = run.predictions()
    light = preds[preds["tone"] == "light"]
    assert (light["y_true"] == light["y_pred"]).mean() >= 0.95

    # The injected under-representation of dark-tone images is found, beyond the intervals.
    assert "dark" in run.audits["fairness"]["summary"]["worst_group"]
    table = run.table("fairness", "by_group")
    tone = table[table["attribute"] == "tone"].set_index("subgroup")
    assert tone.loc["dark", "error_rate_low"] > tone.loc["light", "error_rate_high"]

    # Zhang et al.'s result in the default budget: the same LeNet-5 fits random labels to the
    # target, later than true labels, and they teach it nothing about the test set.
    memorization = run.table("memorization", "random_labels").set_index("condition")
    assert memorization.reached_target.all(), memorization
    assert (memorization.epochs_to_target["random labels"]
            > memorization.epochs_to_target["true labels"])
    assert memorization.test_acc["random labels"] < 0.2

    # The energy total is printed next to the accuracy, in the unit that reads best (never
    # E-notation): "energy 1.35 Wh, 75.7 mg CO2eq".
    assert re.search(r"energy (< )?[0-9.,]+ (kWh|Wh|mWh), (< )?[0-9.,]+ (kg|g|mg) CO2eq",
                     proc.stdout)


def test_balanced_control_claims_no_tone_disparity(tmp_path):
    run = Run.open(run_pipeline(small_config(tmp_path, **{
        "data.options.skew": 0.5, "audits.run": ["fairness"], "energy.enabled": False,
        "train.epochs": 15})))
    table = run.table("fairness", "by_group")
    tone = table[table["attribute"] == "tone"]
    assert not tone["significant"].any(), tone


def test_resume_after_interrupt_matches_an_uninterrupted_run(tmp_path):
    config = small_config(tmp_path, **{"audits.run": [], "energy.enabled": False})

    def interrupt_after_two(stats):
        if stats["epoch"] == 2:
            raise KeyboardInterrupt

    with pytest.raises(RunInterrupted) as raised:
        run_pipeline(config, on_epoch=interrupt_after_two)
    [interrupted] = list_runs(tmp_path)
    assert raised.value.path == interrupted.path and raised.value.resumable
    assert interrupted.status == "incomplete" and (interrupted.path / "checkpoint.pt").exists()

    resumed = Run.open(run_pipeline(config, resume_dir=interrupted.path))
    fresh = Run.open(run_pipeline(small_config(tmp_path / "fresh", **{
        "audits.run": [], "energy.enabled": False})))
    assert resumed.status == "complete" and resumed.path == interrupted.path
    assert resumed.manifest["metrics"]["test_accuracy"] == fresh.manifest["metrics"]["test_accuracy"]
    np.testing.assert_allclose(resumed.history()["train_loss"], fresh.history()["train_loss"])


def test_same_seed_same_numbers_on_cpu(tmp_path):
    config = small_config(tmp_path, **{"audits.run": ["fairness"], "energy.enabled": False,
                                        "train.epochs": 2})
    a, b = (Run.open(run_pipeline(config)) for _ in range(2))
    assert a.manifest["metrics"] == {**b.manifest["metrics"],
                                     "train_images_per_second": a.manifest["metrics"]["train_images_per_second"]}
    assert a.table("fairness", "by_group").equals(b.table("fairness", "by_group"))


def test_tiny_run_is_a_complete_result(tiny_run):
    run = Run.open(tiny_run)
    assert run.status == "complete"
    manifest = json.loads((run.path / "manifest.json").read_text())
    assert manifest["dataset"]["card"]["simulated_attributes"] is True
    assert set(manifest["timings"]) >= {"training", "inference", "audit:fairness"}
    phases = run.table("energy", "phases")
    assert {"training", "inference", "audit:fairness"} <= set(phases["phase"])


def test_saliency_checks_maps_against_the_random_label_model(tiny_run):
    """The memorization audit's random-label model is saved and feeds Adebayo et al.'s
    data-randomization test in the saliency audit."""
    import torch

    from nnaudit.models import get_model

    run = Run.open(tiny_run)
    weights = torch.load(run.file(run.audits["memorization"]["models"]["random_labels"]),
                         weights_only=True)
    get_model("lenet5", (1, 28, 28), 10).load_state_dict(weights)
    assert run.audits["saliency"]["protocol"]["sanity"]["data_randomization"] is True
    random_labels = run.table("saliency", "random_labels")
    assert set(random_labels["method"]) == set(run.table("saliency", "sanity")["method"])
    assert "random_labels_spearman_abs" in run.table("saliency", "sanity").columns
