"""Builds a folder of runs for the dashboard tests: two complete runs with hand-made audit tables, a failed
run, an interrupted run (no manifest) and a corrupt one (unreadable manifest)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from nnaudit.fairness import count_rows  # noqa: E402
from nnaudit.pipeline import write_counts  # noqa: E402
from nnaudit.results import AuditResult, Finding  # noqa: E402
from nnaudit.store import RunWriter  # noqa: E402

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
RUN_A = "20260102T100000Z-adult-mlp"
RUN_B = "20260103T100000Z-adult-mlp-balanced"
FAILED = "20260104T100000Z-failed"
INCOMPLETE = "20260105T100000Z-interrupted"
CORRUPT = "20260106T100000Z-corrupt"
CLASSES = ["no", "yes"]


def predictions(seed: int) -> pd.DataFrame:
    """200 test rows with a score for "yes", sex and race, and predictions at threshold 0.5."""
    rng = np.random.default_rng(seed)
    n = 200
    y = rng.integers(0, 2, n)
    score = np.clip(0.5 * y + rng.uniform(0, 0.6, n), 0, 1).round(3)
    pred = (score >= 0.5).astype(int)
    return pd.DataFrame({
        "y_true": y, "y_pred": pred,
        "label": [CLASSES[i] for i in y], "prediction": [CLASSES[i] for i in pred],
        "score_no": 1 - score, "score_yes": score,
        "sex": rng.choice(["female", "male"], n), "race": rng.choice(["a", "b"], n),
    })


def by_group(error_scale: float) -> pd.DataFrame:
    """A subgroup table in the fairness audit's shape: rates with 95 % intervals, small flag."""
    rows = [("sex", "female", 90, 0.20), ("sex", "male", 110, 0.10),
            ("race", "a", 180, 0.12), ("race", "b", 20, 0.30),
            ("sex x race", "female x a", 80, 0.18), ("sex x race", "female x b", 10, 0.40),
            ("sex x race", "male x a", 100, 0.09), ("sex x race", "male x b", 10, 0.20)]
    df = pd.DataFrame(rows, columns=["attribute", "group", "n", "error_rate"])
    df["error_rate"] *= error_scale
    df["error_rate_low"] = (df["error_rate"] - 0.05).clip(lower=0)
    df["error_rate_high"] = df["error_rate"] + 0.05
    df["tpr"] = 1 - df["error_rate"]
    df["tpr_low"] = df["tpr"] - 0.05
    df["tpr_high"] = (df["tpr"] + 0.05).clip(upper=1)
    df["share"] = df["n"] / 200
    df["small_group"] = df["n"] < 30
    return df


def fairness_result(error_scale: float) -> AuditResult:
    table = by_group(error_scale)
    ranked = table[~table["small_group"]]
    worst = ranked.loc[ranked["error_rate"].idxmax()]
    best = ranked.loc[ranked["error_rate"].idxmin()]
    return AuditResult(
        "fairness", tables={"by_group": table},
        findings=[Finding("{worst} has {ratio} times the error rate of {best}",
                          {"worst": worst["group"], "best": best["group"],
                           "ratio": float(worst["error_rate"] / best["error_rate"])}, "alert")],
        summary={"worst_group": worst["group"], "worst_group_error": float(worst["error_rate"]),
                 "best_group_error": float(best["error_rate"]),
                 "error_ratio": float(worst["error_rate"] / best["error_rate"]),
                 "significant_gaps": 1},
        protocol={"threshold": 0.5, "positive": "yes", "min_group_size": 30, "n_boot": 1000,
                  "attributes": ["sex", "race"], "classes": CLASSES})


def energy_result(training_kwh: float) -> AuditResult:
    """The energy audit's shape: phases (with a total row), the inference cost, equivalents.

    Inference: 0.0002 kWh for 2,000 predictions, so 0.0001 kWh per 1,000 predictions."""
    intensity = 0.05  # kg CO2eq per kWh
    phases = pd.DataFrame({
        "phase": ["training", "fairness", "inference"],
        "status": ["ok"] * 3, "label": ["estimated"] * 3,
        "duration_s": [120.0, 5.0, 2.0], "items": [None, None, 2000],
        "energy_kwh": [training_kwh, 0.0004, 0.0002],
        "cpu_kwh": [training_kwh / 2, 0.0002, 0.0001],
    })
    phases["kg_co2eq"] = phases["energy_kwh"] * intensity
    total = {"phase": "total", "status": "ok", "label": "estimated",
             "duration_s": phases["duration_s"].sum(), "items": None,
             "energy_kwh": phases["energy_kwh"].sum(), "cpu_kwh": phases["cpu_kwh"].sum(),
             "kg_co2eq": phases["kg_co2eq"].sum()}
    phases = pd.concat([phases, pd.DataFrame([total])], ignore_index=True)
    inference = pd.DataFrame([{
        "phase": "inference", "items": 2000, "energy_kwh": 0.0002, "kg_co2eq": 0.0002 * intensity,
        "kwh_per_1000": 0.0001, "kg_co2eq_per_1000": 0.0001 * intensity,
        "predictions_per_day": 10_000.0, "kwh_per_day": 0.001, "training_kwh": training_kwh,
        "days_to_match_training": training_kwh / 0.001}])
    equivalents = pd.DataFrame({"equivalent": ["car_km"], "value": [total["kg_co2eq"] / 0.17]})
    return AuditResult(
        "energy", tables={"phases": phases, "inference": inference, "equivalents": equivalents},
        findings=[Finding("The whole run used {kwh} kWh", {"kwh": float(total["energy_kwh"])},
                          "info")],
        summary={"total_kwh": float(total["energy_kwh"]),
                 "total_kg_co2eq": float(total["kg_co2eq"]), "measured": False,
                 "training_kwh": training_kwh, "inference_kwh_per_1000": 0.0001,
                 "days_to_match_training": training_kwh / 0.001},
        protocol={"predictions_per_day": 10_000, "country": "FRA"})


def generalization_result() -> AuditResult:
    curves = pd.DataFrame({"epoch": [1, 2, 3],
                           "true_train_acc": [0.7, 0.9, 0.97],
                           "random_train_acc": [0.1, 0.3, 0.6]})
    noise = pd.DataFrame({"fraction": [0.0, 0.5, 1.0], "train_acc": [0.99, 0.95, 0.9],
                          "test_acc": [0.97, 0.6, 0.1]})
    return AuditResult(
        "generalization", tables={"random_labels": curves, "label_noise": noise},
        findings=[Finding("The model fits random labels to {acc_pct} training accuracy",
                          {"acc_pct": 0.6}, "warning")],
        summary={"random_label_train_acc": 0.6, "random_label_test_acc": 0.5,
                 "true_label_test_acc": 0.97, "slowdown": 3.0, "mia_auc": 0.71},
        protocol={"protocol": "default"})


def saliency_result() -> AuditResult:
    sanity = pd.DataFrame({"method": ["saliency", "integrated_gradients", "saliency"],
                           "layer": ["fc2", "fc2", "fc1"],
                           "spearman": [0.21, 0.35, 0.1], "passes": [True, True, True]})
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.imshow(np.arange(16).reshape(4, 4))
    return AuditResult("saliency", tables={"sanity": sanity},
                       figures={"integrated_gradients_maps": fig},
                       summary={"methods_passing_sanity": 2, "methods_failing_sanity": 0})


def write_run(root: Path, name: str, accuracy: float, error_scale: float,
              training_kwh: float) -> Path:
    writer = RunWriter(root / name)
    (root / name).mkdir(parents=True)
    writer.write_config({"name": name, "seed": 0})
    preds = predictions(seed=len(name))
    writer.write_table("predictions.parquet", preds)
    write_counts(writer, count_rows(preds["y_true"], preds["y_pred"], preds[["sex", "race"]],
                                    scores=preds[["score_no", "score_yes"]].to_numpy(),
                                    classes=CLASSES, positive="yes", threshold=0.5))
    writer.write_table("history.parquet", pd.DataFrame({"epoch": [1, 2], "train_loss": [0.6, 0.4]}))
    for result in (fairness_result(error_scale), energy_result(training_kwh),
                   generalization_result(), saliency_result()):
        writer.write_audit(result)
    (root / name / "report.html").write_text("<html><body>report</body></html>")
    writer.finish({"kind": "trained", "created_at": name[:16], "config": {"name": name},
                   "seed": 0, "dataset": {"name": "adult", "card": {}},
                   "model": {"name": "mlp", "options": {}, "parameters": 1234},
                   "metrics": {"test_accuracy": accuracy, "test_loss": 0.3,
                               "train_accuracy": 0.95}})
    return root / name


def write_folder(root: Path) -> Path:
    """Two complete runs, a failed one, an interrupted one and a corrupt one under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    write_run(root, RUN_A, accuracy=0.8125, error_scale=1.0, training_kwh=0.04)
    write_run(root, RUN_B, accuracy=0.8450, error_scale=0.5, training_kwh=0.08)
    failed = RunWriter(root / FAILED)
    (root / FAILED).mkdir()
    failed.write_config({"name": FAILED})
    failed.finish({"error": "training diverged: loss is NaN"}, status="failed")
    (root / INCOMPLETE).mkdir()
    RunWriter(root / INCOMPLETE).write_config({"name": INCOMPLETE})
    (root / CORRUPT).mkdir()
    (root / CORRUPT / "manifest.json").write_text("{ not json")
    return root
