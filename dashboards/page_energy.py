"""Energy: per-phase energy and CO2, equivalents, and the inference projection.

The projection is arithmetic on the stored per-1,000-predictions figure (nothing is measured
again): at N predictions a day, inference emits ``per_1000 * N / 1000`` a day and catches up with
the training cost after ``training / that`` days.
"""

from __future__ import annotations

import re
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import data
from dashboards.widgets import PageContext, audit_section, first_run, run_header

PHASE_COLUMNS = ("phase", "name", "stage")
ITEM_COLUMNS = ("items", "n_items", "predictions", "n_predictions")
PER_DAY_CHOICES = (100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000)


def render(ctx: PageContext) -> None:
    t = ctx.t
    st.header(t("Energy"))
    run = first_run(ctx)
    if run is None:
        return
    run_header(ctx, run)
    info = run.audits.get("energy", {})
    if info.get("status") == "complete":
        tables = data.audit_tables(str(run.path), ctx.mtime(run), "energy")
        phases = next((df for df in tables.values()
                       if _phase_column(df) and _energy_column(df)), None)
        if phases is not None:
            _phase_charts(ctx, phases)
        _projection(ctx, info.get("summary", {}) or {}, info.get("protocol", {}) or {}, phases)
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


def _find(summary: dict[str, Any], pattern: str) -> float | None:
    for key, value in summary.items():
        if re.search(pattern, key) and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


def _phase_value(phases: pd.DataFrame | None, phase_prefix: str, column: str | None,
                 per_item: bool = False) -> float | None:
    if phases is None or column is None:
        return None
    rows = phases[phases[_phase_column(phases)].astype(str).str.startswith(phase_prefix)]
    if rows.empty:
        return None
    if not per_item:
        return float(rows[column].sum())
    items = next((c for c in ITEM_COLUMNS if c in rows.columns), None)
    n = float(rows[items].sum()) if items else 0.0
    return float(rows[column].sum()) / n * 1000 if n > 0 else None


def projection(per_1000: float, training: float, per_day: int) -> tuple[float, float]:
    """(inference cost per day, days until it equals the training cost)."""
    daily = per_1000 * per_day / 1000
    return daily, (training / daily if daily > 0 else float("inf"))


def _projection(ctx: PageContext, summary: dict, protocol: dict, phases) -> None:
    t = ctx.t
    co2 = _co2_column(phases) if phases is not None else None
    kwh = _energy_column(phases) if phases is not None else None
    per_1000 = (_find(summary, r"(co2|kg).*per_1000|per_1000.*(co2|kg)")
                or _phase_value(phases, "inference", co2, per_item=True))
    training = (_find(summary, r"train.*(co2|kg)") or _phase_value(phases, "train", co2))
    unit = t("kg CO2eq")
    if per_1000 is None or training is None:  # fall back to energy when CO2 is missing
        per_1000 = (_find(summary, r"kwh.*per_1000|per_1000.*kwh")
                    or _phase_value(phases, "inference", kwh, per_item=True))
        training = _find(summary, r"train.*kwh") or _phase_value(phases, "train", kwh)
        unit = "kWh"
    if per_1000 is None or training is None:
        return
    st.markdown("#### " + t("Inference projection"))
    stored = int(protocol.get("predictions_per_day") or summary.get("predictions_per_day") or 10_000)
    choices = sorted(set(PER_DAY_CHOICES) | {stored})
    per_day = st.select_slider(t("Predictions per day"), choices, value=stored,
                               format_func=lambda n: ctx.number(n, "integer"),
                               key="energy_per_day")
    daily, days = projection(per_1000, training, per_day)
    cols = st.columns(3)
    cols[0].metric(t("Per 1,000 predictions") + f" ({unit})", ctx.number(per_1000))
    cols[1].metric(t("Inference per day") + f" ({unit})", ctx.number(daily))
    cols[2].metric(t("Days until inference equals training"), ctx.number(days))
