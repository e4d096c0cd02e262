"""Energy: per-phase energy and CO2, equivalents, and the inference projection.

The projection is the energy audit's own arithmetic (`nnaudit.energy.inference_projection`) on the
stored per-1,000-predictions figure: nothing is measured again when the slider moves.
"""

from __future__ import annotations

import re
import altair as alt
import pandas as pd
import streamlit as st

from nnaudit.energy import inference_projection
from nnaudit.dashboards import data
from nnaudit.dashboards.widgets import PageContext, audit_section, detail_page

PHASE_COLUMNS = ("phase", "name", "stage")
PER_DAY_CHOICES = (100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000)


def render(ctx: PageContext) -> None:
    run = detail_page(ctx, "Energy")
    if run is None:
        return
    info = run.audits.get("energy", {})
    if info.get("status") == "complete":
        tables = data.audit_tables(str(run.path), ctx.mtime(run), "energy")
        phases = tables.get("phases")
        if phases is not None and _phase_column(phases) and _energy_column(phases):
            _phase_charts(ctx, phases[phases[_phase_column(phases)] != "total"])
        _projection(ctx, info.get("summary", {}) or {}, info.get("protocol", {}) or {},
                    tables.get("inference"))
    audit_section(ctx, run, "energy")


def _phase_column(df: pd.DataFrame) -> str | None:
    return next((c for c in PHASE_COLUMNS if c in df.columns), None)


def _numeric_matching(df: pd.DataFrame, pattern: str) -> str | None:
    """The first numeric column whose name matches, preferring totals over CPU/GPU/RAM parts."""
    found = [c for c in df.columns if re.search(pattern, c) and pd.api.types.is_numeric_dtype(df[c])]
    whole = [c for c in found if not re.match(r"(cpu|gpu|ram)_", c)]
    return (whole or found or [None])[0]


def _energy_column(df: pd.DataFrame) -> str | None:
    return _numeric_matching(df, r"kwh")


def _co2_column(df: pd.DataFrame) -> str | None:
    return _numeric_matching(df, r"co2|emission")


def _phase_charts(ctx: PageContext, phases: pd.DataFrame) -> None:
    t = ctx.t
    phase = _phase_column(phases)
    cols = st.columns(2)
    for col, value, title in ((cols[0], _energy_column(phases), t("Energy (kWh)")),
                              (cols[1], _co2_column(phases), t("Emissions (kg CO2eq)"))):
        if value is None:
            continue
        col.altair_chart(alt.Chart(phases).mark_bar().encode(
            y=alt.Y(f"{phase}:N", sort="-x", title=t("Phase")),
            x=alt.X(f"{value}:Q", title=title),
            tooltip=[phase, alt.Tooltip(f"{value}:Q", format=".3g")]), width="stretch")


def _projection(ctx: PageContext, summary: dict, protocol: dict,
                inference: pd.DataFrame | None) -> None:
    t = ctx.t
    training_kwh = summary.get("training_kwh")
    kwh_per_1000 = summary.get("inference_kwh_per_1000")
    if not all(isinstance(v, (int, float)) and v == v for v in (training_kwh, kwh_per_1000)):
        return
    row = (inference[inference["phase"] == "inference"]
           if inference is not None and "phase" in inference.columns else pd.DataFrame())
    kg_per_1000 = (float(row["kg_co2eq_per_1000"].iloc[0])
                   if "kg_co2eq_per_1000" in row.columns and len(row) else None)

    st.markdown("#### " + t("Inference projection"))
    stored = int(protocol.get("predictions_per_day") or 10_000)
    choices = sorted(set(PER_DAY_CHOICES) | {stored})
    per_day = st.select_slider(t("Predictions per day"), choices, value=stored,
                               format_func=lambda n: ctx.number(n, "integer"),
                               key="energy_per_day")
    days = inference_projection(training_kwh, kwh_per_1000, per_day) if training_kwh > 0 else None
    cols = st.columns(4)
    cols[0].metric(t("kWh per 1,000 predictions"), ctx.number(kwh_per_1000))
    cols[1].metric(t("Inference kWh per day"), ctx.number(kwh_per_1000 / 1000 * per_day))
    if kg_per_1000 is not None:
        cols[2].metric(t("Inference kg CO2eq per day"), ctx.number(kg_per_1000 / 1000 * per_day))
    cols[3].metric(t("Days until inference equals training"), ctx.number(days))
