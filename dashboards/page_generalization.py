"""Generalization: the course's table of Zhang et al. and their training curves of true against
random labels, as in the report; then random-label and label-noise curves and tables, regularizer
ablation, membership inference, seed stability and gradient health, as the audits wrote them.

Each table that has an x axis (epoch, noise fraction, ...) is drawn as curves; the audit's own
figures follow.
"""

from __future__ import annotations

import streamlit as st

from nnaudit.audits import GROUPS
from nnaudit.dashboards import data
from nnaudit.dashboards.text import literal
from nnaudit.dashboards.widgets import PageContext, audit_section, detail_page, show_course_table
from nnaudit.reports.figures import training_curves_figure
from nnaudit.reports.zhang import zhang_table

GENERALIZATION = GROUPS["generalization"]


def render(ctx: PageContext) -> None:
    run = detail_page(ctx, "Generalization")
    if run is None:
        return
    if run.audit_ran("memorization"):
        tables = data.audit_tables(str(run.path), ctx.mtime(run), "memorization")
        show_course_table(zhang_table(tables, run.audits["memorization"].get("protocol") or {},
                                      ctx.fmt), ctx)
        figure = training_curves_figure(tables.get("learning_curves"), ctx.fmt)
        if figure is not None:
            st.pyplot(figure, clear_figure=False)
            st.caption(ctx.t("Training on true and on random labels: loss and accuracy per "
                             "epoch (after Zhang et al. 2017, figure 1a)."))
    for audit in GENERALIZATION:
        st.subheader(ctx.fmt.audit_title(audit))
        protocol = run.audits.get(audit, {}).get("protocol") or {}
        name = protocol.get("protocol") or protocol.get("name")
        if name:
            st.caption(ctx.t("Protocol") + f": {literal(name)}")
        audit_section(ctx, run, audit)
