"""The memorization audit's numbers in the layout of Zhang et al. (2016), Table 1.

One row per condition: true labels, random labels (and random pixels when the protocol ran
them), each label-noise level, then the regularizer ablation's other settings; yes/no columns
for data augmentation, dropout and weight decay as in the course's table; train and test
accuracy in percent and the epochs it took to fit the training set.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from nnaudit.messages import N_
from nnaudit.reports.course_table import Cell, Column, CourseTable, Row
from nnaudit.reports.formatting import Formatter

SOURCE = ("Zhang, C., Bengio, S., Hardt, M., Recht, B. & Vinyals, O. (2017). Understanding deep "
          "learning requires rethinking generalization. ICLR 2017.")
# The conditions of the random_labels table, and the ablation's label kinds by the same names.
CONDITIONS = (N_("true labels"), N_("random labels"), N_("random pixels"))
LABELS = {"true": CONDITIONS[0], "random": CONDITIONS[1]}
REGULARIZERS = (("augment", N_("Data augmentation")), ("dropout", N_("Dropout")),
                ("weight_decay", N_("Weight decay")))


def zhang_table(tables: dict[str, pd.DataFrame], protocol: dict[str, Any],
                fmt: Formatter) -> CourseTable | None:
    """The table from the memorization audit's tables and protocol; None without them."""
    _ = fmt.gettext
    conditions = tables.get("random_labels")
    if conditions is None or conditions.empty:
        return None
    base = _base_settings(protocol)
    rows = [_row(_(str(r["condition"])), base, r, fmt) for _i, r in conditions.iterrows()]
    sweep = tables.get("noise_sweep")
    if sweep is not None:  # 0 and 1 are the true- and random-label rows above
        for _i, r in sweep[(sweep["fraction"] > 0) & (sweep["fraction"] < 1)].iterrows():
            label = fmt.sentence(N_("{fraction_pct} of labels random"), fraction_pct=r["fraction"])
            rows.append(_row(label, base, r, fmt))
    ablation = tables.get("regularizer_ablation")
    if ablation is not None:  # the rows with the base settings are the ones above
        for _i, r in ablation.iterrows():
            settings = {key: r[key] for key, _name in REGULARIZERS}
            if _switches(settings) != _switches(base):
                rows.append(_row(_(LABELS.get(str(r["labels"]), str(r["labels"]))), settings,
                                 r, fmt))
    columns = [Column(_(name)) for _key, name in REGULARIZERS] + [
        Column(_("Train accuracy (%)")), Column(_("Test accuracy (%)")),
        Column(_("Epochs to fit"))]
    notes = [fmt.sentence(
        N_("\"Fit\" means {target_pct} training accuracy; a run that did not reach it within "
           "{budget} epochs shows the epochs it ran."),
        target_pct=protocol.get("target_train_acc", float("nan")),
        budget=protocol.get("epoch_budget", float("nan")))]
    if protocol.get("n_train_used"):
        notes.append(fmt.sentence(N_("Each model was trained on {n} training images."),
                                  n=protocol["n_train_used"]))
    return CourseTable("zhang", _("Fitting random labels (Zhang et al. layout)"), SOURCE,
                       _("Condition"), columns, rows, notes)


def _base_settings(protocol: dict[str, Any]) -> dict[str, Any]:
    """The regularizers of the true-label, random-label and noise runs: the audited training's."""
    train = protocol.get("train_config") or {}
    options = protocol.get("model_options") or {}
    return {"augment": train.get("augment"), "dropout": options.get("dropout", 0.0),
            "weight_decay": train.get("weight_decay")}


def _switches(settings: dict[str, Any]) -> tuple[bool | None, ...]:
    return tuple(None if settings[key] is None else bool(settings[key])
                 for key, _name in REGULARIZERS)


def _row(label: str, settings: dict[str, Any], record: pd.Series, fmt: Formatter) -> Row:
    switches = [Cell(fmt.number(on)) for on in _switches(settings)]
    if bool(record.get("reached_target")):
        epochs = Cell(fmt.number(record["epochs_to_target"], "integer"))
    else:
        epochs = Cell(fmt.sentence(N_("not fitted in {epochs}"), epochs=int(record["epochs_run"])))
    return Row(label, [*switches, Cell(fmt.number(record["train_acc"], "points")),
                       Cell(fmt.number(record["test_acc"], "points")), epochs])
