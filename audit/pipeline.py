"""dataset -> training -> audits -> run directory: the one place that strings the modules together.

Each stage is wrapped in an energy phase, each audit's result goes straight to the store, and the
manifest is written last. Ctrl-C leaves a run without a manifest (incomplete, resumable with
``--resume``); an internal error writes a manifest with status ``failed`` and the error; a
failing audit is recorded as failed in the manifest while the others still land.
"""

from __future__ import annotations

import time
import traceback
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd

from nnaudit.config import AUDITS
from nnaudit.errors import UserInputError
from nnaudit.results import AuditResult
from nnaudit.store import Run, RunWriter

StageCallback = Callable[[str], None]
EpochCallback = Callable[[dict], None]


def run_pipeline(config: dict[str, Any], *, resume_dir: Path | None = None,
                 on_stage: StageCallback | None = None,
                 on_epoch: EpochCallback | None = None) -> Path:
    """Train the configured model, run the configured audits, and return the run directory."""
    from nnaudit.data import load_dataset
    from nnaudit.train import TrainConfig, predict_proba, resolve_device, seed_everything, train_model
    from nnaudit.models import get_model

    stage = on_stage or (lambda _name: None)
    seed = config["seed"]
    seed_everything(seed)
    device = resolve_device(config["device"])

    # Everything that can reject the user's input happens before the run directory exists.
    stage("data")
    dataset = load_dataset(config["data"]["name"], seed=seed,
                           data_dir=Path(config["data"]["data_dir"]) if config["data"]["data_dir"] else None,
                           **config["data"]["options"])
    model = get_model(config["model"]["name"], dataset.input_shape, dataset.num_classes,
                      **config["model"]["options"])
    train_config = TrainConfig(**{**_train_options(config), "seed": seed})
    meter = _energy_meter(config)
    writer = _open_writer(config, resume_dir, default_slug=f"{config['model']['name']}-{dataset.name}")

    created_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    timings: dict[str, float] = {}
    manifest: dict[str, Any] = {
        "kind": "trained", "created_at": created_at, "config": config, "seed": seed,
        "device": _device_name(device),
        "dataset": {"name": dataset.name, "card": dataset.card},
        "model": {"name": config["model"]["name"], "options": config["model"]["options"],
                  "parameters": sum(p.numel() for p in model.parameters())},
        "model_card": _model_card(config), "timings": timings,
    }
    try:
        stage("training")
        with _timed(timings, "training"), meter.phase("training"):
            trained = train_model(model, dataset.train, dataset.val, train_config, device,
                                  checkpoint_path=writer.path / "checkpoint.pt",
                                  resume=resume_dir is not None, on_epoch=on_epoch)
        writer.write_model(trained.model)
        writer.write_table("history.parquet", trained.history)

        stage("inference")
        with _timed(timings, "inference"), meter.phase("inference", items=len(dataset.test.y)):
            probs = predict_proba(trained.model, dataset.test, device).numpy()
        y_true = dataset.test.y.numpy()
        y_pred = probs.argmax(axis=1)
        writer.write_table("predictions.parquet",
                           predictions_frame(y_true, y_pred, probs, dataset.classes, dataset.test.groups))
        if "fairness" in config["audits"]["run"]:
            from nnaudit.fairness import count_rows

            fair = config["fairness"]
            write_counts(writer, count_rows(
                y_true, y_pred, dataset.test.groups, scores=probs, classes=dataset.classes,
                positive=_fairness_positive(config, dataset), threshold=fair["threshold"]))
        manifest["metrics"] = _metrics(y_true, y_pred, probs, trained)

        done: dict[str, AuditResult] = {}
        # In AUDITS order whatever the configured order: saliency reuses generalization's models.
        for name in [a for a in AUDITS if a in config["audits"]["run"]]:
            stage(f"audit:{name}")
            with _timed(timings, f"audit:{name}"), meter.phase(f"audit:{name}"):
                result = _run_audit(writer, name, lambda: AUDIT_RUNNERS[name](
                    config, dataset, trained.model, device, train_config, y_true, y_pred, probs,
                    done))
            if result is not None:
                done[name] = result
        if config["energy"]["enabled"]:
            writer.write_audit(meter.result(predictions_per_day=config["energy"]["predictions_per_day"]))
        (writer.path / "checkpoint.pt").unlink(missing_ok=True)
        writer.finish(manifest)
    except (KeyboardInterrupt, UserInputError):
        raise  # no manifest: the run stays incomplete and resumable
    except Exception as exc:
        writer.finish({**manifest, "error": f"{type(exc).__name__}: {exc}"}, status="failed")
        raise

    _write_reports(writer.path, config)
    return writer.path


def run_blackbox(predictions: Path | str, *, label: str, groups: list[str], pred: str | None = None,
                 score: str | None = None, threshold: float | None = None,
                 positive: str | None = None, config: dict[str, Any],
                 on_stage: StageCallback | None = None, engine: str = "auto",
                 spark: Any = None, spark_master: str | None = None,
                 memory_limit: str | None = None) -> Path:
    """Audit a model from its predictions alone (Gender Shades' situation).

    The predictions (a file, a glob or a folder) are counted where they are by ``engine`` (see
    `nnaudit.engines.count_predictions`); the run keeps their counts, never the rows.
    """
    from nnaudit.engines import count_predictions
    from nnaudit.fairness import fairness_audit_counts

    stage = on_stage or (lambda _name: None)
    stage("data")
    counted = count_predictions(predictions, label=label, pred=pred, score=score,
                                threshold=threshold, groups=groups, positive=positive,
                                engine=engine, spark=spark, spark_master=spark_master,
                                memory_limit=memory_limit)
    fair = config["fairness"]
    stage("audit:fairness")
    result = fairness_audit_counts(counted.counts, min_group_size=fair["min_group_size"],
                                   n_boot=fair["n_boot"], seed=config["seed"])
    writer = RunWriter.create(config["out"], config["name"] or f"blackbox-{counted.card['name']}",
                              config)
    write_counts(writer, counted.counts)
    writer.write_audit(result)
    for name in ("generalization", "saliency", "energy"):
        writer.record_skipped(name, "a predictions file has no model to audit")
    confusion = counted.counts.confusion
    writer.finish({
        "kind": "blackbox", "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config": config, "seed": config["seed"],
        "device": f"none (predictions counted by {counted.engine})",
        "dataset": {"name": counted.card["name"], "card": counted.card},
        "model": {"name": "black box", "options": {}, "parameters": None},
        "model_card": _model_card(config),
        "metrics": {"test_accuracy": float(np.trace(confusion, axis1=1, axis2=2).sum() / confusion.sum())},
    })
    _write_reports(writer.path, config)
    return writer.path


def write_counts(writer: RunWriter, counts) -> None:
    """The fairness audit's input as stored counts (cell_counts, score_histograms .parquet)."""
    for name, table in counts.to_tables().items():
        writer.write_table(f"{name}.parquet", table)


def predictions_frame(y_true: np.ndarray, y_pred: np.ndarray, probs: np.ndarray | None,
                      classes: list[str], groups: pd.DataFrame) -> pd.DataFrame:
    """The test split's predictions with the sensitive attributes that travel with them."""
    names = np.asarray(classes, dtype=object)
    frame = pd.DataFrame({"y_true": y_true, "y_pred": y_pred,
                          "label": names[y_true], "prediction": names[y_pred]})
    if probs is not None:
        for k, name in enumerate(classes):
            frame[f"score_{name}"] = probs[:, k].astype(np.float32)
    return pd.concat([frame, groups.reset_index(drop=True)], axis=1)


# --- the audits, as the pipeline calls them ---------------------------------------------------

def _fairness(config, dataset, model, device, train_config, y_true, y_pred, probs, done):
    from nnaudit.fairness import fairness_audit

    fair = config["fairness"]
    return fairness_audit(y_true, y_pred, dataset.test.groups, scores=probs, classes=dataset.classes,
                          positive=_fairness_positive(config, dataset), threshold=fair["threshold"],
                          min_group_size=fair["min_group_size"], n_boot=fair["n_boot"],
                          seed=config["seed"], training_groups=dataset.train.groups)


def _fairness_positive(config, dataset) -> str | None:
    return config["fairness"]["positive"] or dataset.positive_class or None


def _generalization(config, dataset, model, device, train_config, y_true, y_pred, probs,
                    done):
    from nnaudit.generalization import generalization_audit

    return generalization_audit(dataset, config["model"]["name"], config["model"]["options"],
                                train_config, device, protocol=config["audits"]["protocol"],
                                seed=config["seed"])


def _saliency(config, dataset, model, device, train_config, y_true, y_pred, probs, done):
    from nnaudit.saliency import saliency_audit

    options = config["saliency"]
    random_label_model = (done["generalization"].models.get("random_labels")
                          if "generalization" in done else None)
    return saliency_audit(model, dataset, device, n_examples=options["n_examples"],
                          methods=options["methods"] or None, seed=config["seed"],
                          protocol=config["audits"]["protocol"],
                          random_label_model=random_label_model)


AUDIT_RUNNERS = {"fairness": _fairness, "generalization": _generalization, "saliency": _saliency}


def _run_audit(writer: RunWriter, name: str,
               compute: Callable[[], AuditResult]) -> AuditResult | None:
    """Run and write one audit; an internal failure is recorded in the manifest (and None
    returned), the others still run."""
    try:
        result = compute()
        writer.write_audit(result)
        return result
    except (KeyboardInterrupt, UserInputError):
        raise
    except Exception as exc:
        writer.audits[name] = {"status": "failed", "error": f"{type(exc).__name__}: {exc}",
                               "traceback": traceback.format_exc(limit=8)}
        return None


# --- helpers -----------------------------------------------------------------------------------

def _open_writer(config: dict[str, Any], resume_dir: Path | None, default_slug: str) -> RunWriter:
    if resume_dir is None:
        return RunWriter.create(Path(config["out"]), config["name"] or default_slug, config)
    run = Run.open(resume_dir)
    if run.status != "incomplete":
        raise UserInputError(f"{resume_dir} is {run.status}, not an interrupted run: nothing to resume.")
    if not (run.path / "checkpoint.pt").exists():
        raise UserInputError(f"{resume_dir} has no checkpoint.pt: it stopped before its first epoch.")
    return RunWriter(run.path)


def _train_options(config: dict[str, Any]) -> dict[str, Any]:
    options = dict(config["train"])
    options["patience"] = options["patience"] or None  # 0 in TOML means "no early stopping"
    return options


def _energy_meter(config: dict[str, Any]):
    from nnaudit.energy import EnergyMeter

    energy = config["energy"]
    return EnergyMeter(country=energy["country"], region=energy["region"] or None,
                       interval_s=energy["interval_s"], enabled=energy["enabled"])


def _metrics(y_true: np.ndarray, y_pred: np.ndarray, probs: np.ndarray,
             trained) -> dict[str, float]:
    picked = probs[np.arange(len(y_true)), y_true]
    last = trained.history.iloc[-1]
    return {
        "test_accuracy": float(np.mean(y_pred == y_true)),
        "test_loss": float(-np.mean(np.log(np.clip(picked, 1e-12, None)))),
        "train_accuracy": float(last["train_acc"]),
        "val_accuracy": float(last["val_acc"]) if pd.notna(last["val_acc"]) else None,
        "epochs": int(trained.epochs_run),
        "stopped_early": bool(trained.stopped_early),
        "train_images_per_second": float(trained.images_per_second),
    }


def _model_card(config: dict[str, Any]) -> dict[str, str | None]:
    """Fields only a person can fill in; empty ones stay None (shown as 'to be completed')."""
    return {key: (value or None) for key, value in config["model_card"].items()}


def _device_name(device) -> str:
    if device.type == "cuda":
        import torch

        return torch.cuda.get_device_name(device)
    import platform

    return f"cpu ({platform.processor() or platform.machine()})"


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = round(time.perf_counter() - start, 3)


def _write_reports(run_path: Path, config: dict[str, Any]) -> None:
    formats = [f for f in ("html", "pdf") if config["report"][f]]
    if formats:
        from nnaudit.reports import render_report

        render_report(run_path, formats=tuple(formats), lang=config["report"]["lang"])
