"""The nnaudit dashboard: explore and compare the runs of one folder.

    streamlit run dashboards/app.py -- --runs RUNS_DIR
    nnaudit dashboard RUNS_DIR --port 8501

The folder is fixed when the server starts (``--runs``, else ``$NNAUDIT_RUNS``, else ``runs``);
the browser only chooses runs by name among those in it. Each page has its own URL
(``/fairness``, ``/robustness``...) through ``st.navigation``, and the selected runs and the
language travel in the query string, so ``/fairness?run=NAME&lang=fr`` is a link to the fairness
page of a run that reloads to the same view. ``?page=fairness`` on the root URL opens that page
too (the links of earlier versions).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd
import streamlit as st

from nnaudit.messages import N_
from nnaudit.store import Run
from nnaudit.dashboards import (data, page_compare, page_energy, page_fairness, page_generalization,
                                page_interpretability, page_robustness, page_runs, page_slices)
from nnaudit.dashboards.text import LANGUAGE_NAMES, LANGUAGES, literal, translator
from nnaudit.dashboards.widgets import PageContext

# url path -> (title, renderer); the first is the home page.
PAGES = {
    "runs": (N_("Runs"), page_runs.render),
    "fairness": (N_("Fairness"), page_fairness.render),
    "generalization": (N_("Generalization"), page_generalization.render),
    "interpretability": (N_("Interpretability"), page_interpretability.render),
    "robustness": (N_("Robustness"), page_robustness.render),
    "slices": (N_("Slices"), page_slices.render),
    "energy": (N_("Energy"), page_energy.render),
    "compare": (N_("Compare"), page_compare.render),
}


def runs_root(argv: list[str]) -> Path:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--runs", default=os.environ.get("NNAUDIT_RUNS", "runs"))
    args, _ = parser.parse_known_args(argv)
    return Path(args.runs).resolve()


def _from_url(key: str, options: list[str], many: bool = False):
    """A starting value from the URL, only if it is one of the options (never a path); a value
    named twice counts once."""
    values = list(dict.fromkeys(v for v in st.query_params.get_all(key) if v in options))
    return values[:2] if many else (values[0] if values else None)


def choose_language() -> str:
    return st.sidebar.selectbox("Language / Langue", LANGUAGES, format_func=LANGUAGE_NAMES.get,
                                index=LANGUAGES.index(_from_url("lang", list(LANGUAGES)) or "en"),
                                key="lang")


def navigation(lang: str, context: dict[str, PageContext]):
    """One page per entry of `PAGES`, each at its own URL; ``context["page"]`` is filled in
    before the page runs. A legacy ``?page=NAME`` switches to that page's URL, keeping the
    rest of the query string (the runs, the language)."""
    t = translator(lang)
    pages = {key: st.Page(lambda render=render: render(context["page"]), title=t(title),
                          url_path=key, default=key == "runs")
             for key, (title, render) in PAGES.items()}
    current = st.navigation(list(pages.values()))
    wanted = st.query_params.get("page")
    if wanted is not None:
        rest = {k: st.query_params.get_all(k) for k in st.query_params if k != "page"}
        if wanted in pages and pages[wanted].title != current.title:
            st.switch_page(pages[wanted], query_params=rest)
        del st.query_params["page"]
    return current


# Runs that have a model's own results on every page; a mitigation's comparison run has
# neither a training nor the audits, so opening it first shows a page of dashes.
FIRST_KINDS = ("trained", "audited")


def first_run(table: pd.DataFrame) -> list[str]:
    """The run opened when the URL names none (``table`` lists the newest first): the newest
    complete trained or audited run, else the newest complete run of any kind, else none."""
    complete = table[table["status"] == "complete"]
    own = complete[complete["kind"].isin(FIRST_KINDS)]
    return (own if not own.empty else complete)["run"].tolist()[:1]


def choose_runs(root: Path, t) -> tuple[list[Run], dict[str, float], pd.DataFrame]:
    """The opened runs, and this rerun's one scan of the folder (run name -> manifest mtime)
    with the Runs table built from it. The choice goes back into the query string."""
    dirs = data.run_dirs(root)  # the folder is scanned once per rerun
    table = data.runs_table(root, dirs)
    openable = table[table["status"].isin(["complete", "failed"])]["run"].tolist()
    default = _from_url("run", openable, many=True) or first_run(table)
    names = st.sidebar.multiselect(t("Runs to open (one or two)"), openable, default=default,
                                   max_selections=2, key="selected_runs")
    st.sidebar.caption(t("Folder: {folder} · {count} runs").format(folder=literal(root.name),
                                                                    count=len(table)))
    st.query_params["run"] = names
    return [data.open_run(root, n, dirs) for n in names], dirs, table


def main() -> None:
    st.set_page_config(page_title="nnaudit", page_icon="⚖️", layout="wide")
    root = runs_root(sys.argv[1:])
    if not root.is_dir():
        st.error(f"{literal(root)} is not a folder of runs. Start the dashboard with --runs RUNS_DIR.")
        return
    lang = choose_language()
    context: dict[str, PageContext] = {}
    page = navigation(lang, context)
    st.query_params["lang"] = lang
    t = translator(lang)
    selected, dirs, table = choose_runs(root, t)
    context["page"] = PageContext(root=root, lang=lang, t=t, selected=selected, mtimes=dirs,
                                  runs=table)
    page.run()


main()
