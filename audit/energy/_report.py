"""Turn an `EnergyMeter`'s phase records into the energy `AuditResult`.

Tables: ``phases`` (one row per phase and a ``total`` row), ``inference`` (energy and CO2 per
1,000 predictions and the days until inference costs as much as training) and ``equivalents``.
The inference projection follows Patterson et al. 2022 (IEEE Computer, "The Carbon Footprint of
Machine Learning Training Will Plateau, Then Shrink"): a deployed model's inference can outweigh
its training.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.figure import Figure

from nnaudit.energy._equivalents import EQUIVALENTS, equivalents_table
from nnaudit.energy._meter import ABSENT, COMPONENTS, ESTIMATED, MEASURED, PhaseRecord
from nnaudit.errors import UserInputError
from nnaudit.results import AuditResult, Finding

if TYPE_CHECKING:
    from nnaudit.energy._meter import EnergyMeter

TRAINING_PHASE = "training"
INFERENCE_PHASE = "inference"

PHASE_COLUMNS = ["phase", "status", "label", "reason", "duration_s", "items", "energy_kwh",
                 "cpu_kwh", "gpu_kwh", "ram_kwh", "kg_co2eq", "intensity_g_per_kwh",
                 "cpu_label", "gpu_label", "ram_label", "cpu_method", "gpu_method", "ram_method",
                 "cpu_model", "gpu_model"]


def inference_projection(training_kwh: float, kwh_per_1000: float,
                         predictions_per_day: float) -> float:
    """Days of inference at ``predictions_per_day`` after which its energy equals training's.

    ``days = training_kwh / (kwh_per_1000 / 1000 * predictions_per_day)``; ``inf`` when
    inference costs nothing per day. Since both phases run on the same grid, the same number
    of days holds for CO2.
    """
    if training_kwh < 0 or kwh_per_1000 < 0 or predictions_per_day < 0:
        raise ValueError("energies and predictions per day must be non-negative")
    kwh_per_day = kwh_per_1000 / 1000.0 * predictions_per_day
    return training_kwh / kwh_per_day if kwh_per_day > 0 else math.inf


def energy_result(meter: "EnergyMeter", predictions_per_day: float = 10_000) -> AuditResult:
    """The energy audit of ``meter``'s phases: tables, figure, findings, summary, protocol."""
    if not predictions_per_day > 0:
        raise UserInputError(
            f"Predictions per day must be a positive number, got {predictions_per_day}.")
    records = meter.phases
    phases = _phases_table(records)
    total = phases.iloc[-1]
    total_kwh = float(total["energy_kwh"])
    total_kg = float(total["kg_co2eq"])
    training_kwh = _sum_energy(records, TRAINING_PHASE)
    inference = _inference_table(records, training_kwh, predictions_per_day)
    equivalents = equivalents_table(total_kg)
    measured_kwh = sum((getattr(r, f"{c}_kwh") or 0.0) for r in records for c in COMPONENTS
                       if getattr(r, f"{c}_label") == MEASURED)
    # The processors carry the energy a model costs; CodeCarbon always models RAM on x86.
    counted = [r for r in records if r.status != "skipped"]
    measured = bool(counted) and all(
        r.energy_kwh is not None
        and all(getattr(r, f"{c}_label") in (MEASURED, ABSENT) for c in ("cpu", "gpu"))
        for r in counted)
    projection = inference[inference["phase"] == INFERENCE_PHASE]
    days = float(projection["days_to_match_training"].iloc[0]) if len(projection) else math.nan
    kwh_per_1000 = float(projection["kwh_per_1000"].iloc[0]) if len(projection) else math.nan

    summary = {
        "total_kwh": total_kwh,
        "total_kg_co2eq": total_kg,
        "measured": measured,
        "measured_share": measured_kwh / total_kwh if total_kwh > 0 else 0.0,
        "training_kwh": training_kwh,
        "inference_kwh_per_1000": _json_number(kwh_per_1000),
        "days_to_match_training": _json_number(days),
        "country": meter.location.country,
        "intensity_g_per_kwh": meter.location.intensity_g_per_kwh,
    }
    findings = _findings(meter, records, total_kwh, total_kg, equivalents, days, kwh_per_1000,
                         predictions_per_day)
    protocol = {
        "tool": "codecarbon OfflineEmissionsTracker, one tracker per phase",
        "codecarbon_version": _codecarbon_version(),
        "country": meter.location.country,
        "country_name": meter.location.country_name,
        "region": meter.location.region,
        "grid_intensity_g_per_kwh": meter.location.intensity_g_per_kwh,
        "grid_data_year": meter.location.data_year,
        "sampling_interval_s": meter.interval_s,
        "tracking_mode": "machine",
        "enabled": meter.enabled,
        "predictions_per_day": predictions_per_day,
        "phases": [r.phase for r in records],
        "equivalents": {e.name: {"kg_co2eq_per_unit": e.kg_co2eq_per_unit, "unit": e.unit,
                                 "source": e.source} for e in EQUIVALENTS},
    }
    return AuditResult(name="energy",
                       tables={"phases": phases, "inference": inference,
                               "equivalents": equivalents},
                       figures={"energy_by_phase": _energy_figure(records)},
                       findings=findings, summary=summary, protocol=protocol)


def combined_label(records: list[PhaseRecord]) -> str:
    """One label for several measurements: theirs when they agree ("measured", "estimated"),
    "mixed" when they differ, "missing" when there are none."""
    labels = {r.label for r in records}
    return labels.pop() if len(labels) == 1 else ("missing" if not labels else "mixed")


def _phases_table(records: list[PhaseRecord]) -> pd.DataFrame:
    rows = [r.row() for r in records]
    counted = [r for r in records if r.energy_kwh is not None]
    unmeasured = [r.phase for r in records if r.energy_kwh is None]
    total_kwh = sum(r.energy_kwh for r in counted)
    total_kg = sum(r.kg_co2eq or 0.0 for r in counted)
    total = {
        "phase": "total",
        "status": ("ok" if not unmeasured and all(r.status == "ok" for r in records)
                   else "incomplete"),
        "label": combined_label(counted),
        "reason": (f"not measured: {', '.join(unmeasured)}" if unmeasured else ""),
        "duration_s": sum(r.duration_s for r in records),
        "items": None,
        "energy_kwh": total_kwh,
        "kg_co2eq": total_kg,
        "intensity_g_per_kwh": 1000.0 * total_kg / total_kwh if total_kwh > 0 else None,
    }
    for component in COMPONENTS:
        total[f"{component}_kwh"] = sum(getattr(r, f"{component}_kwh") or 0.0 for r in counted)
        total[f"{component}_label"] = ""
        total[f"{component}_method"] = ""
    total["cpu_model"] = total["gpu_model"] = ""
    return pd.DataFrame(rows + [total], columns=PHASE_COLUMNS)


def _sum_energy(records: list[PhaseRecord], phase: str) -> float:
    return sum(r.energy_kwh or 0.0 for r in records if r.phase == phase)


def _inference_table(records: list[PhaseRecord], training_kwh: float,
                     predictions_per_day: float) -> pd.DataFrame:
    """Per-1,000-prediction cost of every phase that declared ``items`` (same names summed)."""
    rows = []
    names = dict.fromkeys(r.phase for r in records if r.items and r.energy_kwh is not None)
    for name in names:
        done = [r for r in records if r.phase == name and r.items and r.energy_kwh is not None]
        items = sum(r.items for r in done)
        kwh = sum(r.energy_kwh for r in done)
        kg = sum(r.kg_co2eq or 0.0 for r in done)
        kwh_per_1000 = 1000.0 * kwh / items
        rows.append({
            "phase": name, "items": items, "energy_kwh": kwh, "kg_co2eq": kg,
            "kwh_per_1000": kwh_per_1000, "kg_co2eq_per_1000": 1000.0 * kg / items,
            "predictions_per_day": float(predictions_per_day),
            "kwh_per_day": kwh_per_1000 / 1000.0 * predictions_per_day,
            "training_kwh": training_kwh,
            "days_to_match_training": (inference_projection(training_kwh, kwh_per_1000,
                                                            predictions_per_day)
                                       if training_kwh > 0 else math.nan),
        })
    columns = ["phase", "items", "energy_kwh", "kg_co2eq", "kwh_per_1000", "kg_co2eq_per_1000",
               "predictions_per_day", "kwh_per_day", "training_kwh", "days_to_match_training"]
    return pd.DataFrame(rows, columns=columns)


def _findings(meter, records, total_kwh, total_kg, equivalents, days, kwh_per_1000,
              predictions_per_day) -> list[Finding]:
    findings = []
    unmeasured = [r.phase for r in records if r.energy_kwh is None]
    if unmeasured:
        findings.append(Finding(
            "Energy was not measured for {count} of {total} phases ({phases}); the phase table "
            "gives the reason.",
            {"count": len(unmeasured), "total": len(records), "phases": ", ".join(unmeasured)},
            "warning"))
    if total_kwh > 0:
        value = dict(zip(equivalents["equivalent"], equivalents["value"]))
        findings.append(Finding(
            "This run used {energy_wh} Wh of electricity and emitted {emissions_g} g CO2eq on the "
            "{country} grid ({intensity_g_per_kwh} g CO2eq per kWh), as much CO2 as a typical car "
            "driving {car_m} m.",
            {"energy_wh": 1000.0 * total_kwh, "emissions_g": 1000.0 * total_kg,
             "country": meter.location.country_name,
             "intensity_g_per_kwh": meter.location.intensity_g_per_kwh,
             "car_m": 1000.0 * float(value["car_km"])}))
    estimated = sorted({f"{c.upper()}: {getattr(r, f'{c}_method')}" for r in records
                        for c in COMPONENTS if getattr(r, f"{c}_label") == ESTIMATED})
    if estimated:
        findings.append(Finding(
            "Some figures are estimates from a power model, not readings of an energy counter "
            "({methods}); treat them as orders of magnitude.",
            {"methods": "; ".join(estimated)}, "warning"))
    if math.isfinite(days):
        findings.append(Finding(
            "At {predictions_per_day} predictions a day, inference uses as much energy as "
            "training after {days} days ({wh_per_1000} Wh per 1,000 predictions).",
            {"predictions_per_day": float(predictions_per_day), "days": days,
             "wh_per_1000": 1000.0 * kwh_per_1000}))
    if total_kwh > 0:
        findings.append(Finding(
            "These emissions are {flight_share_pct} of a one-way New York - San Francisco flight "
            "per passenger and {person_year_share_pct} of an average person's yearly CO2 "
            "emissions.",
            {"flight_share_pct": float(value["flight_share"]),
             "person_year_share_pct": float(value["person_year_share"])}))
    return findings


def _energy_figure(records: list[PhaseRecord]) -> Figure:
    """Stacked bars of energy (Wh) per phase and component; estimated parts hatched."""
    figure = Figure(figsize=(7, 3.5), layout="constrained")
    axes = figure.add_subplot()
    colors = {"cpu": "#4C72B0", "gpu": "#DD8452", "ram": "#55A868"}
    names = [r.phase for r in records]
    bottoms = [0.0] * len(records)
    for component in COMPONENTS:
        if all(getattr(r, f"{component}_label") == ABSENT for r in records):
            continue
        heights = [1000.0 * (getattr(r, f"{component}_kwh") or 0.0) for r in records]
        hatches = ["//" if getattr(r, f"{component}_label") == ESTIMATED else ""
                   for r in records]
        bars = axes.bar(names, heights, bottom=bottoms, color=colors[component],
                        label=component.upper(), edgecolor="white")
        for bar, hatch in zip(bars, hatches):
            bar.set_hatch(hatch)
        bottoms = [b + h for b, h in zip(bottoms, heights)]
    for index, record in enumerate(records):
        if record.energy_kwh is None:
            axes.annotate("not measured", (index, 0), ha="center", va="bottom", fontsize=8)
    axes.set_ylabel("energy (Wh)")
    axes.set_title("Energy per phase (hatched: estimated)")
    axes.tick_params(axis="x", labelrotation=30)
    axes.legend(frameon=False)
    return figure


def _json_number(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _codecarbon_version() -> str:
    from codecarbon._version import __version__

    return __version__
