"""Where the electricity comes from: the country (and region) CodeCarbon prices energy at.

CodeCarbon's offline tracker silently falls back to the world average (475 g/kWh) for a country
it has no data for, and to the country value for an unknown region. We validate both up front
against the data files CodeCarbon ships, and compute the intensity with CodeCarbon's own
`Emissions` engine, so the figure we report is the one the tracker applies.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from codecarbon.core.emissions import Emissions
from codecarbon.core.units import Energy
from codecarbon.external.geography import GeoMetadata
from codecarbon.input import DataSource

from nnaudit.errors import UserInputError

DEFAULT_COUNTRY = "FRA"

# Countries for which CodeCarbon has sub-national data (codecarbon/core/emissions.py).
_REGIONAL_COUNTRIES = ("USA", "CAN", "CHN", "SWE", "NOR", "FIN")


@dataclass(frozen=True)
class GridLocation:
    """A validated location and the carbon intensity CodeCarbon applies there."""

    country: str  # ISO 3166-1 alpha-3, upper case
    country_name: str
    region: str | None  # lower case, as CodeCarbon's offline tracker stores it
    intensity_g_per_kwh: float
    data_year: int | None  # year of the country's energy mix in CodeCarbon's data


def known_countries() -> dict[str, str]:
    """ISO alpha-3 code -> country name, for every country in CodeCarbon's energy-mix data."""
    mix = DataSource().get_global_energy_mix_data()
    return {code: entry.get("country_name", code) for code, entry in mix.items()}


def grid_location(country: str, region: str | None = None) -> GridLocation:
    """Validate ``country`` (and ``region``) and look up the grid carbon intensity.

    Raises `UserInputError` naming the value, with the closest known codes as a hint.
    """
    code = str(country).strip().upper()
    mix = DataSource().get_global_energy_mix_data()
    if code not in mix:
        raise UserInputError(
            f"Unknown country code {country!r}: use an ISO 3166-1 alpha-3 code that CodeCarbon "
            f"has an energy mix for, for example {_country_hint(str(country))}."
        )
    entry = mix[code]
    geo = GeoMetadata(country_iso_code=code, country_name=entry.get("country_name"))
    engine = Emissions(DataSource())
    one_kwh = Energy.from_energy(kWh=1.0)
    country_kg = engine.get_country_emissions(one_kwh, geo)
    kg_per_kwh = country_kg
    region_key = None
    if region:
        region_key = str(region).strip().lower()
        if code not in _REGIONAL_COUNTRIES:
            raise UserInputError(
                f"Region {region!r} cannot be used with country {code}: CodeCarbon has regional "
                f"data only for {', '.join(_REGIONAL_COUNTRIES)}."
            )
        geo = GeoMetadata(country_iso_code=code, country_name=entry.get("country_name"),
                          region=region_key)
        try:
            kg_per_kwh = engine.get_region_emissions(one_kwh, geo)
        except Exception:  # CodeCarbon raises KeyError or ValueError for an unknown region
            kg_per_kwh = None
        # For CHN and the Nordic countries CodeCarbon falls back to the country value instead.
        falls_back = code in ("CHN", "SWE", "NOR", "FIN") and kg_per_kwh == country_kg
        if kg_per_kwh is None or falls_back:
            raise UserInputError(
                f"Unknown region {region!r} for country {code} in CodeCarbon's regional data."
            )
    return GridLocation(country=code, country_name=entry.get("country_name", code),
                        region=region_key, intensity_g_per_kwh=1000.0 * kg_per_kwh,
                        data_year=entry.get("year"))


def _country_hint(text: str) -> str:
    """'FRA (France)': the known codes closest to ``text`` as a code or a country name."""
    countries = known_countries()
    by_name = {name.lower(): code for code, name in countries.items()}
    matches = difflib.get_close_matches(text.strip().upper(), countries, n=3, cutoff=0.6)
    matches += [by_name[n] for n in difflib.get_close_matches(text.strip().lower(), by_name,
                                                                 n=3, cutoff=0.7)]
    unique = list(dict.fromkeys(matches))[:3]
    return " or ".join(f"{c} ({countries[c]})" for c in unique or ["FRA", "DEU", "USA"])
