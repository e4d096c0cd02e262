"""`nnaudit slices`: the worst slices of a predictions file, over every column."""

from __future__ import annotations

from typing import Optional

import typer

from nnaudit.cli._app import AsJson, Lang, Out, Quiet, app, flags, report_run, resolve_config


def _names(text: Optional[str]) -> Optional[list[str]]:
    return None if text is None else [c.strip() for c in text.split(",") if c.strip()]


@app.command()
def slices(
    predictions: str = typer.Option(...,
        help="CSV or Parquet predictions: a file, a quoted glob ('logs/*.parquet') or a "
             "folder; one row per prediction."),
    label: str = typer.Option(..., help="Column of true labels."),
    pred: Optional[str] = typer.Option(None, help="Column of predicted labels (or use --score)."),
    score: Optional[str] = typer.Option(None, help="Column of scores for the positive class."),
    threshold: Optional[float] = typer.Option(None,
        help="Decision threshold on --score (default 0.5)."),
    positive: Optional[str] = typer.Option(None, help="The positive class value."),
    columns: Optional[str] = typer.Option(None,
        help="Comma-separated columns to slice on (default: every column but the label, "
             "prediction and score)."),
    sensitive: Optional[str] = typer.Option(None,
        help="Comma-separated declared sensitive attributes: the findings say which slices "
             "involve one and which are new."),
    rate: str = typer.Option("error_rate",
        help="The rate a slice must exceed: error_rate, fpr, fnr or selection_rate."),
    top: int = typer.Option(10, help="How many slices to keep (SliceLine's k)."),
    min_support: Optional[int] = typer.Option(None,
        help="Fewest rows in a slice (default: 1% of the rows, at least 30)."),
    alpha: float = typer.Option(0.95,
        help="SliceLine's weight of a slice's rate against its size, in (0, 1]; higher finds "
             "smaller, worse slices."),
    memory_limit: Optional[str] = typer.Option(None, help="DuckDB's memory limit, e.g. 2GB."),
    lang: Lang = None,
    out: Out = None, quiet: Quiet = False, as_json: AsJson = False,
) -> None:
    """Find the slices (conjunctions of up to 3 column values) where the model fails most."""
    from nnaudit.pipeline import run_slices
    from nnaudit.store import Run

    cfg = resolve_config(None, flags(**{"out": str(out) if out else None, "report.lang": lang,
                                        "energy.enabled": False}), [])
    path = run_slices(predictions, label=label, pred=pred, score=score, threshold=threshold,
                      positive=positive, columns=_names(columns), sensitive=_names(sensitive),
                      rate=rate, k=top, min_support=min_support, alpha=alpha,
                      memory_limit=memory_limit, config=cfg)
    report_run(Run.open(path), quiet=quiet, as_json=as_json)
