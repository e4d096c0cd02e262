"""Slices: the worst slices over every column (`nnaudit slices`), ranked, with their intervals,
tests and SQL; a toggle keeps the significant ones. Nothing is searched again here."""

from __future__ import annotations

import streamlit as st

from nnaudit.dashboards.widgets import PageContext, audit_page, audit_section


def render(ctx: PageContext) -> None:
    run = audit_page(ctx, "Slices", "slices")
    if run is None:
        return
    significant_only = st.toggle(ctx.t("Significant slices only"), value=False,
                                 key="slices_significant")
    audit_section(ctx, run, "slices", table_filter=(
        (lambda _name, table: table[table["significant"].astype(bool)])
        if significant_only else None))
