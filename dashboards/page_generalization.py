"""Generalization: random-label and label-noise curves and tables, regularizer ablation,
membership inference, seed stability and gradient health, as the audit wrote them.

Each table that has an x axis (epoch, noise fraction, ...) is drawn as curves; the audit's own
figures follow.
"""

from __future__ import annotations

import streamlit as st

from dashboards.widgets import PageContext, audit_section, first_run, run_header


def render(ctx: PageContext) -> None:
    st.header(ctx.t("Generalization"))
    run = first_run(ctx)
    if run is None:
        return
    run_header(ctx, run)
    protocol = run.audits.get("generalization", {}).get("protocol") or {}
    if protocol.get("protocol"):
        st.caption(ctx.t("Protocol") + f": {protocol['protocol']}")
    audit_section(ctx, run, "generalization")
