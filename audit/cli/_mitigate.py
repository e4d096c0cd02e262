"""`nnaudit mitigate`: try a fairness remedy on a run, and compare before and after."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from nnaudit.cli._app import JSON_HELP, OUT_HELP, QUIET_HELP, app


@app.command()
def mitigate(
    run: Path = typer.Argument(..., help=(
        "The run to remedy: a trained run (nnaudit run), or a black-box run of scored predictions "
        "(nnaudit fairness --score) with --predictions.")),
    method: str = typer.Option("threshold", help=(
        "threshold (thresholds by group, fairlearn), resample (retrain drawing each group equally "
        "often), reweight (retrain with loss weights inverse to group frequency), or all (each "
        "that applies, and one comparison).")),
    constraint: Optional[str] = typer.Option(None, help=(
        "The threshold method's fairlearn constraint: equalized_odds (default), "
        "demographic_parity, true_positive_rate_parity, false_positive_rate_parity, "
        "false_negative_rate_parity, true_negative_rate_parity, selection_rate_parity.")),
    attribute: Optional[str] = typer.Option(None, help=(
        "Comma-separated sensitive attributes whose groups to balance (default: all of the run's, "
        "intersected).")),
    predictions: Optional[str] = typer.Option(None, help=(
        "A black-box run's predictions file (it keeps counts, not rows): fitted on one seeded "
        "half, evaluated on the other.")),
    device: Optional[str] = typer.Option(None, help="auto, cpu or cuda (default: the base run's)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help=(
        f"{OUT_HELP[:-1]}; default: the base run's folder.")),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Try a fairness remedy on a run: a new run linked to it, with the audits re-run and the
    before/after comparison (docs/mitigation.md)."""
    from nnaudit.cli._run import _execute
    from nnaudit.mitigation import mitigate as remedy
    from nnaudit.store import Run

    epochs = (Run.open(run).config.get("train") or {}).get("epochs", 0)
    _execute(lambda progress: remedy(run, method=method, constraint=constraint,
                                     attribute=attribute, out=out, predictions=predictions,
                                     device=device, on_stage=progress.stage,
                                     on_epoch=progress.epoch).path,
             epochs=epochs if isinstance(epochs, int) else 0, quiet=quiet, as_json=as_json)
