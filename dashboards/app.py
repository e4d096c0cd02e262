"""The nnaudit dashboard: explore and compare the runs of one folder.

    streamlit run dashboards/app.py -- --runs RUNS_DIR
    nnaudit dashboard RUNS_DIR --port 8501

The folder is fixed when the server starts (``--runs``, else ``$NNAUDIT_RUNS``, else ``runs``);
the browser only chooses runs by name among those in it. ``?page=fairness&run=NAME`` in the URL
opens a page on given runs (links and screenshots).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd
import streamlit as st

from nnaudit.store import Run
from nnaudit.dashboards import (data, page_compare, page_energy, page_fairness, page_generalization,
                        page_interpretability, page_runs)
from nnaudit.dashboards.text import LANGUAGE_NAMES, LANGUAGES, literal, translator
from nnaudit.dashboards.widgets import PageContext

PAGES = {
    "runs": ("Runs", page_runs.render),
    "fairness": ("Fairness", page_fairness.render),
    "generalization": ("Generalization", page_generalization.render),
    "interpretability": ("Interpretability", page_interpretability.render),
    "energy": ("Energy", page_energy.render),
    "compare": ("Compare", page_compare.render),
}


def runs_root(argv: list[str]) -> Path:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--runs", default=os.environ.get("NNAUDIT_RUNS", "runs"))
    args, _ = parser.parse_known_args(argv)
    return Path(args.runs).resolve()


def _from_url(key: str, options: list[str], many: bool = False):
    """A starting value from the URL, only if it is one of the options (never a path)."""
    values = [v for v in st.query_params.get_all(key) if v in options]
    return values[:2] if many else (values[0] if values else None)


def sidebar(root: Path) -> tuple[str, str, list[Run], dict[str, float], pd.DataFrame]:
    """Language, page, the opened runs, and this rerun's one scan of the folder (run name ->
    manifest mtime) with the Runs table built from it."""
    lang = st.sidebar.selectbox("Language / Langue", LANGUAGES, format_func=LANGUAGE_NAMES.get,
                                index=LANGUAGES.index(_from_url("lang", list(LANGUAGES)) or "en"),
                                key="lang")
    t = translator(lang)
    pages = list(PAGES)
    page = st.sidebar.radio(t("Page"), pages, format_func=lambda p: t(PAGES[p][0]),
                            index=pages.index(_from_url("page", pages) or "runs"), key="page")
    dirs = data.run_dirs(root)  # the folder is scanned once per rerun
    table = data.runs_table(root, dirs)
    openable = table[table["status"].isin(["complete", "failed"])]["run"].tolist()
    default = (_from_url("run", openable, many=True)
               or table[table["status"] == "complete"]["run"].tolist()[:1])
    names = st.sidebar.multiselect(t("Runs to open (one or two)"), openable, default=default,
                                   max_selections=2, key="selected_runs")
    st.sidebar.caption(t("Folder: {folder} · {count} runs").format(folder=literal(root.name),
                                                                    count=len(table)))
    st.query_params.update({"page": page, "lang": lang})
    st.query_params["run"] = names
    return lang, page, [data.open_run(root, n, dirs) for n in names], dirs, table


def main() -> None:
    st.set_page_config(page_title="nnaudit", page_icon="⚖️", layout="wide")
    root = runs_root(sys.argv[1:])
    if not root.is_dir():
        st.error(f"{literal(root)} is not a folder of runs. Start the dashboard with --runs RUNS_DIR.")
        return
    lang, page, selected, dirs, table = sidebar(root)
    PAGES[page][1](PageContext(root=root, lang=lang, t=translator(lang), selected=selected,
                               mtimes=dirs, runs=table))


main()
