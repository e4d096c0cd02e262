"""Emissions in terms people understand: car-km, a share of a flight, a share of a year of life.

The constants live in `EQUIVALENTS`, one row each with its value, unit and source; docs/energy.md
shows the same table. Every equivalent is ``emissions / kg_co2eq_per_unit``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Equivalent:
    """One sourced conversion constant."""

    name: str  # short id, used as the table row and in findings
    unit: str  # what one unit of the equivalent is
    kg_co2eq_per_unit: float
    source: str


# 400 g CO2/mile / 1.609344 km/mile = 248.5 g/km
CAR_KG_PER_KM = 0.400 / 1.609344

EQUIVALENTS: tuple[Equivalent, ...] = (
    Equivalent(
        name="car_km",
        unit="km driven by a typical passenger car",
        kg_co2eq_per_unit=CAR_KG_PER_KM,
        source="US EPA, Tailpipe Greenhouse Gas Emissions from a Typical Passenger Vehicle, "
               "EPA-420-F-23-014 (June 2023): about 400 g CO2 per mile (8,887 g CO2 per gallon "
               "of gasoline at 22 miles per gallon), i.e. 0.2485 kg per km",
    ),
    Equivalent(
        name="flight_share",
        unit="one-way New York - San Francisco flight, per passenger",
        kg_co2eq_per_unit=450.0,
        source="Strubell, Ganesh & McCallum, Energy and Policy Considerations for Deep Learning "
               "in NLP, ACL 2019, Table 1: air travel, 1 passenger, NY<->SF round trip "
               "1,984 lbs CO2e (900 kg); half of it for one way",
    ),
    Equivalent(
        name="person_year_share",
        unit="average person's yearly CO2 emissions (world)",
        kg_co2eq_per_unit=4700.0,
        source="Global Carbon Budget 2024 via Our World in Data, 'CO2 emissions per capita', "
               "World, 2023: about 4.7 t CO2 per person per year (fossil fuels and industry)",
    ),
)


def equivalents_table(kg_co2eq: float) -> pd.DataFrame:
    """One row per `EQUIVALENTS` entry: how many units ``kg_co2eq`` amounts to."""
    return pd.DataFrame([
        {"equivalent": e.name, "value": kg_co2eq / e.kg_co2eq_per_unit, "unit": e.unit,
         "kg_co2eq_per_unit": e.kg_co2eq_per_unit, "source": e.source}
        for e in EQUIVALENTS
    ])
