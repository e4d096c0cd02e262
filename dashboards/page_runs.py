"""Runs: every run of the folder, its status and headline numbers, filtered and sorted.

Reads manifests only (no parquet), so a folder of 100 runs opens at once.
"""

from __future__ import annotations

import streamlit as st

from nnaudit.dashboards import data
from nnaudit.dashboards.text import literal
from nnaudit.dashboards.widgets import PageContext, run_header

# The headline numbers right after the run's name, so they are in view at 1,400 px; the long
# columns (audits, notice) last.
SHOWN_ORDER = ("run", "status", "test_accuracy", "worst_group_error", "energy_kwh", "dataset",
               "model", "kind", "date", "audits", "notice")
SORTABLE = ("run", "date", "dataset", "model", "test_accuracy", "worst_group_error", "energy_kwh",
            "status")


def render(ctx: PageContext) -> None:
    t = ctx.t
    st.header(t("Runs"))
    table = ctx.runs if ctx.runs is not None else data.runs_table(ctx.root)
    if table.empty:
        st.info(t("No run directories in this folder yet.") + f" ({literal(ctx.root.name)})")
        return

    broken = table[table["status"] != "complete"]
    if not broken.empty:
        st.warning(t("Some runs are not results and show only their notice:") + " "
                   + "; ".join(f"{literal(r.run)} ({t(r.status)})" for r in broken.itertuples()))

    filters = st.columns([2, 2, 2, 3])
    statuses = filters[0].multiselect(t("Status"), sorted(table["status"].unique()),
                                      key="filter_status")
    datasets = filters[1].multiselect(t("Dataset"), sorted(set(table["dataset"]) - {""}),
                                      key="filter_dataset")
    models = filters[2].multiselect(t("Model"), sorted(set(table["model"]) - {""}),
                                    key="filter_model")
    search = filters[3].text_input(t("Run name contains"), key="filter_text")
    if statuses:
        table = table[table["status"].isin(statuses)]
    if datasets:
        table = table[table["dataset"].isin(datasets)]
    if models:
        table = table[table["model"].isin(models)]
    if search:
        table = table[table["run"].str.contains(search, case=False, regex=False)]

    order = st.columns([3, 2])
    sort_by = order[0].selectbox(t("Sort by"), SORTABLE, index=1, format_func=_label(t),
                                 key="sort_by")
    descending = order[1].toggle(t("Descending"), value=True, key="sort_descending")
    table = table.sort_values(sort_by, ascending=not descending, na_position="last")

    label = _label(t)
    shown = table.assign(status=[t(s) for s in table["status"]])[list(SHOWN_ORDER)]
    st.dataframe(
        shown.rename(columns={c: label(c) for c in shown.columns}), hide_index=True,
        column_config={
            # rates in %, as in the course tables (the data stays a share)
            label("test_accuracy"): st.column_config.NumberColumn(format="percent", width=90),
            label("worst_group_error"): st.column_config.NumberColumn(format="percent",
                                                                      width=140),
            label("energy_kwh"): st.column_config.NumberColumn(format="%.6f", width=100),
            label("run"): st.column_config.TextColumn(width=260),
            label("date"): st.column_config.TextColumn(width=110),
            label("audits"): st.column_config.TextColumn(width=200),
        })
    st.caption(t("Select one or two runs in the sidebar to open them on the other pages."))

    for run in ctx.selected:
        run_header(ctx, run)
        row = data.run_row(str(run.path), ctx.mtime(run))
        cols = st.columns(3)
        cols[0].metric(t("Test accuracy"), ctx.number(row["test_accuracy"], "percent"))
        cols[1].metric(t("Worst-subgroup error"), ctx.number(row["worst_group_error"], "percent"))
        cols[2].metric(t("Energy (kWh)"), ctx.number(row["energy_kwh"]))


def _label(t):
    names = {"run": "Run", "status": "Status", "notice": "Notice", "date": "Date",
             "dataset": "Dataset", "model": "Model", "kind": "Kind", "test_accuracy": "Accuracy",
             "worst_group_error": "Worst-subgroup error", "energy_kwh": "Energy (kWh)",
             "audits": "Audits"}
    return lambda column: t(names.get(column, column))
