"""Generalization: random-label and label-noise curves and tables, regularizer ablation,
membership inference, seed stability and gradient health, as the audits wrote them.

Each table that has an x axis (epoch, noise fraction, ...) is drawn as curves; the audit's own
figures follow.
"""

from __future__ import annotations

import streamlit as st

from nnaudit.audits import GROUPS
from nnaudit.dashboards.text import literal
from nnaudit.dashboards.widgets import PageContext, audit_section, detail_page

GENERALIZATION = GROUPS["generalization"]


def render(ctx: PageContext) -> None:
    run = detail_page(ctx, "Generalization")
    if run is None:
        return
    for audit in GENERALIZATION:
        st.subheader(ctx.fmt.audit_title(audit))
        protocol = run.audits.get(audit, {}).get("protocol") or {}
        name = protocol.get("protocol") or protocol.get("name")
        if name:
            st.caption(ctx.t("Protocol") + f": {literal(name)}")
        audit_section(ctx, run, audit)
