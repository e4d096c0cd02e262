"""Robustness: each group's accuracy under attack in the fairness table's group layout (the
report's table), then its findings folded, a severity slider for the corruptions, the
adversarial figure, then every table and figure the audit wrote.

The slider only chooses which stored rows to show: nothing is attacked or corrupted again.
"""

from __future__ import annotations

import streamlit as st

from nnaudit.dashboards import data
from nnaudit.dashboards.widgets import (PageContext, audit_page, audit_section,
                                        show_course_table, show_findings)
from nnaudit.reports.robustness import attack_table, corruption_table, severities
from nnaudit.reports.view import sensitive_attributes

# The audit's figures shown at the top of the page; the others follow with its tables.
LEADING_FIGURES = ("adversarial", "adversarial_examples")


def render(ctx: PageContext) -> None:
    t = ctx.t
    run = audit_page(ctx, "Robustness", "robustness")
    if run is None:
        return
    tables = data.audit_tables(str(run.path), ctx.mtime(run), "robustness")
    attributes = sensitive_attributes(run)
    # The table first; the findings (a dozen alerts on a typical run) folded below it.
    show_course_table(attack_table(tables, attributes, ctx.fmt), ctx)
    findings = data.findings(run, "robustness")
    if findings:
        with st.expander(f"{t('Findings')} ({len(findings)})", expanded=False):
            show_findings(ctx, findings)
    figures = data.audit_figures(run, "robustness")
    for name in LEADING_FIGURES:
        if name in figures:
            st.image(str(figures[name]), caption=t(name.replace("_", " ")))

    levels = severities(tables)
    if levels:
        severity = st.select_slider(t("Corruption severity"), levels,
                                    value=levels[len(levels) // 2], key="robustness_severity")
        show_course_table(corruption_table(tables, severity, attributes, ctx.fmt), ctx)

    st.markdown("### " + t("All robustness tables and figures"))
    audit_section(ctx, run, "robustness", with_findings=False)
