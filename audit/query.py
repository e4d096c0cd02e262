"""SQL over a folder of runs: every run's tables as DuckDB views (``nnaudit query``).

A sweep (seeds, noise levels, models) leaves one run directory per point; the question is
usually across them ("the worst-group error of every run"). The views, each with a ``run``
column first and the tables of all runs stacked by column name (a column a run lacks is NULL):

- ``runs``: one row per run directory, from the manifests: ``run``, ``status``, ``problem``
  (why a run is not a result: corrupt, failed or interrupted), ``kind``,
  ``created_at``, ``dataset``, ``model``, ``seed``, ``test_accuracy``, and each audit's
  headline numbers as ``<audit>_<key>`` (``fairness_worst_group_error``, ``energy_total_kwh``).
- ``<audit>_<table>`` for every table of a complete run: ``fairness_by_group``,
  ``fairness_disparity``, ``fairness_tests``, ``generalization_random_labels``,
  ``energy_phases``, ...
- ``history``, ``predictions``, ``cell_counts``, ``score_histograms``: the run-level tables.

The Parquet files are read where they lie (DuckDB views), so a query over a hundred runs reads
only the columns it names.

The command is read-only and confined. DuckDB's own parser classifies the text: only SELECT
statements run (SHOW, DESCRIBE, SUMMARIZE, FROM-first, VALUES, PIVOT with its values named
included); COPY, ATTACH, INSTALL, LOAD, SET, PRAGMA, CREATE, EXPORT, CALL, EXPLAIN and the rest
are refused in one sentence. The tables are only the files the store lets a reader see
(`Run.file`: no run or file that a symbolic link takes out of the runs folder); once their views
exist, file access is switched off except for exactly those files (``allowed_paths``), extension
loading and Python-variable scans with it, and the configuration is locked, so ``read_csv``,
``read_text``, ``glob`` or ``FROM 'file.csv'`` over any other file fail.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from nnaudit.errors import UserInputError
from nnaudit.store import Run, list_runs

RUN_TABLES = ("history", "predictions", "cell_counts", "score_histograms")


def query_runs(sql: str, runs_dir: Path | str) -> pd.DataFrame:
    """The result of ``sql`` (SELECT statements only) over the views of every run under
    ``runs_dir``."""
    import duckdb

    check_read_only(sql)
    connection = runs_database(runs_dir)
    try:
        return connection.execute(sql).df()
    except duckdb.PermissionException as error:
        raise UserInputError(f"The query may read only the runs' tables: "
                             f"{str(error).strip().splitlines()[0]}.") from None
    except duckdb.Error as error:
        views = ", ".join(sorted(r[0] for r in connection.execute("SHOW TABLES").fetchall()))
        raise UserInputError(f"The query failed: {str(error).strip().splitlines()[0]} "
                             f"(views: {views}).") from error
    finally:
        connection.close()


def check_read_only(sql: str) -> None:
    """Refuse, in one sentence, a text that is not one or more SELECT statements."""
    import duckdb

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise UserInputError(f"The query cannot be parsed: "
                             f"{str(error).strip().splitlines()[0]}.") from None
    if not statements:
        raise UserInputError("The query is empty: give a SELECT statement, e.g. "
                             "\"SELECT * FROM runs\".")
    refused = [s.type.name for s in statements if s.type != duckdb.StatementType.SELECT]
    if refused:
        raise UserInputError(f"nnaudit query runs SELECT statements only (it reads, never "
                             f"writes or configures); {refused[0]} statements are refused.")


def runs_database(runs_dir: Path | str):
    """An in-memory DuckDB connection with the views of the module docstring, able to read
    nothing but the runs' table files."""
    import duckdb

    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        raise UserInputError(f"{runs_dir} is not a folder of runs (it does not exist).")
    runs = list_runs(runs_dir)
    if not runs:
        raise UserInputError(f"{runs_dir} holds no run directory.")
    connection = duckdb.connect(config={"autoinstall_known_extensions": False,
                                        "autoload_known_extensions": False})
    connection.execute("SET python_enable_replacements = false")  # no scan of Python variables
    connection.register("runs", runs_frame(runs))
    files = table_files(runs)
    for view, tables in files.items():
        _create_view(connection, view, tables)
    readable = sorted({str(file) for tables in files.values() for _, file in tables})
    connection.execute("SET allowed_paths = ?", [readable])
    connection.execute("SET enable_external_access = false")
    connection.execute("SET lock_configuration = true")
    return connection


def runs_frame(runs: list[Run]) -> pd.DataFrame:
    """The ``runs`` view: one row per run, headline numbers flattened."""
    rows = []
    for run in runs:
        manifest = run.manifest
        row: dict[str, Any] = {
            "run": run.name, "status": run.status, "problem": run.problem,
            "kind": manifest.get("kind"),
            "created_at": manifest.get("created_at"),
            "dataset": (manifest.get("dataset") or {}).get("name"),
            "model": (manifest.get("model") or {}).get("name"),
            "seed": manifest.get("seed"),
            "test_accuracy": (manifest.get("metrics") or {}).get("test_accuracy")}
        for audit, entry in run.audits.items():
            for key, value in (entry.get("summary") or {}).items():
                if isinstance(value, (str, int, float, bool)) or value is None:
                    row[f"{audit}_{key}"] = value
        rows.append(row)
    return pd.DataFrame(rows)


def table_files(runs: list[Run]) -> dict[str, list[tuple[str, Path]]]:
    """View name -> (run name, real path of its Parquet file) of every readable table of every
    run: only files `Run.file` lets out (none of a run outside its folder)."""
    views: dict[str, list[tuple[str, Path]]] = {}
    for run in runs:
        found = [(name, f"{name}.parquet") for name in RUN_TABLES]
        if run.is_complete:
            found += [(f"{audit}_{name}", rel) for audit, entry in run.audits.items()
                      for name, rel in (entry.get("tables") or {}).items()]
        for view, rel in found:
            try:  # a run or a file that leads outside the runs folder is not read
                file = run.file(rel)
            except UserInputError:
                continue
            if file.is_file():
                views.setdefault(_identifier(view), []).append((run.name, file))
    return views


def _create_view(connection, view: str, files: list[tuple[str, Path]]) -> None:
    """One view stacking the runs' files by column name, with the run's name first."""
    def text(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    listed = ", ".join(text(str(file)) for _, file in files)
    names = ", ".join(f"({text(str(file))}, {text(run)})" for run, file in files)
    connection.execute(
        f'CREATE VIEW "{view}" AS SELECT names.run, t.* EXCLUDE (filename) '
        f"FROM read_parquet([{listed}], union_by_name = true, filename = true) AS t "
        f"JOIN (VALUES {names}) AS names(file, run) ON t.filename = names.file")


def _identifier(name: str) -> str:
    return re.sub(r"\W", "_", name)
