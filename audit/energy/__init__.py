"""Energy and CO2 audit: what training, each audit and inference cost, measured with CodeCarbon.

``meter = EnergyMeter(country="FRA")``, then ``with meter.phase("training"): ...`` around each
phase of a run and ``energy_result(meter, predictions_per_day=10_000)`` for the `AuditResult`. Nothing
else in nnaudit knows about CodeCarbon. Method and limits: docs/energy.md.

May import: nnaudit.results, nnaudit.schema, nnaudit.errors, nnaudit.messages and
CodeCarbon; never the audits, the pipeline or the renderers.
"""

from nnaudit.energy._equivalents import EQUIVALENTS, Equivalent, equivalents_table
from nnaudit.energy._grid import DEFAULT_COUNTRY, GridLocation, grid_location, known_countries
from nnaudit.energy._meter import EnergyMeter, PhaseRecord
from nnaudit.energy._report import combined_label, energy_result, inference_projection
from nnaudit.energy._schemas import TABLES

__all__ = [
    "DEFAULT_COUNTRY", "EQUIVALENTS", "TABLES", "EnergyMeter", "Equivalent", "GridLocation", "PhaseRecord",
    "combined_label", "energy_result", "equivalents_table", "grid_location", "inference_projection",
    "known_countries",
]
