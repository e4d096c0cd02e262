"""Fairness: the Gender Shades table as in the report, then the subgroup table with intervals, per
attribute or intersection and metric; both recomputed live at another decision threshold from the
stored score histograms; bar charts with error bars, the intersection heatmap, the flagged small
groups and the findings.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from nnaudit.dashboards import data
from nnaudit.dashboards.text import literal
from nnaudit.dashboards.widgets import (PageContext, audit_section, detail_page, first_column,
                                        show_course_table, show_findings, show_table)
from nnaudit.reports.gender_shades import gender_shades_table
from nnaudit.reports.tables import interval_columns

ATTRIBUTE_COLUMNS = ("attribute", "attributes", "intersection", "feature", "sensitive")
GROUP_COLUMNS = ("group", "subgroup", "value", "level")
COUNT_COLUMNS = ("n", "count", "size")
FLAG_COLUMNS = ("small", "flagged", "too_small", "small_group", "insufficient")
BY_GROUP = "by_group"


def render(ctx: PageContext) -> None:
    t = ctx.t
    run = detail_page(ctx, "Fairness")
    if run is None:
        return
    info = run.audits.get("fairness", {})
    if info.get("status") != "complete":
        audit_section(ctx, run, "fairness")
        return
    protocol = info.get("protocol", {}) or {}
    min_group_size = int(protocol.get("min_group_size", 30) or 30)
    tables = data.audit_tables(str(run.path), ctx.mtime(run), "fairness")
    table, overall = tables.get(BY_GROUP), tables.get("overall")
    positive = protocol.get("positive")
    findings = data.findings(run, "fairness")

    live = _live_controls(ctx, run, protocol)
    if live is not None:
        threshold, chosen = live
        try:
            result = data.fairness_at_threshold(str(run.path), ctx.mtime(run), chosen,
                                                threshold, min_group_size)
        except Exception as exc:  # the audit rejects bad input with a message worth showing
            st.error(t("The table could not be recomputed: {error}").format(error=literal(exc)))
        else:
            table = result["tables"].get(BY_GROUP, table)
            overall = result["tables"].get("overall", overall)
            findings, positive = result["findings"], chosen
            st.caption(t("Recomputed from the stored score histograms at threshold {threshold} "
                         "(positive class: {positive}).").format(
                             threshold=ctx.number(threshold), positive=literal(positive)))
            if result["unsure"]:
                st.warning(t("{rows} rows have a score in a histogram bin that straddles this "
                             "threshold; they are counted below it.").format(
                                 rows=ctx.number(result["unsure"])))

    attributes = list(protocol.get("attributes") or [])
    if table is not None and overall is not None:
        show_course_table(gender_shades_table(
            overall, table, attributes, ctx.fmt, positive=positive,
            classes=len(protocol.get("classes") or []), min_group_size=min_group_size), ctx)
    show_findings(ctx, findings)
    if table is None or table.empty:
        st.info(t("This run has no subgroup table."))
    else:
        _subgroup_view(ctx, run, table, min_group_size, attributes)

    st.markdown("### " + t("All fairness tables and figures"))
    audit_section(ctx, run, "fairness", with_findings=False)


def _live_controls(ctx: PageContext, run, protocol: dict) -> tuple[float, str] | None:
    """Positive class and threshold widgets, when the run stored score histograms."""
    ranges = data.score_ranges(str(run.path), ctx.mtime(run))
    if not ranges:
        return None
    t = ctx.t
    if not st.toggle(t("Recompute at another decision threshold"), key="fairness_live"):
        return None
    classes = list(ranges)
    stored = str(protocol.get("positive") or "")
    cols = st.columns(2)
    positive = cols[0].selectbox(t("Positive class"), classes,
                                 index=classes.index(stored) if stored in classes else len(classes) - 1,
                                 key="fairness_positive")
    low, high, step = _threshold_scale(*ranges[positive])
    stored_threshold = float(protocol.get("threshold") or (low + high) / 2)
    threshold = cols[1].slider(t("Decision threshold"), low, high,
                               min(max(stored_threshold, low), high), step,
                               key="fairness_threshold")
    return threshold, positive


def _threshold_scale(low: float, high: float) -> tuple[float, float, float]:
    """Slider bounds and step: 0 to 1 by 0.01 for probabilities, whole steps for integer
    scores (risk deciles), else a hundredth of the range."""
    if 0.0 <= low and high <= 1.0:
        return 0.0, 1.0, 0.01
    if float(low).is_integer() and float(high).is_integer():
        return low, max(high, low + 1), 1.0
    return low, high, (high - low) / 100


def _subgroup_view(ctx: PageContext, run, table: pd.DataFrame, min_group_size: int,
                   attributes: list[str]) -> None:
    t = ctx.t
    attribute_col = first_column(table, ATTRIBUTE_COLUMNS)
    group_col = first_column(table, GROUP_COLUMNS) or table.columns[0]
    metrics = interval_columns(list(table.columns))
    if not metrics:
        metrics = {c: None for c in table.columns
                   if pd.api.types.is_float_dtype(table[c])}

    cols = st.columns(2)
    view = table
    if attribute_col is not None:
        groupings = list(dict.fromkeys(table[attribute_col].astype(str)))
        attribute = cols[0].selectbox(t("Attribute or intersection"), groupings,
                                      key="fairness_attribute")
        view = table[table[attribute_col].astype(str) == attribute]
    if not metrics:
        show_table(ctx, view, "fairness-by_group", run)
        return
    names = list(metrics)
    metric = cols[1].selectbox(t("Metric"), names,
                               index=names.index("error_rate") if "error_rate" in names else 0,
                               format_func=lambda m: t(m.replace("_", " ")),
                               key="fairness_metric")

    count_col = first_column(view, COUNT_COLUMNS)
    flag_col = first_column(view, FLAG_COLUMNS)
    small = (view[flag_col].astype(bool) if flag_col
             else view[count_col] < min_group_size if count_col
             else pd.Series(False, index=view.index))

    interval = metrics[metric]
    keep = [c for c in (attribute_col, group_col, count_col, metric, *(interval or ()), flag_col)
            if c is not None]
    show_table(ctx, view[list(dict.fromkeys(keep))], f"fairness-{metric}", run)
    st.altair_chart(_bars(view, group_col, metric, interval, small, t), width="stretch")

    if small.any():
        st.warning(t("Groups too small to rank (n below {n}): {groups}").format(
            n=min_group_size, groups=", ".join(map(literal, view.loc[small, group_col]))))

    heat = _intersection_grid(table, attributes, metric)
    if heat is not None:
        st.markdown("#### " + t("Intersection heatmap"))
        st.altair_chart(_heatmap(heat, metric, t), width="stretch")


def _bars(view: pd.DataFrame, group_col: str, metric: str, interval, small: pd.Series, t):
    frame = view.assign(_small=small.map({True: t("too small"), False: t("ranked")}))
    base = alt.Chart(frame, height=alt.Step(28)).encode(y=alt.Y(f"{group_col}:N", sort="-x", title=t(group_col)))
    bars = base.mark_bar().encode(
        x=alt.X(f"{metric}:Q", title=t(metric.replace("_", " "))),
        color=alt.Color("_small:N", title=None,
                        scale=alt.Scale(domain=[t("ranked"), t("too small")],
                                        range=["#4c78a8", "#bbbbbb"])),
        tooltip=[group_col, alt.Tooltip(f"{metric}:Q", format=".3f")])
    if interval is None:
        return bars
    low, high = interval
    return bars + base.mark_errorbar(ticks=True, color="black").encode(
        x=alt.X(f"{low}:Q", title=t(metric.replace("_", " "))), x2=f"{high}:Q")


def _intersection_grid(table: pd.DataFrame, attributes: list[str],
                       metric: str) -> pd.DataFrame | None:
    """The intersection of the first two sensitive attributes as (row, column, value), read
    from the table's attribute columns (a group label may itself contain " x " or "/")."""
    if len(attributes) < 2 or not set(attributes) <= set(table.columns):
        return None
    first, second = attributes[:2]
    cells = table[first].notna() & table[second].notna()
    for other in attributes[2:]:
        cells &= table[other].isna()
    if not cells.any():
        return None
    rows = table[cells]
    return pd.DataFrame({first: rows[first].astype(str), second: rows[second].astype(str),
                         metric: rows[metric].to_numpy()}).rename_axis(None)


def _heatmap(grid: pd.DataFrame, metric: str, t):
    row, column = grid.columns[:2]
    base = alt.Chart(grid, height=alt.Step(36)).encode(x=alt.X(f"{column}:N", title=t(column)),
                                  y=alt.Y(f"{row}:N", title=t(row)))
    return base.mark_rect().encode(
        color=alt.Color(f"{metric}:Q", title=t(metric.replace("_", " ")),
                        scale=alt.Scale(scheme="orangered")),
        tooltip=[row, column, alt.Tooltip(f"{metric}:Q", format=".3f")],
    ) + base.mark_text(baseline="middle").encode(
        text=alt.Text(f"{metric}:Q", format=".3f"),
        # white on the darker half of the scale, black on the lighter: readable on every cell
        color=alt.condition(alt.datum[metric] > _midpoint(grid[metric]), alt.value("white"),
                            alt.value("black")))


def _midpoint(values: pd.Series) -> float:
    finite = values.dropna()
    return float((finite.min() + finite.max()) / 2) if len(finite) else 0.0
