"""`nnaudit list`, `show`, `report` and `dashboard`: commands that read run directories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from nnaudit.cli._app import AsJson, app, console, report_run
from nnaudit.errors import UserInputError


@app.command("list")
def list_(
    runs_dir: Path = typer.Argument(Path("runs"), help="Folder of run directories."),
    as_json: AsJson = False,
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
        print_run_table(runs, console())


@app.command()
def show(
    run_dir: Path = typer.Argument(..., help="A run directory."),
    as_json: AsJson = False,
) -> None:
    """Show one run: metrics, each audit's findings, and its files."""
    from nnaudit.store import Run

    report_run(Run.open(run_dir), quiet=False, as_json=as_json)


@app.command()
def query(
    sql: str = typer.Argument(..., help=(
        "A DuckDB SQL query over the runs' tables, e.g. \"SELECT run, max(error_rate) FROM "
        "fairness_by_group GROUP BY run\".")),
    runs_dir: Path = typer.Option(Path("runs"), "--runs", help="Folder of run directories."),
    as_csv: bool = typer.Option(False, "--csv", help="Print CSV on stdout instead of a table."),
) -> None:
    """Query every run's tables with SQL; `nnaudit query "SHOW TABLES"` lists the views."""
    import sys

    import pandas as pd
    from rich.table import Table

    from nnaudit.query import query_runs
    from nnaudit.terminal import terminal_safe, user_text

    result = query_runs(sql, runs_dir)
    if as_csv:  # exact for a script; on a terminal, control characters are shown escaped
        text = result.to_csv(index=False)
        if sys.stdout.isatty():
            text = "\n".join(terminal_safe(line) for line in text.split("\n"))
        typer.echo(text, nl=False)
        return
    # run names and table values are data: never markup ("[red]"), never raw control characters
    table = Table()
    for column in result.columns:
        table.add_column(user_text(column))
    for row in result.itertuples(index=False):
        table.add_row(*(user_text("" if v is None or (pd.api.types.is_scalar(v) and pd.isna(v))
                                  else v) for v in row))
    console().print(table)


@app.command()
def report(
    run_dir: Path = typer.Argument(..., help="A complete run directory."),
    format: str = typer.Option("html", "--format", help=(
        "html, pdf, handout (two A4 pages for a class, handout.pdf) or several, comma-separated.")),
    lang: str = typer.Option("en", help="en or fr."),
    compare: Optional[Path] = typer.Option(None, help="Another run to compare with, side by side."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help=(
        "Folder for the report (default: the run directory).")),
) -> None:
    """Write the report of a run (HTML and/or PDF), or its two-page handout for a class."""
    from nnaudit.reports import render_report

    # render_report checks the formats and the language (one place for both).
    for path in render_report(run_dir, out_dir=out, formats=format, lang=lang, compare=compare):
        typer.echo(str(path))


@app.command()
def dashboard(
    runs_dir: Path = typer.Argument(Path("runs"), help="Folder of run directories."),
    port: int = typer.Option(8501, help="Port of the local web server."),
    address: str = typer.Option("localhost", help=(
        "Address to listen on; 0.0.0.0 shares the dashboard with the network.")),
    headless: Optional[bool] = typer.Option(None, "--headless/--browser", help=(
        "Do not open a browser (default: open one only when run from a terminal).")),
) -> None:
    """Serve the Streamlit dashboard over a folder of runs (Ctrl-C stops it)."""
    from nnaudit.dashboards import launch

    if not runs_dir.is_dir():
        raise UserInputError(f"{runs_dir} is not a folder of runs (it does not exist).")
    launch(runs_dir, port, address=address, headless=headless)
