"""Thresholds for a black-box run: fitted on one half of its predictions, judged on the other.

A black-box run keeps counts, not rows, and thresholds need rows: the user gives the
predictions file again (``--predictions FILE``), which must count to exactly the run's cells.
The rows are split in two at random (seeded), within each intersection of the groups and each
label, so both halves hold every group's positives and negatives: the thresholds are fitted on
one half and every number of the comparison comes from the other.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from nnaudit.errors import UserInputError
from nnaudit.mitigation._base import (BaseRun, Decisions, Outcome, choose_attributes,
                                      choose_constraint, choose_methods, group_labels,
                                      own_energy, remedy_settings, threshold_label,
                                      with_attribute_columns)
from nnaudit.mitigation._compare import DecisionSpace, Remedy
from nnaudit.mitigation._findings import FITTED_ON_HALF, GROUP_AT_DECISION
from nnaudit.mitigation._result import Evaluation
from nnaudit.mitigation._thresholds import CONSTRAINTS, check_fitting_rows, fit_thresholds
from nnaudit.results import Finding
from nnaudit.store import lookup


def blackbox_outcomes(base: BaseRun, method: str, *, constraint: str | None, attribute,
                      predictions: Path | str | None
                      ) -> tuple[Evaluation, list[Outcome], dict[str, str]]:
    """The threshold remedy of a black-box run, from the predictions file it counted."""
    from nnaudit.engines import load_predictions
    from nnaudit.pipeline import energy_meter, timed

    config, name = base.config, base.run.name
    card = lookup(base.run.manifest, "dataset", "card") or {}
    columns = card.get("columns") or {}
    methods, skipped = choose_methods(method, base, binary=True)
    constraint = choose_constraint(constraint, methods)
    attributes = choose_attributes(attribute, list(columns.get("groups") or []), name)
    if predictions is None:
        raise UserInputError(f"run {name} is a black-box run, which keeps counts, not rows: "
                             "give the predictions file it was made from (--predictions FILE).")
    if not columns.get("score"):
        raise UserInputError(f"thresholds need scores, and black-box run {name} was audited "
                             f"from predicted labels (column {columns.get('pred')!r}) without "
                             "a score column.")
    fairness = lookup(base.run.manifest, "audits", "fairness", "protocol") or {}
    rows = load_predictions(predictions, label=columns["label"], score=columns["score"],
                            threshold=fairness.get("threshold"), groups=columns["groups"],
                            positive=fairness.get("positive"))
    _check_same_rows(rows.counts, base, predictions)

    space = DecisionSpace.of(rows.classes, rows.positive, rows.threshold)
    y = pd.Index(space.classes).get_indexer(rows.y_true).astype(np.int64)
    labels = group_labels(rows.groups, attributes)
    fit = split_halves(group_labels(rows.groups, list(rows.groups.columns)), y, config.seed)
    source = str(predictions)
    is_positive = y == space.positive
    where = f"the fitting half of {source}"
    check_fitting_rows(is_positive[fit], labels[fit], constraint, where=where,
                       evaluated=labels[~fit])

    meter, clock = energy_meter(config), {"timings": {}}
    with timed(clock, "fitting"), meter.phase("fitting"):
        fitted = fit_thresholds(rows.scores[fit], is_positive[fit], labels[fit],
                                constraint=constraint, where=where)
    decisions = space.from_positive(fitted.decide(rows.scores[~fit], labels[~fit], config.seed))
    held_out = rows.groups[~fit].reset_index(drop=True)
    n_fit, n_eval = int(fit.sum()), int((~fit).sum())
    evaluated_on = f"the other half of {source} ({n_eval} rows)"
    kwh, label = own_energy(meter, "fitting")
    remedy = Remedy(
        "threshold", threshold_label(constraint), decisions, CONSTRAINTS[constraint],
        f"half of {source} ({n_fit} rows)", constraint=constraint, extra_kwh=kwh,
        energy_label=label, seconds=clock["timings"]["fitting"],
        thresholds=with_attribute_columns(fitted.table(), rows.groups, attributes),
        notes=[Finding(FITTED_ON_HALF, {"fit_rows": n_fit, "source": source,
                                        "eval_rows": n_eval, "seed": config.seed}),
               Finding(GROUP_AT_DECISION, {"attributes": ", ".join(attributes)}, "warning")])
    outcome = Outcome(
        remedy, Decisions(y[~fit], decisions, space, held_out), meter,
        record={**base.run.manifest.get("model", {}), "name": "black box + thresholds by group"},
        settings=remedy_settings(remedy, attributes, config.seed, evaluated_on),
        card={**card, "size": {"fit": n_fit, "test": n_eval},
              "limits": [*card.get("limits", []),
                         f"Thresholds were fitted on {n_fit} rows of {source}; this run's "
                         f"audits cover the other {n_eval} rows only."]},
        metrics={"test_accuracy": float(np.mean(decisions == y[~fit]))}, rows_kept=False,
        timings=clock["timings"])
    evaluation = Evaluation(
        y_true=y[~fit], before=space.from_positive(rows.scores[~fit] >= space.threshold),
        groups=held_out, space=space, attributes=attributes, evaluated_on=evaluated_on,
        min_group_size=config.fairness.min_group_size, n_boot=config.fairness.n_boot,
        seed=config.seed)
    return evaluation, [outcome], skipped


def split_halves(cells: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """(N,) True for the fitting half: in random order within each (cell, label) stratum,
    every other row (a stratum of n rows gives ceil(n / 2) to fitting)."""
    strata = pd.factorize(pd.Series(cells, dtype=object) + "\0" + pd.Series(y).astype(str))[0]
    order = np.random.default_rng(seed).permutation(len(strata))
    ranked = order[np.argsort(strata[order], kind="stable")]
    sorted_strata = strata[ranked]
    within = np.arange(len(ranked)) - np.searchsorted(sorted_strata, sorted_strata, side="left")
    fit = np.zeros(len(strata), dtype=bool)
    fit[ranked[within % 2 == 0]] = True
    return fit


def _check_same_rows(counts, base: BaseRun, predictions: Path | str) -> None:
    """The file must count to the run's own cells: the same rows, groups and decisions."""
    stored = base.run.cell_counts()
    mine = counts.to_tables()["cell_counts"]
    if stored is None or not _canonical(stored).equals(_canonical(mine)):
        size = lookup(base.run.manifest, "dataset", "card", "size", "test")
        raise UserInputError(f"{predictions} does not hold the predictions run {base.run.name} "
                             f"counted ({counts.n} rows against {size}, or other counts per "
                             "group): give the file the run was made from.")


def _canonical(table: pd.DataFrame) -> pd.DataFrame:
    table = table.astype({c: str for c in table.columns if c != "n"}).astype({"n": np.int64})
    return table[sorted(table.columns)].sort_values(sorted(table.columns)).reset_index(drop=True)
