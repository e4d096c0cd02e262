"""What every page shares: the page context, findings, tables with CSV download, figures, and
the generic view of an audit, so a table or figure a new audit writes shows up without code here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import altair as alt
import pandas as pd
import streamlit as st

from nnaudit.store import Run
from nnaudit.dashboards import data
from nnaudit.dashboards.text import format_finding, literal
from nnaudit.reports.course_table import CourseTable
from nnaudit.reports.formatting import Formatter
from nnaudit.reports.i18n import translate_reason
from nnaudit.reports.render_html import course_table_html

SEVERITY_BOX = {"alert": st.error, "warning": st.warning, "info": st.info}


@dataclass
class PageContext:
    root: Path
    lang: str
    t: Callable[[str], str]   # the catalog's translation function
    selected: list[Run]       # the one or two runs chosen in the sidebar, by name
    # Run name -> manifest mtime, from the one scan of the folder this rerun (`data.run_dirs`).
    mtimes: dict[str, float] = field(default_factory=dict)
    runs: pd.DataFrame | None = None  # the Runs table built this rerun (`data.runs_table`)

    def mtime(self, run: Run) -> float:
        """The run's cache key, looked up in this rerun's scan (stat only if it is not there)."""
        mtime = self.mtimes.get(run.name)
        return data.manifest_mtime(run.path) if mtime is None else mtime

    @property
    def fmt(self) -> Formatter:
        """The reports' formatting rules in this page's language."""
        return Formatter(self.lang)

    def number(self, value: Any, kind: str = "decimal") -> str:
        """``kind``: decimal, percent (of a fraction), points or integer."""
        return self.fmt.number(value, kind)


def detail_page(ctx: PageContext, title: str) -> Run | None:
    """Open a one-run page: its title, then the first selected run's header.

    Returns that run, or None (with a hint to pick one) when no run is selected.
    """
    st.header(ctx.t(title))
    if not ctx.selected:
        st.info(ctx.t("Select a run in the sidebar."))
        return None
    run = ctx.selected[0]
    if len(ctx.selected) > 1:
        st.caption(ctx.t("Showing the first selected run; the Compare page shows both."))
    run_header(ctx, run)
    return run


def audit_page(ctx: PageContext, title: str, audit: str) -> Run | None:
    """`detail_page` for a page about one audit: None, with the notice of why, when the audit
    did not run for the chosen run."""
    run = detail_page(ctx, title)
    if run is not None and run.audits.get(audit, {}).get("status") != "complete":
        audit_section(ctx, run, audit)
        return None
    return run


def run_header(ctx: PageContext, run: Run) -> None:
    """Run name, its notice if it is not a result, and download buttons for its reports."""
    st.subheader(literal(run.name))
    if run.problem:
        st.warning(f"{ctx.t(run.status)}: {literal(run.problem)}")
    formats, refusals = data.report_formats(run)
    for refusal in refusals:  # the store's sentence, in English as the runs' notices are
        st.caption(literal(refusal))
    mime = {"html": "text/html", "pdf": "application/pdf"}
    for col, ext in zip(st.columns(max(len(formats), 1)), formats):
        # A callable is read on click only, not on every rerun of the page; it checks again
        # that the file stays inside the run.
        col.download_button(ctx.t("Download report ({format})").format(format=ext.upper()),
                            lambda name=f"report.{ext}": run.file(name).read_bytes(),
                            file_name=f"{run.name}-report.{ext}", mime=mime[ext],
                            key=f"report-{run.name}-{ext}")


def show_findings(ctx: PageContext, findings: list) -> None:
    """Each finding in the box of its severity; its words are the catalog's, its numbers are
    formatted for the language, and its other params (group names...) shown as `literal` text."""
    for finding in findings:
        shown = replace(finding, params={k: _literal_param(v) for k, v in finding.params.items()})
        SEVERITY_BOX.get(finding.severity, st.info)(format_finding(shown, ctx.lang))


def _literal_param(value: Any) -> Any:
    if isinstance(value, (int, float)) or value is None:  # numbers (and bools) the catalog formats
        return value
    if isinstance(value, (list, tuple)):
        return [_literal_param(v) for v in value]
    return literal(value)


def show_table(ctx: PageContext, df: pd.DataFrame, name: str, run: Run) -> None:
    """A table with its CSV download button."""
    st.dataframe(df, hide_index=True)
    # A callable is called on click only, not on every rerun of the page.
    st.download_button(ctx.t("Download CSV"), lambda df=df: df.to_csv(index=False).encode(),
                       file_name=f"{run.name}-{name}.csv", mime="text/csv",
                       key=f"csv-{run.name}-{name}-{len(df)}")


def show_course_table(table: CourseTable | None, ctx: PageContext) -> None:
    """A table in the course's layout, drawn by the reports' own template: the same cells,
    intervals on hover, highlights and small-group marks as in the HTML report. User strings
    in it are escaped by the template (autoescape), never read as Markdown."""
    if table is not None:
        for part in table.parts():
            st.html(course_table_html(part, ctx.lang))


def show_summary(ctx: PageContext, summary: dict[str, Any]) -> None:
    """The audit's headline numbers as metrics (only scalars)."""
    items = [(k, v) for k, v in summary.items()
             if isinstance(v, (int, float, str)) and not isinstance(v, bool)]
    for i in range(0, len(items), 4):
        for col, (key, value) in zip(st.columns(4), items[i:i + 4]):
            shown = ctx.number(value) if isinstance(value, (int, float)) else literal(value)
            col.metric(ctx.t(key.replace("_", " ")), shown)


def show_figures(ctx: PageContext, figures: dict[str, Path]) -> None:
    for name, path in figures.items():
        st.image(str(path), caption=name.replace("_", " "))


def first_column(df: pd.DataFrame, candidates: tuple[str, ...]) -> str | None:
    return next((c for c in candidates if c in df.columns), None)


X_COLUMNS = ("epoch", "step", "fraction", "noise", "noise_fraction", "corruption",
             "fraction_removed", "seed", "layer")


def line_chart(df: pd.DataFrame, x: str, y_columns: list[str], by: str | None,
               t: Callable[[str], str]) -> alt.Chart:
    """One line per y column, and per value of ``by`` when the table holds several curves."""
    ids = [x] if by is None else [x, by]
    long = df[[*ids, *y_columns]].melt(id_vars=ids, var_name="series", value_name="value")
    if by is not None:
        long["series"] = long[by].astype(str) + " · " + long["series"]
    return alt.Chart(long).mark_line(point=True).encode(
        x=alt.X(f"{x}:Q", title=t(x.replace("_", " "))),
        y=alt.Y("value:Q", title=t("value")),
        color=alt.Color("series:N", title=None),
        tooltip=[x, "series", alt.Tooltip("value:Q", format=".3f")])


def curve_of(df: pd.DataFrame) -> tuple[str, list[str], str | None] | None:
    """(x, numeric y columns, the text column that tells curves apart) when a table reads as
    curves over epochs, fractions, ...: a learning-curves table holds one curve per
    condition, and drawn as one line it would zigzag between them."""
    x = first_column(df, X_COLUMNS)
    if x is None or not pd.api.types.is_numeric_dtype(df[x]):
        return None
    ys = [c for c in df.columns if c != x and pd.api.types.is_numeric_dtype(df[c])
          and not pd.api.types.is_bool_dtype(df[c])]
    if not ys or df[x].nunique() < 2:
        return None
    by = None
    if df[x].duplicated().any():
        by = next((c for c in df.columns if c != x and not pd.api.types.is_numeric_dtype(df[c])
                   and not pd.api.types.is_bool_dtype(df[c])), None)
    return x, ys, by


def audit_section(ctx: PageContext, run: Run, audit: str, *, with_findings: bool = True,
                  with_figures: bool = True,
                  table_filter: Callable[[str, pd.DataFrame], pd.DataFrame] | None = None) -> bool:
    """Findings, summary, every table (with curves where it has an x axis) and every figure of
    one audit. Returns False, with a notice, when the audit did not run."""
    info = run.audits.get(audit)
    if not isinstance(info, dict) or info.get("status") != "complete":
        reason = info.get("reason") if isinstance(info, dict) else None
        st.info(ctx.t("This audit did not run for this run.")
                + (f" ({literal(translate_reason(reason, ctx.lang))})" if reason else ""))
        return False
    if with_findings:
        show_findings(ctx, data.findings(run, audit))
        show_summary(ctx, info.get("summary", {}))
    for name, df in data.audit_tables(str(run.path), ctx.mtime(run), audit).items():
        if table_filter is not None:
            df = table_filter(name, df)
        with st.expander(ctx.t(name.replace("_", " ")), expanded=True):
            curve = curve_of(df)
            if curve is not None and len(df) <= 5000:
                st.altair_chart(line_chart(df, *curve, ctx.t), width="stretch")
            show_table(ctx, df, f"{audit}-{name}", run)
    figures = data.audit_figures(run, audit) if with_figures else {}
    if figures:
        st.markdown("#### " + ctx.t("Figures"))
        show_figures(ctx, figures)
    return True

