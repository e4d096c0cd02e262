"""The Typer application and what its commands share: consoles, config resolution, output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from nnaudit.audits import BY_NAME, GROUPS
from nnaudit.config import DEFAULTS

app = typer.Typer(
    help="Train the classic course networks and audit them, or audit your own model: fairness, "
         "memorization, saliency, energy. Every command that writes produces a run directory.",
    no_args_is_help=False, add_completion=False, pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

OUT_HELP = f"Folder that receives run directories (default: {DEFAULTS.out})."
JSON_HELP = "Print a JSON summary on stdout instead of tables (for scripts)."
QUIET_HELP = "Print only the run directory."

# Options several commands share, each written once; their defaults come from the config.
ConfigFile = Annotated[Optional[Path], typer.Option(
    "--config", "-c", help="TOML config file (e.g. a run's config.toml to repeat it).")]
DatasetName = Annotated[Optional[str], typer.Option(
    help=f"Dataset name (see `nnaudit datasets`). Default: {DEFAULTS.data.name}.")]
ModelName = Annotated[Optional[str], typer.Option(
    help=f"Model name (see `nnaudit models`). Default: {DEFAULTS.model.name}.")]
Epochs = Annotated[Optional[int], typer.Option(
    help=f"Training epochs (default {DEFAULTS.train.epochs}).")]
Seed = Annotated[Optional[int], typer.Option(
    help=f"One seed for Python, NumPy and torch (default {DEFAULTS.seed}).")]
Device = Annotated[Optional[str], typer.Option(
    help=f"auto, cpu or cuda (default {DEFAULTS.device}).")]
DataDir = Annotated[Optional[Path], typer.Option(help="Where torchvision datasets and CSVs live.")]
Audits = Annotated[Optional[str], typer.Option(
    help="Comma-separated audits: " + ", ".join([*BY_NAME, *GROUPS]) + " (those the model "
         "cannot support are recorded as skipped, with the reason).")]
Full = Annotated[bool, typer.Option(
    "--full", help="The complete protocols (5 seeds, full sweeps, every corruption); meant for "
                   "a GPU.")]
Pdf = Annotated[bool, typer.Option("--pdf", help="Also write report.pdf.")]
Lang = Annotated[Optional[str], typer.Option(help="Report language: en or fr.")]
Out = Annotated[Optional[Path], typer.Option("--out", "-o", help=OUT_HELP)]
Settings = Annotated[list[str], typer.Option(
    "--set", help="Any config key, e.g. --set train.lr=0.01 (repeatable).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help=QUIET_HELP)]
AsJson = Annotated[bool, typer.Option("--json", help=JSON_HELP)]


def console(stderr: bool = False):
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False, emoji=False)
    if not console.is_terminal:  # piped or redirected: no width to fit, so no run name is cut
        console.width = 100_000
    return console


def print_error(label: str, sentence: str) -> None:
    """``label`` in red, then ``sentence`` as plain text: a message quotes user data (a group
    named "[/]", a config key "[train]", a column named "\\x1b[2J"), which Rich must not read as
    markup nor the terminal as a command (`nnaudit.terminal`)."""
    from rich.text import Text

    from nnaudit.terminal import user_text

    console(stderr=True).print(Text.assemble((label, "bold red"), " ", user_text(sentence)),
                               soft_wrap=True)


def flags(**values: Any) -> dict[str, Any]:
    """Dotted config keys of the flags the user gave (None: not given)."""
    return {key: value for key, value in values.items() if value is not None}


def resolve_config(config: Optional[Path], overrides: dict[str, Any], assignments: list[str]):
    """Defaults, the TOML file, the flags, then ``--set`` assignments (`nnaudit.config`)."""
    from nnaudit.config import load_config, parse_assignment

    overrides = dict(overrides)
    for text in assignments:
        key, value = parse_assignment(text)
        overrides[key] = value
    return load_config(config, overrides)


def report_run(run, *, quiet: bool, as_json: bool) -> None:
    """Print a finished run (summary, path or JSON); exit 1 when one of its audits failed."""
    from nnaudit.summary import print_run_summary, run_summary

    if as_json:
        typer.echo(json.dumps(run_summary(run), indent=2, default=str))
    elif quiet:
        typer.echo(str(run.path))
    else:
        print_run_summary(run, console())
    failed = [name for name, audit in run.audits.items() if audit.get("status") == "failed"]
    if failed:
        print_error("Audit(s) failed:", f"{', '.join(failed)} (see manifest.json).")
        raise typer.Exit(1)
