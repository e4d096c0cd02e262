"""Cached, confined reads of a folder of run directories for the dashboard.

Every read goes through `nnaudit.store`; runs are chosen by name among `list_runs(root)`, never by
a path typed in the browser, a run directory whose real path leaves the folder is listed as
corrupt and never read, and every file of a run must resolve inside it (neither a hand-edited
manifest nor a symbolic link can make the app read ``/etc/passwd``). Cache keys are
the run's path and its manifest's modification time, so a run that finishes or is rewritten is
read again while the other 99 come from the cache.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from nnaudit.errors import UserInputError
from nnaudit.fairness import natural_order
from nnaudit.headline import headline_values
from nnaudit.results import Finding
from nnaudit.store import MANIFEST, Run, iter_run_dirs, lookup

# The headline columns of the Runs page (`nnaudit.headline`): read from the manifest alone.
HEADLINE_COLUMNS = ("test_accuracy", "worst_group_error", "energy_kwh")


def manifest_mtime(run_dir: Path) -> float:
    """The cache key of a run: changes when its manifest is written (or appears)."""
    try:
        return (run_dir / MANIFEST).stat().st_mtime
    except OSError:
        return 0.0


def run_dirs(root: Path) -> dict[str, float]:
    """Run name -> manifest mtime for every run directly under ``root``, newest first."""
    return {p.name: manifest_mtime(p) for p in sorted(iter_run_dirs(root), reverse=True)}


def open_run(root: Path, name: str, dirs: dict[str, float] | None = None) -> Run:
    """The run called ``name`` under ``root``; KeyError for any other name.

    ``dirs`` is `run_dirs(root)` when the caller already scanned the folder this rerun.
    """
    dirs = run_dirs(root) if dirs is None else dirs
    if name not in dirs:
        raise KeyError(f"no run named {name!r} under {root}")
    return cached_run(str(Path(root) / name), dirs[name])


@st.cache_resource(show_spinner=False, max_entries=200)
def cached_run(run_dir: str, mtime: float) -> Run:
    """The opened run, its manifest read once per manifest version (shared, read-only)."""
    run = Run(Path(run_dir))
    # read now, so the object matches the mtime it is cached under
    run.manifest  # noqa: B018
    return run


@st.cache_data(show_spinner=False, max_entries=2000)
def run_row(run_dir: str, mtime: float) -> dict[str, Any]:
    """One row of the Runs page, from the manifest only."""
    run = Run(Path(run_dir))
    manifest = run.manifest
    row: dict[str, Any] = {
        "run": run.name,
        "status": run.status,
        "date": manifest.get("created_at") or manifest.get("finished_at") or "",
        "dataset": lookup(manifest, "dataset", "name") or "",
        "model": lookup(manifest, "model", "name") or "",
        "kind": manifest.get("kind", ""),
    }
    values = headline_values(manifest)
    for column in HEADLINE_COLUMNS:
        row[column] = values[column]
    row["audits"] = ", ".join(sorted(n for n, a in run.audits.items()
                                     if isinstance(a, dict) and a.get("status") == "complete"))
    row["notice"] = run.problem or ""
    return row


def runs_table(root: Path, dirs: dict[str, float] | None = None) -> pd.DataFrame:
    """The Runs page's table: one row per run directory, newest first.

    ``dirs`` is `run_dirs(root)` when the caller already scanned the folder this rerun.
    """
    dirs = run_dirs(root) if dirs is None else dirs
    return _runs_table(str(root), tuple(dirs.items()))


@st.cache_data(show_spinner=False, max_entries=8)
def _runs_table(root: str, runs: tuple[tuple[str, float], ...]) -> pd.DataFrame:
    """Keyed by every run's name and manifest mtime: one lookup when nothing changed, and only
    the changed runs' manifests are read again when something did."""
    rows = [run_row(str(Path(root) / name), mtime) for name, mtime in runs]
    columns = ["run", "status", "date", "dataset", "model", "kind", *HEADLINE_COLUMNS,
               "audits", "notice"]
    return pd.DataFrame(rows, columns=columns)


@st.cache_data(show_spinner=False, max_entries=200)
def audit_tables(run_dir: str, mtime: float, audit: str) -> dict[str, pd.DataFrame]:
    """Every table of one audit that can be read; unreadable ones are left out."""
    run = Run(Path(run_dir))
    tables = {}
    for name in run.audits.get(audit, {}).get("tables", {}):
        try:  # Run.table refuses (UserInputError) a file outside the run directory
            tables[name] = run.table(audit, name)
        except (UserInputError, OSError, ValueError, KeyError):
            continue
    return tables


@st.cache_data(show_spinner=False, max_entries=50)
def course_tables(run_dir: str, mtime: float, lang: str) -> dict:
    """The course's tables of one run in the report's layout (key -> `CourseTable`), the
    attack table included: read once per manifest change, not on every rerun."""
    from nnaudit.reports.formatting import Formatter
    from nnaudit.reports.view import course_tables as report_tables, robustness_table

    run, fmt = Run(Path(run_dir)), Formatter(lang)
    tables = {table.key: table for table in report_tables(run, fmt)}
    attack = robustness_table(run, fmt)
    if attack is not None:
        tables[attack.key] = attack
    return tables


def audit_figures(run: Run, audit: str) -> dict[str, Path]:
    """Figure name -> PNG path, only image files inside the run directory (a manifest entry
    naming a text file or a folder is skipped, not handed to Streamlit, whose image reader
    would show a traceback with server paths)."""
    figures = {}
    for name, rel in run.audits.get(audit, {}).get("figures", {}).items():
        try:
            path = run.file(rel)
        except (UserInputError, OSError):  # outside the run, or unresolvable
            continue
        if path.is_file() and _is_image(path):
            figures[name] = path
    return figures


def _is_image(path: Path) -> bool:
    stat = path.stat()
    return _readable_image(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4096)
def _readable_image(path: str, _mtime_ns: int, _size: int) -> bool:
    """Opened once per file version, not on every Streamlit rerun (the key holds the
    modification time and size, so a replaced figure is checked again)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return False
    return True


def findings(run: Run, audit: str) -> list[Finding]:
    try:
        return run.findings(audit)
    except (KeyError, TypeError, AttributeError):
        return []


@st.cache_data(show_spinner=False, max_entries=200)
def score_ranges(run_dir: str, mtime: float) -> dict[str, tuple[float, float]]:
    """Class -> (smallest, largest) score, for the classes whose score histograms the run stored
    (the decision threshold can move on those)."""
    try:  # Run.file refuses (UserInputError, a ValueError) a file that leads outside the run
        file = Run(Path(run_dir)).file("score_histograms.parquet")
        if not file.exists():
            return {}
        table = pd.read_parquet(file, columns=["score_of", "score_min", "score_max"])
    except (OSError, ValueError, KeyError):
        return {}
    ranges = table.groupby("score_of").agg(low=("score_min", "min"), high=("score_max", "max"))
    return {str(k): (float(r.low), float(r.high))
            for k, r in sorted(ranges.iterrows(), key=lambda item: natural_order(str(item[0])))}


def report_formats(run: Run) -> tuple[list[str], list[str]]:
    """The formats (html, pdf) of the run's reports that can be offered, and why any other was
    refused: a report that leads outside the run (a link to ``/etc/passwd``) is never served."""
    formats, refusals = [], []
    for ext in ("html", "pdf"):
        if not (run.path / f"report.{ext}").is_file():
            continue
        try:
            run.file(f"report.{ext}")
            formats.append(ext)
        except UserInputError as refusal:
            refusals.append(str(refusal))
    return formats, refusals


@st.cache_data(show_spinner=False, max_entries=64)
def fairness_at_threshold(run_dir: str, mtime: float, positive: str, threshold: float,
                          min_group_size: int, n_boot: int = 200) -> dict[str, Any]:
    """The fairness audit again with ``score_<positive> >= threshold`` deciding, from counts.

    The run's stored counts per intersection cell and score histograms (never its rows): a
    threshold between two score bins is exact, and ``unsure`` counts the rows of a bin that
    straddles it. The audit itself is `nnaudit.fairness.fairness_audit_counts`.
    """
    import matplotlib.pyplot as plt

    from nnaudit.fairness import CellCounts, fairness_audit_counts

    run = Run(Path(run_dir))
    cells, histograms = run.cell_counts(), run.score_histograms()
    if cells is None or histograms is None:
        raise ValueError("the run stored no counts (cell_counts.parquet, score_histograms.parquet)")
    protocol = run.audits["fairness"]["protocol"]
    counts = CellCounts.from_tables(cells, histograms, attributes=protocol["attributes"],
                                    classes=protocol["classes"])
    moved, unsure = counts.at_threshold(counts.classes.index(positive), threshold)
    result = fairness_audit_counts(moved, min_group_size=min_group_size, n_boot=n_boot, seed=0)
    for figure in result.figures.values():  # the page draws its own charts
        plt.close(figure)
    return {"tables": result.tables, "findings": result.findings, "summary": result.summary,
            "unsure": unsure}
