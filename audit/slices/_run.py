"""The pipeline's entry point: ``run(inputs) -> AuditResult`` (the audit registry's contract)."""

from __future__ import annotations

from nnaudit.errors import UserInputError
from nnaudit.inputs import AuditInputs
from nnaudit.results import AuditResult


def run(inputs: AuditInputs) -> AuditResult:
    """Slices of a model's test predictions, over the columns that travel with them.

    A model's predictions (`nnaudit.pipeline.ModelPredictions`) carry their rows; counted
    predictions (a black-box fairness run) only their cells, and are refused with the reason
    (`nnaudit slices` searches a predictions file itself).
    """
    from nnaudit.engines import read_slice_data
    from nnaudit.slices._audit import slices_audit

    predictions = inputs.predictions
    if not hasattr(predictions, "frame"):
        raise UserInputError("the slice search needs the predictions' rows; counted predictions "
                             "keep only their cells (use `nnaudit slices --predictions FILE`)")
    frame = predictions.frame()
    columns = [str(c) for c in predictions.groups.columns]
    if not columns:
        raise UserInputError("the slice search needs columns beside the label and prediction")
    data = read_slice_data(frame[["label", "prediction", *columns]], label="label",
                           pred="prediction", columns=columns,
                           positive=predictions.positive)
    return slices_audit(data, sensitive=list(inputs.dataset.sensitive) if inputs.dataset
                        else columns)
