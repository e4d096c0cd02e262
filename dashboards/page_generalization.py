"""Generalization: random-label and label-noise curves and tables, regularizer ablation,
membership inference, seed stability and gradient health, as the audit wrote them.

Each table that has an x axis (epoch, noise fraction, ...) is drawn as curves; the audit's own
figures follow.
"""

from __future__ import annotations

import streamlit as st

from nnaudit.dashboards.text import literal
from nnaudit.dashboards.widgets import PageContext, audit_section, detail_page


def render(ctx: PageContext) -> None:
    run = detail_page(ctx, "Generalization")
    if run is None:
        return
    protocol = run.audits.get("generalization", {}).get("protocol") or {}
    if protocol.get("protocol"):
        st.caption(ctx.t("Protocol") + f": {literal(protocol['protocol'])}")
    audit_section(ctx, run, "generalization")
