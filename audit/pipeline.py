"""dataset -> model -> audits -> run directory: the one place that strings the modules together.

Three entry points share one audit stage (`nnaudit.audits`: each audit runs when the inputs meet
its declared needs, and is recorded as skipped with the reason otherwise):

- `run_pipeline`: train a registered model on a dataset, then audit it (``nnaudit run``);
- `run_audit`: audit a model the user brings (``nnaudit audit``);
- `run_blackbox`: audit a predictions file alone (``nnaudit fairness``).

Each stage is wrapped in an energy phase, each audit's result goes straight to the store, and the
manifest is written last. Everything that can reject the user's input happens before the run
directory exists. Ctrl-C raises `RunInterrupted` and leaves a run without a manifest (resumable
when a checkpoint exists); any other error after the directory exists writes a manifest with
status ``failed`` and the error; a failing audit is recorded as failed while the others land.
"""

from __future__ import annotations

import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd

from nnaudit.audits import run_order, table_schemas
from nnaudit.config import OPTION_RANGES, RunConfig
from nnaudit.config import _check as check
from nnaudit.config import _finite as finite
from nnaudit.errors import UserInputError
from nnaudit.inputs import AuditInputs
from nnaudit.messages import N_
from nnaudit.store import Run, RunWriter

StageCallback = Callable[[str], None]
EpochCallback = Callable[[dict], None]
TasksCallback = Callable[[int, int], None]  # an audit's trainings: (done, in all)


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run: ``path`` is its directory (None before it existed); ``resumable``
    says whether ``nnaudit run --resume path`` can continue it."""

    def __init__(self, path: Path | None, resumable: bool):
        super().__init__(str(path))
        self.path, self.resumable = path, resumable


@dataclass
class ModelPredictions:
    """A model's class probabilities on the test split, and what the fairness audit needs."""

    y_true: np.ndarray
    probs: np.ndarray
    classes: list[str]
    groups: pd.DataFrame
    positive: str | None
    threshold: float
    training_groups: pd.DataFrame | None

    @property
    def y_pred(self) -> np.ndarray:
        return self.probs.argmax(axis=1)

    @property
    def attributes(self) -> list[str]:
        return [str(c) for c in self.groups.columns]

    @cached_property
    def counts(self):
        """Confusion counts and score histograms per intersection cell: the fairness audit's
        input (`nnaudit.fairness.CellCounts`)."""
        from nnaudit.fairness import count_rows

        return count_rows(self.y_true, self.y_pred, self.groups, scores=self.probs,
                          classes=self.classes, positive=self.positive,
                          threshold=self.threshold)

    def frame(self) -> pd.DataFrame:
        """``predictions.parquet``: labels, predictions, class scores and sensitive attributes."""
        return predictions_frame(self.y_true, self.y_pred, self.probs, self.classes, self.groups)

    def metrics(self) -> dict[str, float]:
        picked = self.probs[np.arange(len(self.y_true)), self.y_true]
        return {"test_accuracy": float(np.mean(self.y_pred == self.y_true)),
                "test_loss": float(-np.mean(np.log(np.clip(picked, 1e-12, None))))}


def run_pipeline(config: RunConfig, *, resume_dir: Path | None = None,
                 on_stage: StageCallback | None = None,
                 on_epoch: EpochCallback | None = None,
                 on_tasks: TasksCallback | None = None) -> Path:
    """Train the configured model, run the configured audits, and return the run directory."""
    from nnaudit.compute import check_reachable
    from nnaudit.models import factory as registered_factory
    from nnaudit.train import cpu_threads, seed_everything, train_model

    stage = on_stage or (lambda _name: None)
    check_reachable(config.compute)  # before any work: a cluster that is not there
    check_settings(config)  # before any data
    if resume_dir is not None:
        check_resumable(resume_dir, config)
    seed_everything(config.seed)
    device = run_device(config)
    stage("data")
    dataset = load_configured_dataset(config)
    make = registered_factory(config.model.name, dataset.input_shape, dataset.num_classes,
                              **config.model.options)
    model = make()
    meter = energy_meter(config)
    writer = _open_writer(config, resume_dir, f"{config.model.name}-{dataset.name}")
    manifest = new_manifest("trained", config, device, dataset.name, dataset.card, {
        "name": config.model.name, "options": config.model.options,
        "parameters": sum(p.numel() for p in model.parameters())})

    with recording(writer, manifest), cpu_threads(config.compute.cpu_threads, device):
        stage("training")
        with timed(manifest, "training"), meter.phase("training"):
            trained = train_model(model, dataset.train, dataset.val, config.train, device,
                                  checkpoint_path=writer.path / "checkpoint.pt",
                                  resume=resume_dir is not None, on_epoch=on_epoch)
        writer.write_model(trained.model)
        writer.write_table("history.parquet", trained.history)
        predictions = _predict(trained.model, dataset, config, device, writer, manifest, meter,
                               stage)
        manifest["metrics"].update(training_metrics(trained))
        inputs = AuditInputs(config, device, dataset, predictions, trained.model.eval(), make,
                             trained_on_train_split=True)
        run_audits(writer, inputs, meter, manifest, stage, on_tasks)
        (writer.path / "checkpoint.pt").unlink(missing_ok=True)
        writer.finish(manifest)
    write_reports(writer.path, config)
    return writer.path


def run_audit(config: RunConfig, model: Any, *, weights: Path | str | None = None,
              dataset=None, trained_on_dataset: bool = False, untrained: bool = False,
              trust_model_file: bool = False,
              on_stage: StageCallback | None = None,
              on_tasks: TasksCallback | None = None) -> Path:
    """Audit ``model`` (a SPEC, a module or a factory: `nnaudit.user_model.load_user_model`) on
    ``dataset`` (an `AuditDataset`; by default the configured one).

    ``trained_on_dataset``: the model was trained on this dataset's training split (enables the
    membership attack); implied for a run directory audited on its own dataset and seed.
    ``untrained``: audit a factory's fresh model without weights (refused otherwise: its
    "no disparity" would read as evidence of fairness).
    ``trust_model_file``: load an exported model file nnaudit cannot prove safe (its code runs).
    """
    from nnaudit.compute import check_reachable
    from nnaudit.train import cpu_threads, seed_everything
    from nnaudit.user_model import check_fits, load_user_model

    stage = on_stage or (lambda _name: None)
    check_reachable(config.compute)  # before any work: a cluster that is not there
    check_settings(config, model_options=False)  # before any data
    seed_everything(config.seed)
    device = run_device(config)
    stage("data")
    if dataset is None:
        dataset = load_configured_dataset(config)
    brought = load_user_model(model, input_shape=dataset.input_shape,
                              num_classes=dataset.num_classes, weights=weights,
                              options=config.model.options,
                              trust_model_file=trust_model_file)
    model = brought.model.to(device).eval()
    check_fits(model, _first_inputs(dataset.test, 2).to(device), dataset.num_classes,
               dataset.name)
    if brought.record["kind"] == "factory" and brought.record["weights"] is None and not untrained:
        raise UserInputError(
            f"{brought.record['name']} is a model factory given without --weights: its model "
            "is freshly initialized, so its audit would say nothing about a trained model. Give "
            "--weights, or --untrained to audit the untrained model on purpose.")
    own_data = (dataset.name == config.data.name and
                brought.trained_on == {"data": _data_record(config), "seed": config.seed})
    meter = energy_meter(config)
    writer = RunWriter.create(config.out, config.name or f"audit-{brought.record['name']}-"
                              f"{dataset.name}", config.to_dict())
    manifest = new_manifest("audited", config, device, dataset.name, dataset.card,
                            brought.record)
    with recording(writer, manifest), cpu_threads(config.compute.cpu_threads, device):
        predictions = _predict(model, dataset, config, device, writer, manifest, meter, stage)
        inputs = AuditInputs(config, device, dataset, predictions, model, brought.factory,
                             trained_on_train_split=trained_on_dataset or own_data,
                             reference_accuracy=None if own_data else brought.reference_accuracy)
        run_audits(writer, inputs, meter, manifest, stage, on_tasks)
        writer.finish(manifest)
    write_reports(writer.path, config)
    return writer.path


def run_blackbox(predictions: Path | str, *, label: str, groups: list[str],
                 pred: str | None = None, score: str | None = None,
                 threshold: float | None = None, positive: str | None = None,
                 config: RunConfig, on_stage: StageCallback | None = None,
                 engine: str = "auto", spark: Any = None, spark_master: str | None = None,
                 memory_limit: str | None = None) -> Path:
    """Audit a model from its predictions alone (Gender Shades' situation).

    The predictions (a file, a glob or a folder) are counted where they are by ``engine`` (see
    `nnaudit.engines.count_predictions`); the run keeps their counts, never the rows.
    """
    from nnaudit.engines import count_predictions

    stage = on_stage or (lambda _name: None)
    stage("data")
    counted = count_predictions(predictions, label=label, pred=pred, score=score,
                                threshold=threshold, groups=groups, positive=positive,
                                engine=engine, spark=spark, spark_master=spark_master,
                                memory_limit=memory_limit)
    inputs = AuditInputs(config, predictions=counted)
    have = inputs.available()
    # Computed before the run directory exists: bad data leaves nothing behind.
    results = {spec.name: spec.entry().run(inputs) for spec in run_order(config.audits.run)
               if spec.missing(have) is None}
    writer = RunWriter.create(config.out, config.name or f"blackbox-{counted.card['name']}",
                              config.to_dict())
    write_counts(writer, counted.counts)
    for spec in run_order(config.audits.run):
        if spec.name in results:
            writer.write_audit(results[spec.name], spec.entry().TABLES)
        else:
            writer.record_skipped(spec.name, spec.missing(have))
    writer.record_skipped("energy",
                          N_("a predictions file has no training or inference to measure"))
    confusion = counted.counts.confusion
    manifest = new_manifest("blackbox", config, f"none (predictions counted by {counted.engine})",
                            counted.card["name"], counted.card,
                            {"name": "black box", "options": {}, "parameters": None})
    manifest["metrics"]["test_accuracy"] = float(np.trace(confusion, axis1=1, axis2=2).sum()
                                                 / confusion.sum())
    writer.finish(manifest)
    write_reports(writer.path, config)
    return writer.path


def write_counts(writer: RunWriter, counts) -> None:
    """The fairness audit's input as stored counts (cell_counts, score_histograms .parquet):
    what the dashboard's threshold slider and ``nnaudit query`` read instead of rows."""
    for name, table in counts.to_tables().items():
        writer.write_table(f"{name}.parquet", table)


def write_predictions(writer: RunWriter, predictions) -> None:
    """A model's test predictions (`ModelPredictions`, or any object with ``frame()``,
    ``attributes`` and ``counts``): predictions.parquet, and the counts the fairness audit
    and the dashboard read."""
    writer.write_table("predictions.parquet", predictions.frame())
    if predictions.attributes:
        write_counts(writer, predictions.counts)


def training_metrics(trained) -> dict[str, Any]:
    """The manifest metrics of a `nnaudit.train.TrainResult`, beside the test metrics."""
    last = trained.history.iloc[-1]
    return {"train_accuracy": float(last["train_acc"]),
            "val_accuracy": float(last["val_acc"]) if pd.notna(last["val_acc"]) else None,
            "epochs": int(trained.epochs_run), "stopped_early": bool(trained.stopped_early),
            "train_images_per_second": float(trained.images_per_second)}


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


# --- the stages every entry point shares -------------------------------------------------------

def _predict(model, dataset, config: RunConfig, device, writer: RunWriter,
             manifest: dict[str, Any], meter, stage: StageCallback) -> ModelPredictions:
    """Test-split predictions, written as predictions.parquet and summed up in the metrics."""
    from nnaudit.train import predict_proba

    stage("inference")
    with timed(manifest, "inference"), meter.phase("inference", items=len(dataset.test)):
        probs = predict_proba(model, dataset.test, device).numpy()
    predictions = ModelPredictions(
        y_true=dataset.test.y.numpy(), probs=probs, classes=dataset.classes,
        groups=dataset.test.groups, positive=config.fairness.positive or dataset.positive_class
        or None, threshold=config.fairness.threshold, training_groups=dataset.train.groups)
    write_predictions(writer, predictions)
    manifest["metrics"] = predictions.metrics()
    return predictions


def run_audits(writer: RunWriter, inputs: AuditInputs, meter, manifest: dict[str, Any],
               stage: StageCallback, on_tasks: TasksCallback | None = None,
               not_applicable: dict[str, str] | None = None) -> None:
    """Every configured audit the inputs allow, in dependency order; then the energy audit.

    The audits that retrain hand their trainings to the ``[compute]`` backend; the energy a
    Ray task measured on another machine joins the meter's phases, so the total counts it.
    ``not_applicable``: audit name -> why it does not apply to this run (a mitigated run's
    audits that would only repeat the base run's), recorded as skipped.
    """
    from nnaudit.compute import compute_backend

    config = inputs.config
    # A run of predictions alone has no device: it trains nothing.
    inputs.compute = compute_backend(config.compute, inputs.device or "cpu",
                                     energy=config.energy, on_progress=on_tasks,
                                     on_energy=meter.phases.append)
    try:
        _run_each_audit(writer, inputs, meter, manifest, stage, not_applicable or {})
    finally:
        inputs.compute.close()
    if config.energy.enabled:
        from nnaudit.energy import energy_result

        writer.write_audit(energy_result(meter,
                                         predictions_per_day=config.energy.predictions_per_day),
                           table_schemas("energy"))


def _run_each_audit(writer: RunWriter, inputs: AuditInputs, meter, manifest: dict[str, Any],
                    stage: StageCallback, not_applicable: dict[str, str]) -> None:
    have = inputs.available()
    for spec in run_order(inputs.config.audits.run):
        reason = not_applicable.get(spec.name) or spec.missing(have)
        if reason is not None:
            writer.record_skipped(spec.name, reason)
            continue
        stage(f"audit:{spec.name}")
        with timed(manifest, f"audit:{spec.name}"), meter.phase(f"audit:{spec.name}"):
            try:
                result = spec.entry().run(inputs)
                writer.write_audit(result, spec.entry().TABLES)
            except UserInputError as exc:  # this model or data cannot take this audit: say why
                writer.record_skipped(spec.name, str(exc))
                continue
            except (KeyboardInterrupt, OSError):
                raise
            except Exception as exc:  # one audit's bug: recorded, the other audits still run
                writer.audits[spec.name] = {"status": "failed",
                                            "error": f"{type(exc).__name__}: {exc}",
                                            "traceback": traceback.format_exc(limit=8)}
                continue
        inputs.results[spec.name] = result


@contextmanager
def recording(writer: RunWriter, manifest: dict[str, Any], *,
              resumable: bool = True) -> Iterator[None]:
    """Ctrl-C leaves the run incomplete; any other error is written down as a failed run.

    A run that is never resumed (``resumable=False``: a mitigated run) is removed instead when
    it is interrupted, or when even its failure cannot be written (a full disk): a folder
    that can neither be continued nor read would only be left for the user to delete.
    """
    try:
        yield
    except KeyboardInterrupt:
        if not resumable:
            writer.discard()
            raise RunInterrupted(None, False) from None
        raise RunInterrupted(writer.path, (writer.path / "checkpoint.pt").exists()) from None
    except Exception as exc:
        message = str(exc) if isinstance(exc, UserInputError) else f"{type(exc).__name__}: {exc}"
        try:
            writer.finish({**manifest, "error": message}, status="failed")
        except OSError:  # a full or read-only disk: no manifest, so never listed as a result
            if not resumable:
                writer.discard()
        raise


def new_manifest(kind: str, config: RunConfig, device, dataset_name: str, card: dict[str, Any],
                 model: dict[str, Any]) -> dict[str, Any]:
    """A run's manifest before its results. ``device``: the torch device the run computes on,
    or a few words when it computes on none (a predictions file)."""
    return {"kind": kind, "created_at": _now(), "config": config.to_dict(), "seed": config.seed,
            "device": device if isinstance(device, str) else _device_name(device),
            "dataset": {"name": dataset_name, "card": card},
            "model": model, "model_card": _model_card(config), "metrics": {}, "timings": {}}


def load_configured_dataset(config: RunConfig):
    """The configured dataset, and the settings that name its classes checked against it."""
    from nnaudit.data import load_dataset

    dataset = load_dataset(config.data.name, seed=config.seed,
                           data_dir=Path(config.data.data_dir) if config.data.data_dir else None,
                           **config.data.options)
    positive = config.fairness.positive
    if positive and positive not in dataset.classes:
        raise UserInputError(f"fairness.positive {positive!r} is not a class of dataset "
                             f"{dataset.name!r} ({', '.join(dataset.classes[:20])}).")
    return dataset


def _first_inputs(split, n: int):
    """The first ``n`` inputs of a split, resident or streamed."""
    import torch

    if split.x is not None:
        return split.x[:n]
    return torch.stack([split.stream[i][0] for i in range(min(n, len(split)))])


def _data_record(config: RunConfig) -> dict[str, Any]:
    """The ``[data]`` section as a run's config.toml stores it (to compare with another run's)."""
    return config.to_dict()["data"]


def run_device(config: RunConfig):
    from nnaudit.train import resolve_device

    return resolve_device(config.device)


def _open_writer(config: RunConfig, resume_dir: Path | None, default_slug: str) -> RunWriter:
    if resume_dir is None:
        return RunWriter.create(Path(config.out), config.name or default_slug, config.to_dict())
    return RunWriter(check_resumable(resume_dir, config).path)


def check_resumable(resume_dir: Path, config: RunConfig) -> Run:
    """The interrupted run to continue with ``config``; refused, before any data is loaded,
    when it is not interrupted, has no checkpoint or was started with other settings."""
    run = Run.open(resume_dir)
    if run.status != "incomplete":
        raise UserInputError(f"{resume_dir} is {run.status}, not an interrupted run: nothing "
                             "to resume.")
    if not (run.path / "checkpoint.pt").exists():
        raise UserInputError(f"{resume_dir} has no checkpoint.pt: it stopped before its first "
                             "epoch, so start it again instead.")
    from nnaudit.train import check_checkpoint

    check_resumed_settings(run, config)
    check_checkpoint(run.path / "checkpoint.pt", config.train)  # before anything is written
    return run


# What changes a run's data, model or audits: a resumed run must keep all of it ([train] is
# checked against the checkpoint itself, speed-only keys excepted). Where the run is written,
# its device, threads, reports and energy meter may change.
RESUMED_SECTIONS = ("seed", "data", "model", "train", "audits", "fairness", "saliency",
                    "robustness")


def check_resumed_settings(run: Run, config: RunConfig) -> None:
    """Refuse to resume ``run`` with a setting that differs from its stored config.toml."""
    from nnaudit.train import SPEED_ONLY

    try:
        stored = RunConfig.from_dict(run.config, source=f"{run.name}/config.toml").to_dict()
    except UserInputError as exc:
        raise UserInputError(f"{run.path} cannot be resumed: its config.toml is refused "
                             f"({exc})") from None
    wanted = config.to_dict()
    for section in RESUMED_SECTIONS:
        for key, old, new in _differences(section, stored[section], wanted[section]):
            if section == "train" and key.split(".")[1] in SPEED_ONLY:
                continue
            raise UserInputError(f"{run.path} was started with {key} = {old!r}, not {new!r}; "
                                 "resume it with the same settings, or start a new run.")


def _differences(key: str, old: Any, new: Any):
    if isinstance(old, dict) and isinstance(new, dict):
        for name in sorted(set(old) | set(new)):
            yield from _differences(f"{key}.{name}", old.get(name), new.get(name))
    elif old != new:
        yield key, old, new


def energy_meter(config: RunConfig):
    from nnaudit.energy import EnergyMeter

    energy = config.energy
    return EnergyMeter(country=energy.country, region=energy.region or None,
                       interval_s=energy.interval_s, enabled=energy.enabled)


def _model_card(config: RunConfig) -> dict[str, str | None]:
    """Fields only a person can fill in; empty ones stay None (shown as 'to be completed')."""
    return {key: (value or None) for key, value in config.to_dict()["model_card"].items()}


def _device_name(device) -> str:
    if device.type == "cuda":
        import torch

        return torch.cuda.get_device_name(device)
    import platform

    return f"cpu ({platform.processor() or platform.machine()})"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@contextmanager
def timed(manifest: dict[str, Any], name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        manifest["timings"][name] = round(time.perf_counter() - start, 3)


def write_reports(run_path: Path, config: RunConfig) -> None:
    formats = [f for f in ("html", "pdf") if getattr(config.report, f)]
    if formats:
        from nnaudit.reports import render_report

        render_report(run_path, formats=tuple(formats), lang=config.report.lang)


def run_slices(predictions: Path | str, *, label: str, config: RunConfig,
               pred: str | None = None, score: str | None = None,
               threshold: float | None = None, positive: str | None = None,
               columns: list[str] | None = None, sensitive: list[str] | None = None,
               rate: str = "error_rate", k: int = 10, min_support: int | None = None,
               alpha: float = 0.95, memory_limit: str | None = None) -> Path:
    """Search a predictions file for its worst slices (``nnaudit slices``).

    DuckDB bins every column and counts each distinct combination of bins out of core; the
    search runs on the counts (`nnaudit.slices`). Everything that can reject the input runs
    before the run directory exists.
    """
    from nnaudit.engines import read_slice_data
    from nnaudit.slices import TABLES, slices_audit

    data = read_slice_data(predictions, label=label, pred=pred, score=score,
                           threshold=threshold, positive=positive, columns=columns,
                           memory_limit=memory_limit)
    result = slices_audit(data, rate=rate, k=k, min_support=min_support, alpha=alpha,
                          sensitive=sensitive or [])
    writer = RunWriter.create(config.out, config.name or f"slices-{data.name}", config.to_dict())
    writer.write_audit(result, TABLES)
    card = {"name": data.name, "source": data.source, "size": {"test": data.n},
            "citation": "predictions supplied by the user (black-box audit)",
            "license": "unknown", "attributes": {c: f"column {c!r} of {data.source}"
                                                 for c in sensitive or []},
            "simulated_attributes": False, "columns": data.columns,
            "limits": ["Only the model's outputs were available: no weights, no training "
                       "data."]}
    manifest = new_manifest("blackbox", config, f"none (predictions binned by {data.engine})",
                            data.name, card, {"name": "black box", "options": {},
                                              "parameters": None})
    manifest["metrics"]["test_accuracy"] = 1 - float(
        (data.table["wrong"] * data.table["n"]).sum() / data.n)
    writer.finish(manifest)
    write_reports(writer.path, config)
    return writer.path


def check_plugin_options(section: str, name: str, options: dict[str, Any]) -> None:
    """``data.options`` or ``model.options`` (``section``) against the registered loader's or
    builder's keyword parameters: known names, the type of each default (a bool, a number, a
    list), and the ranges of `OPTION_RANGES`; so a bad value is refused before any training,
    not by torch in the middle of a run."""
    import inspect

    if section == "data":
        from nnaudit.data.registry import _REGISTRY as registry
        skip = {"seed", "data_dir"}
    else:
        from nnaudit.models.registry import _REGISTRY as registry
        skip = {"input_shape", "num_classes"}
    if not options:
        return
    entries = registry.entries()
    if name not in entries:
        raise UserInputError(f"{section}.name {name!r} is not one of: "
                             f"{', '.join(sorted(entries))}.")
    entry = entries[name]
    function = entry.resolve() if hasattr(entry, "resolve") else entry.builder
    parameters = {p.name: p for p in inspect.signature(function).parameters.values()
                  if p.name not in skip}
    for option, value in options.items():
        key = f"{section}.options.{option}"
        if option not in parameters:
            raise UserInputError(f"{section} {name!r} has no option {option!r} ({key}); its "
                                 f"options are: {', '.join(parameters) or 'none'}.")
        _check_option(key, value, parameters[option].default)


def _check_option(key: str, value: Any, default: Any) -> None:
    if isinstance(default, bool):
        check(isinstance(value, bool), key, "true or false", value)
    elif isinstance(default, int):
        check(isinstance(value, int) and not isinstance(value, bool), key, "a whole number",
              value)
    elif isinstance(default, float):
        check(finite(value) and not isinstance(value, bool), key, "a finite number", value)
    elif isinstance(default, (list, tuple)):
        check(isinstance(value, (list, tuple)), key, "a list", value)
    bounds = OPTION_RANGES.get(key.rpartition(".")[2])
    if bounds is not None and finite(value) and not isinstance(value, bool):
        low, high, requirement = bounds
        check(low <= value <= high, key, requirement, value)


def check_settings(config: RunConfig, *, model_options: bool = True) -> None:
    """The settings that only the audits and registries can check (their names import torch),
    refused before any data is loaded: ``data.options`` and ``model.options`` (not for
    `nnaudit audit`, whose factory is the user's), robustness corruptions, attacks and
    severities, saliency methods."""
    check_plugin_options("data", config.data.name, config.data.options)
    if model_options:
        check_plugin_options("model", config.model.name, config.model.options)
    robustness = config.robustness
    if robustness.corruptions or robustness.severities or robustness.attacks:
        from nnaudit.robustness import ATTACKS, CORRUPTIONS, MAX_SEVERITY

        for key, names, known in (("robustness.corruptions", robustness.corruptions, CORRUPTIONS),
                                  ("robustness.attacks", robustness.attacks, [*ATTACKS, "none"])):
            odd = next((n for n in names if n not in known), None)
            check(odd is None, key, "names from " + ", ".join(known), odd)
        odd = next((v for v in robustness.severities if not 0 <= v <= MAX_SEVERITY), None)
        check(odd is None, "robustness.severities",
              f"whole numbers from 0 (clean) to {MAX_SEVERITY}", odd)
    if config.saliency.methods:
        from nnaudit.saliency import Budget, image_methods, tabular_methods

        known = list(dict.fromkeys(m.name for m in [*image_methods(Budget()),
                                                    *tabular_methods(Budget())]))
        odd = next((m for m in config.saliency.methods if m not in known), None)
        check(odd is None, "saliency.methods", "names from " + ", ".join(known), odd)
