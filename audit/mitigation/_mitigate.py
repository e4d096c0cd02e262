"""`mitigate`: try the standard remedies on a run and write what each changed.

Each remedy becomes a normal run directory (kind ``mitigated``, manifest ``mitigates``: the base
run's id, ``mitigation``: the method and its settings) holding the remedied model or decisions,
the audits that apply re-run on them through the registry, and the ``mitigation`` audit: the
base model and the remedy on the same evaluation rows. ``method="all"`` writes one such run per
remedy and one more that compares them all. Every check of the request happens before the
first run directory is made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from nnaudit.audits import BY_NAME, Need
from nnaudit.errors import UserInputError
from nnaudit.inputs import AuditInputs
from nnaudit.mitigation._base import (ALL, BLACKBOX, BaseRun, Outcome, check_method,
                                      manifest_extras, open_base)
from nnaudit.mitigation._result import Evaluation, mitigation_result
from nnaudit.mitigation._schemas import TABLES
from nnaudit.mitigation._thresholds import check_constraint
from nnaudit.pipeline import RunInterrupted
from nnaudit.store import Run, RunWriter, check_writable_folder


def mitigate(run: Run | Path | str, method: str = "threshold", *, constraint: str | None = None,
             attribute: str | list[str] | None = None, out: Path | str | None = None,
             predictions: Path | str | None = None, device: str | None = None,
             on_stage: Callable[[str], None] | None = None,
             on_epoch: Callable[[dict], None] | None = None) -> Run:
    """Apply a fairness remedy to ``run`` and compare it with the run's own model.

    Parameters
    ----------
    run : a run directory (or `Run`): a complete trained run (``nnaudit run``), or a black-box
        run of scored predictions (``nnaudit fairness --score``) with ``predictions``.
    method : ``threshold`` (fairlearn's ThresholdOptimizer on the model's scores: Hardt, Price
        & Srebro 2016), ``resample`` (retrain drawing each group equally often), ``reweight``
        (retrain with loss weights inverse to group frequency) or ``all`` (each that applies,
        and one comparison of them all).
    constraint : the threshold method's fairlearn constraint (default ``equalized_odds``; see
        `nnaudit.mitigation.CONSTRAINTS`).
    attribute : the sensitive attribute(s) to balance, comma-separated or a list; default all
        of the run's (their intersection).
    out : folder of the new run directories; default the base run's folder.
    predictions : a black-box run's predictions file, read again for its rows.
    device : ``auto``, ``cpu``, ``cuda``...; default the base run's (a base run whose ``auto``
        chose the CPU is retrained on the CPU).

    Returns
    -------
    Run
        The mitigated run (for ``all``, the run that compares every remedy).
    """
    from nnaudit.train import cpu_threads
    from nnaudit.mitigation._blackbox import blackbox_outcomes
    from nnaudit.mitigation._trained import trained_outcomes
    from nnaudit.pipeline import run_device

    stage = on_stage or (lambda _name: None)
    check_method(method)
    if constraint is not None:
        check_constraint(constraint)
    base = open_base(run)
    overrides = {"out": str(out if out is not None else base.run.path.parent)}
    overrides["device"] = remedy_device(device, base.config.device, base.run.manifest.get("device"))
    base.config = base.config.from_dict({**base.config.to_dict(), **overrides})
    if base.kind != BLACKBOX and predictions is not None:
        raise UserInputError(f"--predictions is for black-box runs; run {base.run.name} was "
                             "trained by nnaudit and is mitigated on its own data and model.")
    check_writable_folder(Path(base.config.out))  # a read-only --out, before any training
    # The remedy's trainings and audits on the base run's threads ([compute] cpu_threads).
    with cpu_threads(base.config.compute.cpu_threads, run_device(base.config)):
        try:  # Ctrl-C before the first run directory exists leaves nothing behind
            if base.kind == BLACKBOX:
                evaluation, outcomes, skipped = blackbox_outcomes(
                    base, method, constraint=constraint, attribute=attribute,
                    predictions=predictions)
            else:
                evaluation, outcomes, skipped = trained_outcomes(
                    base, method, constraint=constraint, attribute=attribute, on_stage=stage,
                    on_epoch=on_epoch)
        except KeyboardInterrupt:
            raise RunInterrupted(None, False) from None
        protocol = {"base_run": base.run_id, **({"not_applicable": skipped} if skipped else {})}
        results = [mitigation_result(evaluation, [outcome.remedy], protocol=protocol,
                                     base_training_kwh=base.training_kwh)
                   for outcome in outcomes]
        comparison = (mitigation_result(evaluation, [o.remedy for o in outcomes],
                                        protocol=protocol, base_training_kwh=base.training_kwh)
                      if method == ALL else None)
        paths = [_write_run(base, outcome, result, stage)
                 for outcome, result in zip(outcomes, results)]
    if comparison is None:
        return Run.open(paths[0])
    return Run.open(_write_comparison(base, evaluation, outcomes[0].card, comparison, paths))


def remedy_device(requested: str | None, configured: str, base_ran_on: str | None) -> str:
    """The device setting of a remedy's run: the one asked for, else the base run's. A base run
    whose ``auto`` chose the CPU stays on the CPU: ``auto`` on another machine could pick a GPU
    (bf16, CUDA graphs), and the remedy must be the only difference from the base run."""
    if requested is not None:
        return requested
    if configured == "auto" and str(base_ran_on).startswith("cpu"):
        return "cpu"
    return configured


def _write_run(base: BaseRun, outcome: Outcome, result, stage) -> Path:
    """One remedy's run directory: its model or decisions, its audits, the comparison."""
    from nnaudit.pipeline import (recording, run_audits, run_device, write_counts,
                                  write_predictions, write_reports)

    config = base.config
    writer = RunWriter.create(config.out, _slug(base, outcome.remedy.method), config.to_dict())
    manifest = _manifest(base, outcome.settings, outcome.card, outcome.record)
    manifest.update({"metrics": outcome.metrics, "timings": dict(outcome.timings)})
    with recording(writer, manifest, resumable=False):
        if outcome.model is not None:
            writer.write_model(outcome.model)
            writer.write_table("history.parquet", outcome.history)
        if outcome.rows_kept:
            write_predictions(writer, outcome.predictions)
        else:
            write_counts(writer, outcome.predictions.counts)
        writer.write_audit(result, TABLES)
        device = run_device(config) if outcome.model is not None else None
        inputs = AuditInputs(config, device, outcome.dataset, outcome.predictions,
                             outcome.model, trained_on_train_split=outcome.model is not None)
        run_audits(writer, inputs, outcome.meter, manifest, stage,
                   not_applicable=_repeats_of_base(outcome, base.run_id))
        writer.finish(manifest)
    write_reports(writer.path, config)
    return writer.path


def _write_comparison(base: BaseRun, evaluation: Evaluation, card: dict, result,
                      paths: list[Path]) -> Path:
    """The run of ``method="all"``: the comparison of every remedy, linked to their runs."""
    from nnaudit.pipeline import recording, write_reports

    config = base.config
    writer = RunWriter.create(config.out, _slug(base, ALL), config.to_dict())
    manifest = _manifest(base, {"method": ALL, "runs": [p.name for p in paths],
                                "attributes": evaluation.attributes,
                                "evaluated_on": evaluation.evaluated_on}, card,
                         base.run.manifest.get("model", {}))
    with recording(writer, manifest, resumable=False):
        writer.write_audit(result, TABLES)
        writer.finish(manifest)
    write_reports(writer.path, config)
    return writer.path


def _slug(base: BaseRun, method: str) -> str:
    """``mitigate-<method>-<the base run's name or dataset>``."""
    return f"mitigate-{method}-{base.config.name or base.run.manifest['dataset']['name']}"


def _repeats_of_base(outcome: Outcome, base_id: str) -> dict[str, str]:
    """The configured audits that would only repeat the base run's result, and why.

    Thresholds change decisions, not the model: only the audits of predictions apply. A
    retrained model is audited afresh, except by the audits that retrain fresh copies of the
    architecture with the plain trainer (a factory), which would repeat the base run's.
    """
    reasons = {}
    for name, spec in BY_NAME.items():
        if outcome.model is None and not spec.needs <= {Need.PREDICTIONS, Need.GROUPS}:
            reasons[name] = (f"{spec.what} examines the model, which thresholds do not change: "
                             f"the base run {base_id} holds its result.")
        elif outcome.model is not None and Need.FACTORY in spec.needs:
            reasons[name] = (f"{spec.what} retrains fresh copies of the architecture without "
                             f"the remedy: the base run {base_id} holds its result.")
    return reasons


def _manifest(base: BaseRun, settings: dict, card: dict, record: dict) -> dict:
    from nnaudit.pipeline import new_manifest, run_device

    device = (run_device(base.config) if base.kind != BLACKBOX else
              "none (thresholds on the scores of a predictions file)")
    return {**new_manifest("mitigated", base.config, device,
                           base.run.manifest["dataset"]["name"], card, record),
            **manifest_extras(base, settings)}
