"""The energy audit's numbers among the training costs published by Strubell et al. (2019).

The course's rows of Strubell, Ganesh & McCallum (2019), Table 3 (energy in kWh including
their data-centre PUE of 1.58, CO2e in lbs), with this run's training, its audits and a year of
inference at the configured rate inserted in the same units. Every row says where its numbers
come from: published, measured by an energy counter, or estimated from a power model.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from nnaudit.messages import N_
from nnaudit.reports.course_table import Cell, Column, CourseTable, Row
from nnaudit.reports.formatting import Formatter

SOURCE = ("Strubell, E., Ganesh, A. & McCallum, A. (2019). Energy and Policy Considerations for "
          "Deep Learning in NLP. ACL 2019, Table 3.")
KG_PER_LB = 0.45359237
# (model, kWh·PUE, CO2e in lbs), as printed in Table 3 of the paper.
PUBLISHED = (
    (N_("Transformer (65M parameters)"), 27, 26),
    (N_("Transformer (213M parameters)"), 201, 192),
    ("ELMo", 275, 262),
    ("BERT base", 1507, 1438),
    (N_("Transformer (213M) with neural architecture search"), 656_347, 626_155),
)
DAYS_PER_YEAR = 365
SOURCES = {"measured": N_("measured"), "estimated": N_("estimated"),
           "mixed": N_("partly measured"), "published": N_("published")}


def strubell_table(tables: dict[str, pd.DataFrame], fmt: Formatter) -> CourseTable | None:
    """The table from the energy audit's ``phases`` and ``inference`` tables; None without
    them."""
    _ = fmt.gettext
    phases = tables.get("phases")
    if phases is None or phases.empty:
        return None
    rows = [_row(_(model), kwh, lbs * KG_PER_LB, "published", fmt)
            for model, kwh, lbs in PUBLISHED]
    ran = phases[phases["status"] != "skipped"]
    training = ran[ran["phase"] == "training"]
    if len(training):
        rows.append(_own(_("This model: training"), training, fmt))
    audits = ran[ran["phase"].str.startswith("audit:")]
    if len(audits):
        rows.append(_own(_("This run: the audits"), audits, fmt))
    notes = [_("Published energy includes a data-centre overhead (PUE) of 1.58; this run's "
               "figures are the machine's own, without it.")]
    inference = tables.get("inference")
    if inference is not None and len(inference):
        projection = inference.iloc[0]
        per_day = float(projection["predictions_per_day"])
        kg_per_day = float(projection["kg_co2eq_per_1000"]) / 1000 * per_day
        label = fmt.sentence(N_("This model: a year of inference at {per_day} predictions a day"),
                             per_day=int(per_day))
        rows.append(_row(label, float(projection["kwh_per_day"]) * DAYS_PER_YEAR,
                         kg_per_day * DAYS_PER_YEAR, "estimated", fmt, emphasis=True))
        notes.append(_("A year of inference is projected from the energy measured for the test "
                       "predictions."))
    columns = [Column(_("Source of the figures")), Column(_("Energy (kWh)")), Column(_("CO2e (lbs)")),
               Column(_("CO2e (kg)"))]
    return CourseTable("strubell", _("Energy and CO2e against published models (Strubell et al. "
                                     "layout)"), SOURCE, _("Model"), columns, rows, notes)


def _own(label: str, phases: pd.DataFrame, fmt: Formatter) -> Row:
    labels = set(phases["label"])
    source = labels.pop() if len(labels) == 1 else "mixed"
    return _row(label, float(phases["energy_kwh"].sum()), float(phases["kg_co2eq"].sum()),
                source, fmt, emphasis=True)


def _row(label: str, kwh: Any, kg: Any, source: str, fmt: Formatter, *,
         emphasis: bool = False) -> Row:
    shown = fmt.gettext(SOURCES.get(source, source))
    return Row(label, [Cell(shown, source=source), Cell(fmt.number(kwh)),
                       Cell(fmt.number(kg / KG_PER_LB)), Cell(fmt.number(kg))],
               emphasis=emphasis)
