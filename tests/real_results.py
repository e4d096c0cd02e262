"""Real audit results for the renderers' tests, made once per test session.

Reports and the dashboard are tested on what the audits really write, so a change of an audit's
tables breaks their tests, not a user's screen. Each result comes from the audit's own entry
point, on small inputs: synthetic predictions with a known bias for the fairness table, a
LeNet-5 trained for one epoch on shades-mnist and a tiny generalization protocol for the others
(about 15 s in all on two CPU cores), a few corruptions and attacks for the robustness audit.
`write_run` writes them as a pipeline run would.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd

from nnaudit.audits import table_schemas
from nnaudit.results import AuditResult
from nnaudit.store import RunWriter

CLASSES = ["no", "yes"]
# A subgroup name a hostile file could hold: renderers must show it as text.
SCRIPT_GROUP = "<script>alert(1)</script>"


def tiny_protocol():
    from nnaudit.generalization._protocol import Protocol

    return Protocol(name="tiny", n_train=60, epoch_budget=3, batch_size=20, lr_scale=3.0,
                    target_train_acc=0.99, noise_fractions=(0.0, 0.5, 1.0),
                    random_pixels=False, ablation_rows=("none", "weight decay"), n_seeds=2,
                    seed_train_size=60, seed_epochs=1, gradient_steps=5,
                    compare_activations=False, n_members=60, n_boot=50)


def biased_predictions(female_flip: float, seed: int = 0, n: int = 1500) -> dict:
    """Binary predictions with scores whose errors hit women (``female_flip``) more than men
    (8 %); the training data held 20 % women; a race group of about 15 rows is named
    `SCRIPT_GROUP` (too small to rank). `fairness_audit` keyword arguments."""
    rng = np.random.default_rng(seed)
    groups = pd.DataFrame({"sex": rng.choice(["female", "male"], n, p=[0.4, 0.6]),
                           "race": rng.choice(["a", "b", SCRIPT_GROUP], n,
                                              p=[0.84, 0.15, 0.01])})
    y_true = rng.integers(0, 2, n)
    flip = rng.random(n) < np.where(groups["sex"] == "female", female_flip, 0.08)
    y_pred = np.where(flip, 1 - y_true, y_true)
    score = np.clip(np.where(y_pred == 1, 0.55, 0.05) + rng.uniform(0, 0.4, n), 0, 1)
    training = pd.DataFrame({"sex": rng.choice(["female", "male"], 4000, p=[0.2, 0.8]),
                             "race": rng.choice(["a", "b"], 4000, p=[0.9, 0.1])})
    return dict(y_true=y_true, y_pred=y_pred, groups=groups,
                scores=np.stack([1 - score, score], axis=1), classes=CLASSES,
                training_groups=training)


@functools.cache
def fairness_result(female_flip: float = 0.25) -> AuditResult:
    from nnaudit.fairness import fairness_audit

    return fairness_audit(**biased_predictions(female_flip), n_boot=200, seed=0)


def predictions_frame(female_flip: float = 0.25, data: dict | None = None) -> pd.DataFrame:
    """The predictions file of ``data`` (default `biased_predictions`), as a run stores it."""
    from nnaudit.pipeline import predictions_frame as frame

    data = data or biased_predictions(female_flip)
    return frame(data["y_true"], data["y_pred"], data["scores"], CLASSES, data["groups"])


def cell_counts(female_flip: float = 0.25, data: dict | None = None):
    """The same predictions counted per intersection cell, as a run stores them."""
    from nnaudit.fairness import count_rows

    data = dict(data or biased_predictions(female_flip))
    data.pop("training_groups")
    return count_rows(**data)


def energy_result(training_kwh: float = 0.04) -> AuditResult:
    """The real energy audit of a meter holding three known phases (no CodeCarbon run)."""
    from nnaudit.energy import EnergyMeter, PhaseRecord, energy_result as result

    def record(phase, kwh, items=None):
        return PhaseRecord(phase=phase, status="ok", reason="", duration_s=10.0, items=items,
                           cpu_kwh=kwh, gpu_kwh=None, ram_kwh=kwh / 10,
                           kg_co2eq=kwh * 1.1 * 0.056, intensity_g_per_kwh=56.0,
                           cpu_label="estimated", gpu_label="absent", ram_label="estimated",
                           cpu_method="CPU load x TDP", ram_method="power model",
                           cpu_model="cpu")

    meter = EnergyMeter(country="FRA", enabled=False)
    meter.phases = [record("training", training_kwh), record("inference", 0.0002, items=2000),
                    record("audit:fairness", 0.0004)]
    return result(meter, predictions_per_day=10_000)


@functools.cache
def shades():
    from nnaudit.data import load_dataset

    return load_dataset("shades-mnist", seed=0)


@functools.cache
def trained_lenet():
    """LeNet-5 trained two epochs on 1,000 shades-mnist digits: better than chance, not good."""
    import torch

    from nnaudit.config import TrainConfig
    from nnaudit.data import Split
    from nnaudit.models import get_model
    from nnaudit.train import train_model

    torch.manual_seed(0)
    dataset = shades()
    train = dataset.train
    subset = Split(train.x[:1000], train.y[:1000], train.groups.iloc[:1000])
    model = get_model("lenet5", dataset.input_shape, dataset.num_classes)
    return train_model(model, subset, None, TrainConfig(epochs=2), "cpu").model.eval()


@functools.cache
def generalization_results() -> dict[str, AuditResult]:
    """memorization, membership, seed_stability and gradient_health, by name."""
    from nnaudit.config import TrainConfig
    from nnaudit.generalization import (gradient_health_audit, membership_audit,
                                        memorization_audit, seed_stability_audit)
    from nnaudit.models import factory

    dataset, protocol = shades(), tiny_protocol()
    make = factory("lenet5", dataset.input_shape, dataset.num_classes)
    config = TrainConfig()
    memorization = memorization_audit(dataset, make, config, "cpu", protocol=protocol)
    return {
        "memorization": memorization,
        "membership": membership_audit(trained_lenet(), dataset, "cpu", protocol=protocol,
                                       memorization=memorization),
        "seed_stability": seed_stability_audit(dataset, make, config, "cpu", protocol=protocol),
        "gradient_health": gradient_health_audit(dataset, make, config, "cpu",
                                                 protocol=protocol),
    }


@functools.cache
def saliency_result() -> AuditResult:
    from nnaudit.saliency import saliency_audit

    memorization = generalization_results()["memorization"]
    return saliency_audit(trained_lenet(), shades(), "cpu", n_examples=4,
                          methods=["saliency", "grad_cam"],
                          random_label_model=memorization.models["random_labels"])


@functools.cache
def robustness_result() -> AuditResult:
    """Two corruptions and two attacks on 120 test digits (about 2 s)."""
    from nnaudit.robustness import robustness_audit

    dataset = shades()
    return robustness_audit(trained_lenet(), dataset.test, dataset.classes, "cpu",
                            corruptions=["gaussian_noise", "contrast"], severities=[0, 1, 3],
                            attacks=["fgsm", "pgd"], radii=[0.03, 0.1], n_examples=120, seed=0)


def every_result(female_flip: float = 0.25, training_kwh: float = 0.04) -> list[AuditResult]:
    return [fairness_result(female_flip), *generalization_results().values(), saliency_result(),
            robustness_result(), energy_result(training_kwh)]


def write_run(root: Path, name: str, results: list[AuditResult], *, kind: str = "trained",
              test_accuracy: float = 0.85, skipped: dict[str, str] | None = None,
              model_card: dict | None = None, female_flip: float = 0.25,
              predictions: dict | None = None, manifest: dict | None = None) -> Path:
    """A complete run directory holding ``results``, as the pipeline writes one; its
    predictions: ``predictions`` (`fairness_audit` arguments), by default
    `biased_predictions` (``female_flip``); ``manifest``: more keys of its manifest."""
    from nnaudit.config import RunConfig
    from nnaudit.pipeline import write_counts

    config = RunConfig(name=name).to_dict()
    writer = RunWriter(Path(root) / name)
    writer.path.mkdir(parents=True)
    writer.write_config(config)
    writer.write_table("predictions.parquet", predictions_frame(female_flip, predictions))
    write_counts(writer, cell_counts(female_flip, predictions))
    if kind == "trained":
        writer.write_table("history.parquet", pd.DataFrame({
            "epoch": [1, 2, 3], "train_loss": [0.6, 0.45, 0.4], "train_acc": [0.8, 0.86, 0.9],
            "val_loss": [0.5, 0.44, 0.42], "val_acc": [0.83, 0.85, 0.85], "lr": [1e-3] * 3,
            "seconds": [10.5, 10.0, 9.5]}))
    for result in results:
        writer.write_audit(result, table_schemas(result.name))
    for audit, reason in (skipped or {}).items():
        writer.record_skipped(audit, reason)
    card = shades().card if kind != "blackbox" else {"name": "predictions", "attributes": {
        "sex": "column 'sex' of predictions.csv", "race": "column 'race' of predictions.csv"}}
    writer.finish({
        "kind": kind, "created_at": "2026-11-23T09:00:00+00:00", "config": config, "seed": 0,
        "device": "cpu", "dataset": {"name": card["name"], "card": card},
        "model": {"name": "lenet5", "options": {}, "parameters": 61706} if kind != "blackbox"
        else {"name": "black box", "options": {}, "parameters": None},
        "metrics": {"test_accuracy": test_accuracy, "test_loss": 0.41, "train_accuracy": 0.9},
        "model_card": model_card or {}, "timings": {"training": 30.0}, **(manifest or {})})
    return writer.path


@functools.cache
def threshold_mitigation() -> tuple[AuditResult, AuditResult, dict]:
    """The real ``mitigation`` audit of `fairness_result`'s predictions remedied by thresholds
    per sex (fairlearn, equalized odds) fitted on another draw of the same biased model, the
    fairness audit of the remedied decisions and those decisions (`fairness_audit` arguments,
    no scores: the thresholds flip coins), as ``nnaudit mitigate --method threshold`` makes them
    (about 2 s)."""
    from nnaudit.fairness import fairness_audit
    from nnaudit.mitigation import (CONSTRAINTS, DecisionSpace, Evaluation, Remedy,
                                    fit_thresholds, mitigation_result)

    fit, test = biased_predictions(0.25, seed=1), biased_predictions(0.25)
    thresholds = fit_thresholds(fit["scores"][:, 1], fit["y_true"] == 1,
                                fit["groups"]["sex"].to_numpy(), constraint="equalized_odds")
    space = DecisionSpace.of(CLASSES, "yes", 0.5)
    decisions = space.from_positive(thresholds.decide(test["scores"][:, 1],
                                                      test["groups"]["sex"].to_numpy(), seed=0))
    remedy = Remedy("threshold", "threshold (equalized_odds)", decisions,
                    CONSTRAINTS["equalized_odds"], "another draw of the model's predictions",
                    constraint="equalized_odds", thresholds=thresholds.table())
    mitigation = mitigation_result(Evaluation(test["y_true"], test["y_pred"], test["groups"],
                                              space, ["sex"], "the test split", n_boot=200),
                                   [remedy])
    remedied = {**test, "y_pred": decisions, "scores": None}
    return mitigation, fairness_audit(**remedied, n_boot=200, seed=0), remedied


def mitigated_run(root: Path, name: str, base: Path) -> Path:
    """``base`` remedied by thresholds per sex, written as ``nnaudit mitigate`` writes it: its
    manifest names the base run (``mitigates``) and the method, and it holds the fairness audit
    of the remedied decisions and the ``mitigation`` audit (`threshold_mitigation`)."""
    mitigation, after, remedied = threshold_mitigation()
    return write_run(root, name, [after, energy_result(0.05), mitigation], kind="mitigated",
                     test_accuracy=float(mitigation.tables["methods"]["accuracy_after"][0]),
                     predictions=remedied,
                     manifest={"mitigates": Path(base).name, "mitigation": {
                         "method": "threshold", "constraint": "equalized_odds",
                         "attributes": ["sex"]}})
