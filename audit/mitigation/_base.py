"""The run a mitigation starts from, and the choices checked against it before any work.

Everything here only reads: a refused request leaves no run directory behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nnaudit.config import RunConfig
from nnaudit.energy import combined_label
from nnaudit.errors import UserInputError
from nnaudit.mitigation._compare import DecisionSpace, Remedy
from nnaudit.mitigation._retrain import RETRAINING
from nnaudit.mitigation._thresholds import DEFAULT_CONSTRAINT, check_constraint
from nnaudit.store import Run, lookup

METHODS = ("threshold", *RETRAINING)
ALL = "all"
# The kinds of run a remedy can start from: a model nnaudit trained, or scored predictions.
TRAINED, BLACKBOX = "trained", "blackbox"


@dataclass
class BaseRun:
    """A complete trained or black-box run, and its resolved config."""

    run: Run
    config: RunConfig

    @property
    def kind(self) -> str:
        return self.run.manifest["kind"]

    @property
    def run_id(self) -> str:
        return str(self.run.manifest.get("run_id") or self.run.name)

    @property
    def training_kwh(self) -> float | None:
        """The base run's own training energy, when it was measured."""
        value = lookup(self.run.manifest, "audits", "energy", "summary", "training_kwh")
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
            else None


@dataclass
class Outcome:
    """One remedy, computed and ready to be written as a mitigated run.

    predictions: what the run's audits read (`nnaudit.inputs.Predictions`);
    rows_kept: whether they are written as predictions.parquet (never a black-box file's
    rows); meter: the `nnaudit.energy.EnergyMeter` that measured the remedy; model, history,
    dataset: the retrained model, its training history and its data (None for thresholds);
    record: the manifest's ``model``; settings: its ``mitigation``; card: the dataset card.
    """

    remedy: Remedy
    predictions: Any
    meter: Any
    record: dict[str, Any]
    settings: dict[str, Any]
    card: dict[str, Any]
    metrics: dict[str, Any]
    rows_kept: bool = True
    model: Any = None
    history: Any = None
    dataset: Any = None
    timings: dict[str, float] = field(default_factory=dict)


def open_base(path: Run | Path | str) -> BaseRun:
    """The run at ``path``, refused in one sentence unless it is a complete trained or
    black-box run."""
    run = Run.open(path.path if isinstance(path, Run) else path)
    if not run.is_complete:
        raise UserInputError(f"{run.path} is not a complete run ({run.problem}); only a "
                             "finished run can be mitigated.")
    kind = run.manifest.get("kind")
    if kind == "mitigated":
        raise UserInputError(f"run {run.name} is itself a mitigated run (of "
                             f"{run.manifest.get('mitigates', 'another run')}); mitigate its "
                             "base run instead.")
    if kind not in (TRAINED, BLACKBOX):
        raise UserInputError(f"run {run.name} is a {kind or 'different'} run: a remedy needs "
                             "the run that trained the model (nnaudit run) or a black-box run "
                             "of scored predictions (nnaudit fairness).")
    if kind == TRAINED and not run.file("model.pt").is_file():
        raise UserInputError(f"run {run.name} has no model.pt: its model cannot be mitigated.")
    config = RunConfig.from_dict(run.config, source=f"{run.name}/config.toml")
    return BaseRun(run, config)


def check_method(method: str) -> str:
    if method not in (*METHODS, ALL):
        raise UserInputError(f"unknown method {method!r}; choose from: "
                             f"{', '.join((*METHODS, ALL))}.")
    return method


def choose_methods(method: str, base: BaseRun, *, binary: bool) -> tuple[list[str], dict]:
    """The remedies ``method`` names for this run, and why others of ``all`` do not apply."""
    check_method(method)
    reasons = {}
    if base.kind == BLACKBOX:
        for name in RETRAINING:
            reasons[name] = (f"{name} retrains the model, and black-box run {base.run.name} "
                             "has none: use --method threshold.")
    if not binary:
        reasons["threshold"] = (f"threshold needs a binary decision, and run {base.run.name} "
                                "has more than two classes and no positive class "
                                "(fairness.positive): use --method resample or reweight.")
    if method != ALL:
        if method in reasons:
            raise UserInputError(reasons[method])
        return [method], {}
    chosen = [name for name in METHODS if name not in reasons]
    return chosen, {name: reason for name, reason in reasons.items() if name in METHODS}


def choose_constraint(constraint: str | None, methods: list[str]) -> str | None:
    """The threshold constraint (fairlearn's name), None when no threshold is fitted."""
    if constraint is not None:
        check_constraint(constraint)
        if "threshold" not in methods:
            raise UserInputError(f"--constraint {constraint} applies to the threshold method "
                                 f"only, not to {', '.join(methods)}.")
        return constraint
    return DEFAULT_CONSTRAINT if "threshold" in methods else None


def choose_attributes(attribute: str | list[str] | None, available: list[str],
                      run_name: str) -> list[str]:
    """The sensitive attributes to mitigate for (comma-separated or a list; default all)."""
    if not available:
        raise UserInputError(f"run {run_name} has no sensitive attribute: there is no group to "
                             "mitigate for.")
    if attribute is None:
        return list(available)
    names = ([a.strip() for a in attribute.split(",") if a.strip()]
             if isinstance(attribute, str) else [str(a) for a in attribute])
    for name in names:
        if name not in available:
            raise UserInputError(f"attribute {name!r} is not a sensitive attribute of run "
                                 f"{run_name} (its attributes: {', '.join(available)}).")
    if not names:
        raise UserInputError("--attribute names no attribute.")
    return [name for name in available if name in names]  # the fairness tables' order


def group_labels(groups, attributes: list[str]):
    """Each row's subgroup of ``attributes``, labelled as the fairness tables label it."""
    return groups[attributes].astype(str).agg(" x ".join, axis=1).to_numpy(dtype=object)


def threshold_label(constraint: str) -> str:
    return f"threshold ({constraint})"


def manifest_extras(base: BaseRun, settings: dict[str, Any]) -> dict[str, Any]:
    """The fields that link a mitigated run to its base run."""
    return {"kind": "mitigated", "mitigates": base.run_id, "mitigation": settings}


@dataclass
class Decisions:
    """Decisions without scores (a threshold remedy flips coins between two thresholds), in
    the form the audits and the store read predictions."""

    y_true: np.ndarray
    y_pred: np.ndarray
    space: DecisionSpace
    groups: pd.DataFrame
    training_groups: pd.DataFrame | None = None

    @property
    def attributes(self) -> list[str]:
        return [str(c) for c in self.groups.columns]

    @cached_property
    def counts(self):
        from nnaudit.fairness import count_rows

        return count_rows(self.y_true, self.y_pred, self.groups, classes=self.space.classes,
                          positive=self.space.positive_name)

    def frame(self) -> pd.DataFrame:
        from nnaudit.pipeline import predictions_frame

        return predictions_frame(self.y_true, self.y_pred, None, self.space.classes, self.groups)

    def metrics(self) -> dict[str, float]:
        """The manifest's accuracy. Folded decisions ("7 or not" from a 10-class model) are not
        the model's accuracy over its classes, which the base run records as ``test_accuracy``:
        they get their own key, so a comparison never subtracts one from the other."""
        accuracy = float(np.mean(self.y_true == self.y_pred))
        return {"decision_accuracy" if self.space.folded else "test_accuracy": accuracy}


def own_energy(meter, phase: str) -> tuple[float | None, str]:
    """The energy of ``meter``'s phase (kWh, None when not measured) and its label."""
    records = [r for r in meter.phases if r.phase == phase]
    known = [r.energy_kwh for r in records if r.energy_kwh is not None]
    return sum(known) if known else None, combined_label(records)


def remedy_settings(remedy: Remedy, attributes: list[str], seed: int,
                    evaluated_on: str) -> dict[str, Any]:
    """The manifest's ``mitigation``: what was done, learned from which rows, judged on which."""
    return {"method": remedy.method, "constraint": remedy.constraint, "attributes": attributes,
            "fitted_on": remedy.fitted_on, "evaluated_on": evaluated_on, "seed": seed}


def with_attribute_columns(table: pd.DataFrame, groups: pd.DataFrame,
                           attributes: list[str]) -> pd.DataFrame:
    """A table keyed by ``subgroup`` label, with one column per attribute beside it."""
    values = groups[attributes].astype(str).drop_duplicates()
    values.insert(0, "subgroup", group_labels(values, attributes))
    return table.merge(values, on="subgroup", how="left")
