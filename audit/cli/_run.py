"""`nnaudit run`, `train` and `audit`: commands that make a model's run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer

from nnaudit.cli._app import (AsJson, Audits, ConfigFile, DataDir, DatasetName, Device, Epochs,
                              Full, Lang, ModelName, Out, Pdf, Quiet, Seed, Settings, app,
                              console, flags, report_run, resolve_config)
from nnaudit.config import DEFAULTS


@app.command()
def run(
    config: ConfigFile = None, dataset: DatasetName = None, model: ModelName = None,
    epochs: Epochs = None, seed: Seed = None, device: Device = None,
    skew: Annotated[Optional[float], typer.Option(
        help=(
            "shades-mnist: share of dark-tone images in training (0.5 = balanced control)."))] = None,
    data_dir: DataDir = None, audits: Audits = None, full: Full = False,
    country: Annotated[Optional[str], typer.Option(
        help="ISO 3166 alpha-3 country code for the carbon intensity "
             f"(default {DEFAULTS.energy.country}).")] = None,
    pdf: Pdf = False, lang: Lang = None, out: Out = None, set_: Settings = [],  # noqa: B006
    resume: Annotated[Optional[Path], typer.Option(
        help="Continue an interrupted run directory from its last checkpoint.")] = None,
    quiet: Quiet = False, as_json: AsJson = False,
) -> None:
    """Train a model and run every audit on it; with no options, LeNet-5 on shades-mnist."""
    from nnaudit.pipeline import run_pipeline

    if resume is not None:
        from nnaudit.store import Run

        config = Run.open(resume).path / "config.toml"
    cfg = resolve_config(config, flags(**{
        "data.name": dataset, "model.name": model, "train.epochs": epochs, "seed": seed,
        "device": device, "data.data_dir": str(data_dir) if data_dir else None,
        "audits.run": audits, "energy.country": country, "report.lang": lang,
        "out": str(out) if out else None, "data.options.skew": skew,
        "audits.protocol": "full" if full else None, "report.pdf": True if pdf else None,
    }), set_)
    _execute(lambda progress: run_pipeline(cfg, resume_dir=resume, on_stage=progress.stage,
                                           on_epoch=progress.epoch, on_tasks=progress.tasks),
             epochs=cfg.train.epochs, quiet=quiet, as_json=as_json)


@app.command()
def train(
    config: ConfigFile = None, dataset: DatasetName = None, model: ModelName = None,
    epochs: Epochs = None, seed: Seed = None, device: Device = None, data_dir: DataDir = None,
    out: Out = None, set_: Settings = [], quiet: Quiet = False,  # noqa: B006
    as_json: AsJson = False,
) -> None:
    """Train only (no audits, no report): a run directory with the model, history and energy."""
    from nnaudit.pipeline import run_pipeline

    cfg = resolve_config(config, flags(**{
        "data.name": dataset, "model.name": model, "train.epochs": epochs, "seed": seed,
        "device": device, "data.data_dir": str(data_dir) if data_dir else None,
        "out": str(out) if out else None, "audits.run": [], "report.html": False,
        "report.pdf": False,
    }), set_)
    _execute(lambda progress: run_pipeline(cfg, on_stage=progress.stage, on_epoch=progress.epoch),
             epochs=cfg.train.epochs, quiet=quiet, as_json=as_json)


@app.command()
def audit(
    model: Annotated[str, typer.Option(
        "--model", "-m", help="The model: a run directory, package.module:callable or "
        "path/to/file.py:callable (a factory of a fresh nn.Module), or a torch.export (.pt2) "
        "or TorchScript file.")],
    dataset: Annotated[str, typer.Option(help="Dataset to audit it on (see `nnaudit datasets`).")],
    weights: Annotated[Optional[Path], typer.Option(
        help="A state_dict for the factory's model (loaded with weights_only=True).")] = None,
    data_dir: DataDir = None, audits: Audits = None,
    trained_on_dataset: Annotated[bool, typer.Option(
        "--trained-on-dataset", help="The model was trained on this dataset's training split "
                                     "(enables the membership attack).")] = False,
    trust_model_file: Annotated[bool, typer.Option(
        "--trust-model-file", help="Load an exported model file whose code and pickled objects "
        "run when it is loaded: a TorchScript file, or a .pt2 holding more than tensors and "
        "torch operators. Only for a file from someone you trust: it can do anything you can "
        "do.")] = False,
    config: ConfigFile = None, seed: Seed = None, device: Device = None, full: Full = False,
    pdf: Pdf = False, lang: Lang = None, out: Out = None, set_: Settings = [],  # noqa: B006
    quiet: Quiet = False, as_json: AsJson = False,
) -> None:
    """Audit a model you bring (a run, a factory with weights, an exported file) on any dataset."""
    from nnaudit.pipeline import run_audit

    given = flags(**{
        "data.name": dataset, "data.data_dir": str(data_dir) if data_dir else None,
        "audits.run": audits, "seed": seed, "device": device, "report.lang": lang,
        "out": str(out) if out else None, "audits.protocol": "full" if full else None,
        "report.pdf": True if pdf else None})
    cfg = resolve_config(config, {**_training_of(model), **given}, set_)
    _execute(lambda progress: run_audit(cfg, model, weights=weights,
                                        trained_on_dataset=trained_on_dataset,
                                        trust_model_file=trust_model_file,
                                        on_stage=progress.stage, on_tasks=progress.tasks),
             epochs=0, quiet=quiet, as_json=as_json)


def _training_of(spec: str) -> dict[str, Any]:
    """A run directory's ``[train]`` settings, so the audits that retrain its architecture train
    it as the run did; nothing for other specs."""
    from nnaudit.store import Run

    path = Path(spec).expanduser()
    if not path.is_dir():
        return {}
    train = Run.open(path).config.get("train") or {}
    return {f"train.{key}": value for key, value in train.items()}


def _execute(work: Callable[["_Progress"], Path], *, epochs: int, quiet: bool,
             as_json: bool) -> None:
    from rich.text import Text

    from nnaudit.pipeline import RunInterrupted
    from nnaudit.store import Run
    from nnaudit.terminal import user_text

    with _Progress(enabled=not (quiet or as_json), epochs=epochs) as progress:
        try:
            path = work(progress)
        except RunInterrupted as interrupted:
            progress.stop()
            where = str(interrupted.path) if interrupted.path else None
            if interrupted.resumable:
                hint = f"continue it with `nnaudit run --resume {where}`."
            elif where:
                hint = f"it cannot be resumed (no checkpoint yet): {where} can be deleted."
            else:
                hint = "no run directory was made."
            said = user_text(f" The run is incomplete; {hint}")
            console(stderr=True).print(Text.assemble(("Interrupted.", "yellow"), said),
                                       soft_wrap=True)
            raise typer.Exit(130) from None
    report_run(Run.open(path), quiet=quiet, as_json=as_json)


class _Progress:
    """A Rich progress bar fed by the pipeline's stage and epoch callbacks."""

    def __init__(self, enabled: bool, epochs: int):
        self.enabled, self.epochs, self.bar, self.task = enabled, epochs, None, None

    def __enter__(self):
        if self.enabled:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("{task.fields[metrics]}"), TimeElapsedColumn(),
                                TimeRemainingColumn(), console=console(stderr=True), transient=False)
            self.bar.start()
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.finish()
        self.stop()

    def finish(self) -> None:
        """The last stage ran to its end: its bar reads complete (no later stage does it)."""
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, completed=self.bar.tasks[self.task].total)

    def stop(self):
        """Stop drawing; a stage left unfinished (an error or Ctrl-C stopped it) is taken off,
        so the message that follows is not preceded by a bar that never moves."""
        if self.bar is not None:
            for task in self.bar.tasks:
                if not task.finished:
                    self.bar.remove_task(task.id)
            self.bar.stop()
            self.bar = None

    def stage(self, name: str) -> None:
        if self.bar is None:
            return
        if self.task is not None:
            self.bar.update(self.task, completed=self.bar.tasks[self.task].total)
        total = self.epochs if name == "training" else 1
        self.task = self.bar.add_task(name, total=total, metrics="")

    def tasks(self, done: int, total: int) -> None:
        """An audit's trainings (in this process or Ray tasks): one bar, ``done`` of ``total``."""
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, total=total, completed=done,
                            metrics=f"{done}/{total} trainings")

    def epoch(self, stats: dict) -> None:
        if self.bar is None or self.task is None:
            return
        parts = [f"{key} {stats[key]:.3f}" for key in ("train_loss", "train_acc", "val_acc")
                 if isinstance(stats.get(key), float)]
        self.bar.update(self.task, completed=stats.get("epoch", 0), metrics="  ".join(parts))
