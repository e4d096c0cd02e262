"""The Typer application and what its commands share: consoles, config resolution, output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

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
SET_HELP = "Any config key, e.g. --set train.lr=0.01 (repeatable)."


def console(stderr: bool = False):
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False, emoji=False)
    if not console.is_terminal:  # piped or redirected: no width to fit, so no run name is cut
        console.width = 100_000
    return console


def print_error(label: str, sentence: str) -> None:
    """``label`` in red, then ``sentence`` as plain text: a message quotes user data (a group
    named "[/]", a config key "[train]"), which Rich must not read as markup."""
    from rich.text import Text

    console(stderr=True).print(Text.assemble((label, "bold red"), " ", sentence), soft_wrap=True)


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
