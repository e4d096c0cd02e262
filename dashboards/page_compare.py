"""Compare: two runs side by side - how they are related (a run and its mitigated run), the
course's tables of both, every headline number of both and its difference (B - A), then any
audit of either run, whatever its name (``mitigation`` included), with its findings and tables.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from nnaudit.store import Run
from nnaudit.dashboards import data
from nnaudit.dashboards.text import literal
from nnaudit.dashboards.widgets import (PageContext, audit_section, run_header,
                                        show_course_table, show_table)
from nnaudit.reports.comparison import base_first, difference_text, relation
from nnaudit.reports.view import audits_that_ran


# The numbers shown large: manifest key -> (label, number kind); the table has all of them.
HEADLINE = {"test_accuracy": ("Test accuracy", "percent"),
            "fairness.worst_group_error": ("Worst-subgroup error", "percent"),
            "energy.total_kwh": ("Energy (kWh)", "decimal")}


def headline(run: Run) -> dict[str, float]:
    """Test metrics and every numeric summary value of every audit, as ``audit.key``."""
    numbers: dict[str, float] = {}
    for key, value in (run.manifest.get("metrics") or {}).items():
        if _is_number(value):
            numbers[key] = float(value)
    for audit, info in run.audits.items():
        for key, value in ((info or {}).get("summary") or {}).items():
            if _is_number(value):
                numbers[f"{audit}.{key}"] = float(value)
    return numbers


def comparison_table(a: Run, b: Run) -> pd.DataFrame:
    left, right = headline(a), headline(b)
    keys = list(dict.fromkeys([*left, *right]))
    return pd.DataFrame({
        "metric": keys,
        "A": [left.get(k) for k in keys],
        "B": [right.get(k) for k in keys],
        "difference": [right[k] - left[k] if k in left and k in right else None for k in keys],
    })


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def render(ctx: PageContext) -> None:
    t = ctx.t
    st.header(t("Compare"))
    if len(ctx.selected) != 2:
        st.info(t("Select two runs in the sidebar to compare them."))
        return
    a, b = base_first(*ctx.selected)  # a mitigated run after its base run
    cols = st.columns(2)
    for col, label, run in ((cols[0], "A", a), (cols[1], "B", b)):
        with col:
            st.markdown(f"**{label}**")
            run_header(ctx, run)
            st.caption(" · ".join(literal(x) for x in (
                (run.manifest.get("dataset") or {}).get("name"),
                (run.manifest.get("model") or {}).get("name"), run.manifest.get("created_at"))
                if x))
    related = relation(a, b, ctx.fmt, quote=literal)
    if related:
        st.info(related)
    table = comparison_table(a, b)
    if table.empty:
        st.info(t("These runs have no headline numbers to compare."))
        return
    rows = table.set_index("metric")
    main = [m for m in HEADLINE if m in rows.index]
    for col, key in zip(st.columns(max(len(main), 1)), main):
        label, kind = HEADLINE[key]
        change = difference_text(key.rsplit(".", 1)[-1], rows.loc[key, "A"], rows.loc[key, "B"],
                                 ctx.fmt)
        # Streamlit draws the arrow from an ASCII minus; "—": nothing to compare
        col.metric(t(label) + " (B)", ctx.number(rows.loc[key, "B"], kind),
                   delta=None if change == "—" else change.replace("−", "-"),
                   delta_color="off")
    show_table(ctx, table.rename(columns={"metric": t("metric"), "difference": t("difference")}),
               "comparison", b)
    _course_tables_side_by_side(ctx, a, b)
    _audit_side_by_side(ctx, a, b)


def _course_tables_side_by_side(ctx: PageContext, a: Run, b: Run) -> None:
    """The course's tables of both runs, in the report's layout, A on the left."""
    tables = [data.course_tables(str(run.path), ctx.mtime(run), ctx.lang) for run in (a, b)]
    for key in dict.fromkeys([*tables[0], *tables[1]]):
        for col, found in zip(st.columns(2), tables):
            with col:
                if key in found:
                    show_course_table(found[key], ctx)
                else:
                    st.caption(ctx.t("This audit did not run for this run."))


def _audit_side_by_side(ctx: PageContext, a: Run, b: Run) -> None:
    """One audit of either run, chosen, shown generically for both. An audit only B has comes
    first (B's mitigation of A), then those only A has, then the shared ones."""
    ran_a, ran_b = audits_that_ran(a), audits_that_ran(b)
    names = ([n for n in ran_b if n not in ran_a] + [n for n in ran_a if n not in ran_b]
             + [n for n in ran_a if n in ran_b])
    if not names:
        return
    st.markdown("### " + ctx.t("Audits side by side"))
    audit = st.selectbox(ctx.t("Audit"), names, format_func=ctx.fmt.audit_title,
                         key="compare_audit")
    for col, run in zip(st.columns(2), (a, b)):
        with col:
            audit_section(ctx, run, audit)
