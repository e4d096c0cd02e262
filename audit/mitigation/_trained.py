"""Remedies of a run nnaudit trained: thresholds fitted on its validation split, retrainings.

Every remedy is evaluated on the run's test split, which none of them learns from: thresholds
are fitted on the validation split's scores, retrainings on the training split.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from nnaudit.errors import UserInputError
from nnaudit.mitigation._base import (BaseRun, Decisions, Outcome, choose_attributes,
                                      choose_constraint, choose_methods, group_labels,
                                      own_energy, remedy_settings, threshold_label,
                                      with_attribute_columns)
from nnaudit.mitigation._compare import DecisionSpace, Remedy
from nnaudit.mitigation._findings import FITTED_ON_VALIDATION, GROUP_AT_DECISION
from nnaudit.mitigation._result import Evaluation
from nnaudit.mitigation._retrain import RETRAINING, retrain
from nnaudit.mitigation._thresholds import CONSTRAINTS, check_fitting_rows, fit_thresholds
from nnaudit.results import Finding

# What a retraining learns from, after "the training split (N rows)".
RETRAINED_ON = {
    "resample": "each group of {attributes} drawn equally often",
    "reweight": "each example's loss weighted by the inverse of its group's frequency",
}


def trained_outcomes(base: BaseRun, method: str, *, constraint: str | None,
                     attribute, on_stage: Callable[[str], None],
                     on_epoch=None) -> tuple[Evaluation, list[Outcome], dict[str, str]]:
    """The remedies ``method`` names, computed on the base run's own data and model.

    Returns the evaluation rows (the test split, decided by the base model), one `Outcome`
    per remedy, and why the other methods of ``all`` do not apply.
    """
    from nnaudit.pipeline import load_configured_dataset, run_device
    from nnaudit.train import predict_proba
    from nnaudit.user_model import load_user_model

    config = base.config
    on_stage("data")
    dataset = load_configured_dataset(config)
    attributes = choose_attributes(attribute, dataset.sensitive, base.run.name)
    space = DecisionSpace.of(dataset.classes,
                             config.fairness.positive or dataset.positive_class or None,
                             config.fairness.threshold)
    methods, skipped = choose_methods(method, base, binary=space.binary)
    constraint = choose_constraint(constraint, methods)
    _check_same_test_split(dataset, base)
    if "threshold" in methods:  # refused before any work
        check_fitting_rows(space.labels(dataset.val.y.numpy()) == space.positive,
                           group_labels(dataset.val.groups, attributes), constraint,
                           where="the validation split",
                           evaluated=group_labels(dataset.test.groups, attributes))
    device = run_device(config)
    model = load_user_model(base.run.path, input_shape=dataset.input_shape,
                            num_classes=dataset.num_classes).model.to(device).eval()
    outcomes = []
    if "threshold" in methods:
        on_stage("fitting thresholds")
        outcome, base_probs = _thresholds(base, dataset, model, device, space, attributes,
                                          constraint)
        outcomes.append(outcome)
    else:
        base_probs = predict_proba(model, dataset.test, device).numpy()
    for name in (m for m in methods if m in RETRAINING):
        on_stage("training")  # the progress bar counts its epochs
        outcomes.append(_retrained(name, base, dataset, device, space, attributes, on_epoch))
    evaluation = Evaluation(
        y_true=space.labels(dataset.test.y.numpy()), before=space.decide(base_probs),
        groups=dataset.test.groups, space=space, attributes=attributes,
        evaluated_on=evaluated_on(dataset),
        min_group_size=config.fairness.min_group_size, n_boot=config.fairness.n_boot,
        seed=config.seed)
    return evaluation, outcomes, skipped


def _check_same_test_split(dataset, base: BaseRun) -> None:
    """The dataset loaded again must give the run's test split: the same labels and groups."""
    stored = base.run.predictions()
    if stored is None:
        raise UserInputError(f"run {base.run.name} has no predictions.parquet, so its test "
                             "split cannot be checked: it cannot be mitigated.")
    same = len(stored) == len(dataset.test) and \
        np.array_equal(stored["y_true"].to_numpy(), dataset.test.y.numpy()) and \
        all(name in stored and np.array_equal(stored[name].astype(str).to_numpy(),
                                              dataset.test.groups[name].astype(str).to_numpy())
            for name in dataset.sensitive)
    if not same:
        raise UserInputError(f"dataset {dataset.name!r} no longer gives the test split of run "
                             f"{base.run.name} (its labels or groups differ): the data changed "
                             "since the run, so its model cannot be compared with a remedy.")


def _thresholds(base: BaseRun, dataset, model, device, space: DecisionSpace,
                attributes: list[str], constraint: str) -> tuple[Outcome, np.ndarray]:
    """Thresholds per group fitted on the validation split's scores, applied to the test
    split's. Returns the outcome and the base model's test probabilities."""
    from nnaudit.pipeline import energy_meter, timed
    from nnaudit.train import predict_proba

    config = base.config
    meter, clock = energy_meter(config), {"timings": {}}
    is_positive = space.labels(dataset.val.y.numpy()) == space.positive
    with timed(clock, "fitting"), meter.phase("fitting"):
        scores = predict_proba(model, dataset.val, device).numpy()[:, space.source_positive]
        fitted = fit_thresholds(scores, is_positive, group_labels(dataset.val.groups, attributes),
                                constraint=constraint, where="the validation split")
    with timed(clock, "inference"), meter.phase("inference", items=len(dataset.test)):
        probs = predict_proba(model, dataset.test, device).numpy()
        decisions = space.from_positive(fitted.decide(
            probs[:, space.source_positive], group_labels(dataset.test.groups, attributes),
            config.seed))
    kwh, label = own_energy(meter, "fitting")
    fitted_on = f"the validation split ({len(dataset.val)} rows)"
    remedy = Remedy(
        "threshold", threshold_label(constraint), decisions, CONSTRAINTS[constraint], fitted_on,
        constraint=constraint, extra_kwh=kwh, energy_label=label,
        seconds=clock["timings"]["fitting"],
        thresholds=with_attribute_columns(fitted.table(), dataset.val.groups, attributes),
        notes=[Finding(FITTED_ON_VALIDATION, {"fit_rows": len(dataset.val),
                                              "eval_rows": len(dataset.test)}),
               Finding(GROUP_AT_DECISION, {"attributes": ", ".join(attributes)}, "warning")])
    predictions = Decisions(space.labels(dataset.test.y.numpy()), decisions, space,
                            dataset.test.groups, dataset.train.groups)
    record = {**base.run.manifest.get("model", {}),
              "name": f"{base.run.manifest['model']['name']} + thresholds by group"}
    return Outcome(remedy, predictions, meter, record,
                   settings=remedy_settings(remedy, attributes, config.seed, evaluated_on(dataset)),
                   card=dataset.card, metrics=predictions.metrics(),
                   timings=clock["timings"]), probs


def _retrained(method: str, base: BaseRun, dataset, device, space: DecisionSpace,
               attributes: list[str], on_epoch) -> Outcome:
    """The architecture trained again with ``method``, and its test predictions."""
    from nnaudit.pipeline import ModelPredictions, energy_meter, timed, training_metrics
    from nnaudit.train import predict_proba

    config = base.config
    meter, clock = energy_meter(config), {"timings": {}}
    with timed(clock, "training"), meter.phase("training"):
        trained = retrain(method, dataset, config, device, attributes, on_epoch=on_epoch)
    with timed(clock, "inference"), meter.phase("inference", items=len(dataset.test)):
        probs = predict_proba(trained.model, dataset.test, device).numpy()
    predictions = ModelPredictions(
        y_true=dataset.test.y.numpy(), probs=probs, classes=dataset.classes,
        groups=dataset.test.groups, positive=config.fairness.positive or dataset.positive_class
        or None, threshold=config.fairness.threshold, training_groups=dataset.train.groups)
    kwh, label = own_energy(meter, "training")
    fitted_on = (f"the training split ({len(dataset.train)} rows), "
                 + RETRAINED_ON[method].format(attributes=" x ".join(attributes)))
    remedy = Remedy(method, method, space.decide(probs), ("error_rate",), fitted_on,
                    extra_kwh=kwh, energy_label=label, seconds=clock["timings"]["training"])
    return Outcome(remedy, predictions, meter, {**base.run.manifest.get("model", {})},
                   settings=remedy_settings(remedy, attributes, config.seed, evaluated_on(dataset)),
                   card=dataset.card,
                   metrics={**predictions.metrics(), **training_metrics(trained)},
                   model=trained.model.eval(), history=trained.history, dataset=dataset,
                   timings=clock["timings"])


def evaluated_on(dataset) -> str:
    return f"the test split ({len(dataset.test)} rows)"
