"""The `nnaudit` command: parse, call the engine, render. No audit logic lives here.

Heavy libraries (torch, pandas, the audits) are imported inside the commands so that
`nnaudit --help` starts fast. Bad input exits 2 with one sentence; internal errors exit 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from nnaudit.errors import UserInputError

app = typer.Typer(
    help="Train the classic course networks and audit them: fairness, memorization, "
         "saliency and energy. Every command that writes produces a run directory.",
    no_args_is_help=False, add_completion=False, pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

OUT_HELP = "Folder that receives run directories."
JSON_HELP = "Print a JSON summary on stdout instead of tables (for scripts)."
QUIET_HELP = "Print only the run directory."


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _overrides(**flags: Any) -> dict[str, Any]:
    return {key: value for key, value in flags.items() if value is not None}


def _resolve_config(config: Optional[Path], overrides: dict[str, Any], assignments: list[str]):
    from nnaudit.config import load_config, parse_assignment

    for text in assignments:
        key, value = parse_assignment(text)
        overrides[key] = value
    return load_config(config, overrides)


@app.command()
def run(
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="TOML config file (e.g. a run's config.toml to repeat it)."),
    dataset: Optional[str] = typer.Option(None, help="Dataset name (see `nnaudit datasets`). Default: shades-mnist."),
    model: Optional[str] = typer.Option(None, help="Model name (see `nnaudit models`). Default: lenet5."),
    epochs: Optional[int] = typer.Option(None, help="Training epochs."),
    seed: Optional[int] = typer.Option(None, help="One seed for Python, NumPy and torch."),
    device: Optional[str] = typer.Option(None, help="auto, cpu or cuda."),
    skew: Optional[float] = typer.Option(None, help="shades-mnist: share of dark-tone images in training (0.5 = balanced control)."),
    data_dir: Optional[Path] = typer.Option(None, help="Where torchvision datasets and CSVs live."),
    audits: Optional[str] = typer.Option(None, help="Comma-separated audits to run: fairness,generalization,saliency."),
    full: bool = typer.Option(False, "--full", help="Complete generalization protocol (5 seeds, full sweep, ablation); meant for a GPU."),
    country: Optional[str] = typer.Option(None, help="ISO 3166 alpha-3 country code for the carbon intensity (default FRA)."),
    pdf: bool = typer.Option(False, "--pdf", help="Also write report.pdf."),
    lang: Optional[str] = typer.Option(None, help="Report language: en or fr."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help=OUT_HELP),
    set_: list[str] = typer.Option([], "--set", help="Any config key, e.g. --set train.lr=0.01 (repeatable)."),
    resume: Optional[Path] = typer.Option(None, help="Continue an interrupted run directory from its last checkpoint."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Train a model and run every audit on it; with no options, LeNet-5 on shades-mnist."""
    if resume is not None:
        from nnaudit.store import Run

        config = Run.open(resume).path / "config.toml"
    overrides = _overrides(**{
        "data.name": dataset, "model.name": model, "train.epochs": epochs, "seed": seed,
        "device": device, "data.data_dir": str(data_dir) if data_dir else None,
        "audits.run": audits, "energy.country": country, "report.lang": lang,
        "out": str(out) if out else None, "data.options.skew": skew,
        "audits.protocol": "full" if full else None, "report.pdf": True if pdf else None,
    })
    cfg = _resolve_config(config, overrides, set_)
    _execute(cfg, resume=resume, quiet=quiet, as_json=as_json)


@app.command()
def train(
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="TOML config file."),
    dataset: Optional[str] = typer.Option(None, help="Dataset name (see `nnaudit datasets`)."),
    model: Optional[str] = typer.Option(None, help="Model name (see `nnaudit models`)."),
    epochs: Optional[int] = typer.Option(None, help="Training epochs."),
    seed: Optional[int] = typer.Option(None, help="One seed for Python, NumPy and torch."),
    device: Optional[str] = typer.Option(None, help="auto, cpu or cuda."),
    data_dir: Optional[Path] = typer.Option(None, help="Where torchvision datasets and CSVs live."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help=OUT_HELP),
    set_: list[str] = typer.Option([], "--set", help="Any config key, e.g. --set train.lr=0.01 (repeatable)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Train only (no audits, no report): a run directory with the model, history and energy."""
    overrides = _overrides(**{
        "data.name": dataset, "model.name": model, "train.epochs": epochs, "seed": seed,
        "device": device, "data.data_dir": str(data_dir) if data_dir else None,
        "out": str(out) if out else None, "audits.run": [], "report.html": False,
        "report.pdf": False,
    })
    _execute(_resolve_config(config, overrides, set_), resume=None, quiet=quiet, as_json=as_json)


def _execute(cfg: dict[str, Any], *, resume: Optional[Path], quiet: bool, as_json: bool) -> None:
    from nnaudit.pipeline import run_pipeline
    from nnaudit.store import Run

    with _Progress(enabled=not (quiet or as_json), epochs=cfg["train"]["epochs"]) as progress:
        try:
            path = run_pipeline(cfg, resume_dir=resume, on_stage=progress.stage,
                                on_epoch=progress.epoch)
        except KeyboardInterrupt:
            progress.stop()
            _console(stderr=True).print(
                "[yellow]Interrupted.[/] The run is incomplete; continue it with "
                "`nnaudit run --resume RUN_DIR` (see `nnaudit list`).")
            raise typer.Exit(130)
    _report_run(Run.open(path), quiet=quiet, as_json=as_json)


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
                                TimeRemainingColumn(), console=_console(stderr=True), transient=False)
            self.bar.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    def stage(self, name: str) -> None:
        if self.bar is None:
            return
        if self.task is not None:
            self.bar.update(self.task, completed=self.bar.tasks[self.task].total)
        total = self.epochs if name == "training" else 1
        self.task = self.bar.add_task(name, total=total, metrics="")

    def epoch(self, stats: dict) -> None:
        if self.bar is None or self.task is None:
            return
        parts = [f"{key} {stats[key]:.3f}" for key in ("train_loss", "train_acc", "val_acc")
                 if isinstance(stats.get(key), float)]
        self.bar.update(self.task, completed=stats.get("epoch", 0), metrics="  ".join(parts))


def _report_run(run, *, quiet: bool, as_json: bool) -> None:
    from nnaudit.summary import run_summary

    summary = run_summary(run)
    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=str))
    elif quiet:
        typer.echo(str(run.path))
    else:
        from nnaudit.summary import print_run_summary

        print_run_summary(run, _console())
    failed = [name for name, audit in run.audits.items() if audit.get("status") == "failed"]
    if failed:
        _console(stderr=True).print(f"[red]Audit(s) failed:[/] {', '.join(failed)} (see manifest.json).")
        raise typer.Exit(1)


@app.command("list")
def list_(
    runs_dir: Path = typer.Argument(Path("runs"), help="Folder of run directories."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List runs: status, date, dataset, model and headline metrics."""
    from nnaudit.store import list_runs
    from nnaudit.summary import print_run_table, run_summary

    if not runs_dir.is_dir():
        raise UserInputError(f"{runs_dir} is not a folder of runs (it does not exist).")
    runs = list_runs(runs_dir)
    if as_json:
        typer.echo(json.dumps([run_summary(r) for r in runs], indent=2, default=str))
    else:
        print_run_table(runs, _console())


@app.command()
def show(
    run_dir: Path = typer.Argument(..., help="A run directory."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Show one run: metrics, each audit's findings, and its files."""
    from nnaudit.store import Run

    _report_run(Run.open(run_dir), quiet=False, as_json=as_json)


@app.command()
def datasets() -> None:
    """List the datasets nnaudit can load."""
    from rich.table import Table

    from nnaudit.data import list_datasets

    table = Table("dataset", "description")
    for name, description in list_datasets():
        table.add_row(name, description)
    _console().print(table)


@app.command()
def models() -> None:
    """List the model architectures."""
    from rich.table import Table

    from nnaudit.models import describe_model, list_models

    table = Table("model", "description")
    for name in list_models():
        table.add_row(name, describe_model(name))
    _console().print(table)


@app.command()
def fairness(
    predictions: str = typer.Option(..., help="CSV or Parquet predictions: a file, a quoted glob ('logs/*.parquet') or a folder; one row per prediction."),
    label: str = typer.Option(..., help="Column of true labels."),
    groups: str = typer.Option(..., help="Comma-separated sensitive-attribute columns."),
    pred: Optional[str] = typer.Option(None, help="Column of predicted labels (or use --score)."),
    score: Optional[str] = typer.Option(None, help="Column of scores for the positive class."),
    threshold: Optional[float] = typer.Option(None, help="Decision threshold on --score."),
    positive: Optional[str] = typer.Option(None, help="The positive class value."),
    min_group_size: Optional[int] = typer.Option(None, help="Smaller groups are flagged, not ranked (default 30)."),
    n_boot: Optional[int] = typer.Option(None, help="Bootstrap resamples for intervals (default 1000)."),
    seed: Optional[int] = typer.Option(None, help="Seed of the bootstrap."),
    lang: Optional[str] = typer.Option(None, help="Report language: en or fr."),
    engine: str = typer.Option("auto", help="Who counts the rows: duckdb (out of core, the default for files), spark (a cluster) or pandas (in memory)."),
    spark_master: Optional[str] = typer.Option(None, help="Spark master URL (spark://host:7077, yarn, local[*]); implies --engine spark."),
    memory_limit: Optional[str] = typer.Option(None, help="DuckDB's memory limit, e.g. 2GB (beyond it DuckDB spills to disk)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help=OUT_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Audit any model from its predictions alone (black-box mode), at any size."""
    from nnaudit.pipeline import run_blackbox
    from nnaudit.store import Run

    cfg = _resolve_config(None, _overrides(**{
        "fairness.min_group_size": min_group_size, "fairness.n_boot": n_boot, "seed": seed,
        "out": str(out) if out else None, "report.lang": lang, "audits.run": ["fairness"],
        "energy.enabled": False,
    }), [])
    path = run_blackbox(predictions, label=label, pred=pred, score=score, threshold=threshold,
                        groups=[g.strip() for g in groups.split(",") if g.strip()],
                        positive=positive, config=cfg, engine=engine, spark_master=spark_master,
                        memory_limit=memory_limit)
    _report_run(Run.open(path), quiet=quiet, as_json=as_json)


@app.command()
def query(
    sql: str = typer.Argument(..., help="A DuckDB SQL query over the runs' tables, e.g. \"SELECT run, max(error_rate) FROM fairness_by_group GROUP BY run\"."),
    runs_dir: Path = typer.Option(Path("runs"), "--runs", help="Folder of run directories."),
    as_csv: bool = typer.Option(False, "--csv", help="Print CSV on stdout instead of a table."),
) -> None:
    """Query every run's tables with SQL; `nnaudit query "SHOW TABLES"` lists the views."""
    from nnaudit.query import query_runs

    result = query_runs(sql, runs_dir)
    if as_csv:
        typer.echo(result.to_csv(index=False), nl=False)
        return
    from rich.table import Table
    from rich.text import Text

    # run names and table values are data: Text keeps a "[red]" in them from being markup
    table = Table()
    for column in result.columns:
        table.add_column(Text(str(column)))
    for row in result.itertuples(index=False):
        table.add_row(*(Text("" if pd_isna(v) else str(v)) for v in row))
    _console().print(table)


def pd_isna(value: Any) -> bool:
    import pandas as pd

    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


@app.command()
def report(
    run_dir: Path = typer.Argument(..., help="A complete run directory."),
    format: str = typer.Option("html", "--format", help="html, pdf or html,pdf."),
    lang: str = typer.Option("en", help="en or fr."),
    compare: Optional[Path] = typer.Option(None, help="Another run to compare with, side by side."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for the report (default: the run directory)."),
) -> None:
    """Write the model-card report of a run as HTML and/or PDF."""
    from nnaudit.reports import render_report

    formats = tuple(f.strip() for f in format.split(",") if f.strip())
    unknown = [f for f in formats if f not in ("html", "pdf")]
    if unknown or not formats:
        raise UserInputError(f"--format takes html, pdf or html,pdf, not {format!r}.")
    if lang not in ("en", "fr"):
        raise UserInputError(f"--lang takes en or fr, not {lang!r}.")
    for path in render_report(run_dir, out_dir=out, formats=formats, lang=lang, compare=compare):
        typer.echo(str(path))


@app.command()
def dashboard(
    runs_dir: Path = typer.Argument(Path("runs"), help="Folder of run directories."),
    port: int = typer.Option(8501, help="Port of the local web server."),
) -> None:
    """Open the Streamlit dashboard over a folder of runs."""
    from nnaudit.dashboards import launch

    if not runs_dir.is_dir():
        raise UserInputError(f"{runs_dir} is not a folder of runs (it does not exist).")
    launch(runs_dir, port)


def main() -> None:
    try:
        app()
    except UserInputError as exc:
        _console(stderr=True).print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        sys.exit(2)
    except Exception as exc:  # an internal error: exit 1 with the cause, not a bare traceback
        _console(stderr=True).print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
            "This is a bug in nnaudit; rerun with NNAUDIT_DEBUG=1 for the traceback.", soft_wrap=True)
        import os

        if os.environ.get("NNAUDIT_DEBUG"):
            raise
        sys.exit(1)


if __name__ == "__main__":
    main()
