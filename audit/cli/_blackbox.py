"""`nnaudit fairness`: audit any model from its predictions file alone (black-box mode)."""

from __future__ import annotations

from typing import Optional

import typer

from nnaudit.cli._app import AsJson, Lang, Out, Quiet, app, flags, report_run, resolve_config


@app.command()
def fairness(
    predictions: str = typer.Option(..., help=(
        "CSV or Parquet predictions: a file, a quoted glob ('logs/*.parquet') or a folder; one "
        "row per prediction.")),
    label: str = typer.Option(..., help="Column of true labels."),
    groups: str = typer.Option(..., help="Comma-separated sensitive-attribute columns."),
    pred: Optional[str] = typer.Option(None, help="Column of predicted labels (or use --score)."),
    score: Optional[str] = typer.Option(None, help="Column of scores for the positive class."),
    threshold: Optional[float] = typer.Option(None, help="Decision threshold on --score."),
    positive: Optional[str] = typer.Option(None, help="The positive class value."),
    min_group_size: Optional[int] = typer.Option(None, help=(
        "Smaller groups are flagged, not ranked (default 30).")),
    n_boot: Optional[int] = typer.Option(None, help=(
        "Bootstrap resamples for intervals (default 1000).")),
    seed: Optional[int] = typer.Option(None, help="Seed of the bootstrap."),
    lang: Lang = None,
    engine: str = typer.Option("auto", help=(
        "Who counts the rows: duckdb (out of core, the default for files), spark (a cluster) or "
        "pandas (in memory).")),
    spark_master: Optional[str] = typer.Option(None, help=(
        "Spark master URL (spark://host:7077, yarn, local[*]); implies --engine spark.")),
    memory_limit: Optional[str] = typer.Option(None, help=(
        "DuckDB's memory limit, e.g. 2GB (beyond it DuckDB spills to disk).")),
    out: Out = None, quiet: Quiet = False, as_json: AsJson = False,
) -> None:
    """Audit any model from its predictions alone (black-box mode), at any size."""
    from nnaudit.pipeline import run_blackbox
    from nnaudit.store import Run

    cfg = resolve_config(None, flags(**{
        "fairness.min_group_size": min_group_size, "fairness.n_boot": n_boot, "seed": seed,
        "out": str(out) if out else None, "report.lang": lang, "energy.enabled": False,
    }), [])
    path = run_blackbox(predictions, label=label, pred=pred, score=score, threshold=threshold,
                        groups=[g.strip() for g in groups.split(",") if g.strip()],
                        positive=positive, config=cfg, engine=engine, spark_master=spark_master,
                        memory_limit=memory_limit)
    report_run(Run.open(path), quiet=quiet, as_json=as_json)
