"""Interpretability: attribution maps per method and example, the sanity checks (Adebayo et al.
2018) and the deletion/insertion faithfulness results, filtered by the methods chosen.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from nnaudit.dashboards import data
from nnaudit.dashboards.widgets import (PageContext, audit_page, audit_section,
                                show_figures)

METHOD_COLUMNS = ("method", "methods", "attribution")


def render(ctx: PageContext) -> None:
    t = ctx.t
    run = audit_page(ctx, "Interpretability", "saliency")
    if run is None:
        return

    tables = data.audit_tables(str(run.path), ctx.mtime(run), "saliency")
    methods = sorted({str(m) for df in tables.values() for col in METHOD_COLUMNS
                      if col in df.columns for m in df[col].dropna().unique()})
    chosen = st.multiselect(t("Methods"), methods, default=methods, key="saliency_methods")

    figures = data.audit_figures(run, "saliency")
    if figures:
        names = list(figures)
        picked = st.multiselect(t("Figures (examples, maps, checks)"), names,
                                default=[n for n in names if _about(n, chosen, methods)][:4],
                                key="saliency_figures")
        show_figures(ctx, {n: figures[n] for n in picked})

    def only_chosen(name: str, df: pd.DataFrame) -> pd.DataFrame:
        column = next((c for c in METHOD_COLUMNS if c in df.columns), None)
        return df if column is None or not methods else df[df[column].astype(str).isin(chosen)]

    st.markdown("### " + t("Sanity checks and faithfulness"))
    audit_section(ctx, run, "saliency", table_filter=only_chosen, with_figures=False)


def _about(figure: str, chosen: list[str], methods: list[str]) -> bool:
    """A figure about one method is shown when that method is chosen; others always."""
    named = [m for m in methods if m.lower() in figure.lower()]
    return not named or any(m in chosen for m in named)
