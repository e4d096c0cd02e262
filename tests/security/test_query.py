"""`nnaudit query` is read-only and confined (issue 23, items 2 and 3).

Only SELECT statements run, over the tables of the runs the store lets a reader see; no
statement reads a file outside the runs folder (a canary holds a secret that must never come
back) or writes one (a canary path that must never be created), and no run is changed.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nnaudit.errors import UserInputError
from nnaudit.query import query_runs

from tests.security.conftest import one_sentence_exit_2
from tests.store.test_confinement import complete_run

SECRET = "canary-secret-7f3a"


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    """A runs folder with one run, and beside it (outside) files no query may touch."""
    root = tmp_path_factory.mktemp("query")
    runs = root / "runs"
    run = complete_run(runs, "mine")
    outside = root / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text(f"word\n{SECRET}\n")
    pd.DataFrame({"y_true": [7], "y_pred": [SECRET]}).to_parquet(outside / "secret.parquet")
    return {"runs": runs, "run": run, "outside": outside, "root": root}


def fingerprint(folder) -> dict[str, str]:
    """Every file under ``folder`` and a hash of its bytes: what a write would change."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_select_statements_read_the_run_tables(place):
    assert query_runs("SELECT y_true FROM predictions ORDER BY y_true",
                      place["runs"])["y_true"].tolist() == [0, 1]
    for sql in ("SHOW TABLES", "DESCRIBE predictions", "FROM runs", "VALUES (1)",
                "WITH p AS (SELECT * FROM predictions) SELECT count(*) AS n FROM p",
                "SUMMARIZE predictions", "SELECT 1; SELECT 2"):
        assert isinstance(query_runs(sql, place["runs"]), pd.DataFrame), sql


@pytest.mark.parametrize("sql, kind", [
    ("COPY predictions TO '{target}'", "COPY"),
    ("COPY (SELECT 1) TO '{run}/manifest.json'", "COPY"),
    ("ATTACH '{target}' AS x", "ATTACH"),
    ("INSTALL httpfs", "LOAD"),
    ("LOAD httpfs", "LOAD"),
    ("SET enable_external_access = true", "SET"),
    ("PRAGMA version", "PRAGMA"),
    ("CREATE TABLE t AS SELECT 1", "CREATE"),
    ("EXPORT DATABASE '{target}'", "EXPORT"),
    ("CALL pragma_version()", "CALL"),
    ("EXPLAIN ANALYZE COPY (SELECT 1) TO '{target}'", "EXPLAIN"),
    ("DROP VIEW predictions", "DROP"),
    ("SELECT 1; COPY (SELECT 1) TO '{target}'", "COPY"),
])
def test_statements_that_write_or_configure_are_refused(cli, place, sql, kind):
    target = place["root"] / "written"
    before = fingerprint(place["root"])
    result = cli("query", sql.format(target=target, run=place["run"]), "--runs", place["runs"])
    one_sentence_exit_2(result, "SELECT statements only", f"{kind} statements are refused")
    assert not target.exists() and fingerprint(place["root"]) == before


@pytest.mark.parametrize("sql", ["", ";", "  ; ;", "-- only a comment", "/* a comment */"])
def test_an_empty_query_is_one_sentence(cli, place, sql):
    one_sentence_exit_2(cli("query", "--runs", place["runs"], "--", sql), "The query is empty")


@pytest.mark.parametrize("sql", [
    "SELECT * FROM read_csv('{secret}')",
    "SELECT * FROM read_text('{secret}')",
    "SELECT * FROM read_blob('{secret}')",
    "SELECT * FROM '{secret}'",
    "SELECT * FROM read_parquet('{outside}/secret.parquet')",
    "SELECT * FROM glob('{outside}/*')",
    "SELECT * FROM glob('/root/**')",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('{run}/manifest.json')",  # inside the runs, but not a table
])
def test_no_file_but_the_run_tables_can_be_read(cli, place, sql):
    sql = sql.format(secret=place["outside"] / "secret.csv", outside=place["outside"],
                     run=place["run"])
    result = cli("query", sql, "--runs", place["runs"])
    one_sentence_exit_2(result, "may read only the runs' tables")
    assert SECRET not in result.out + result.err and "root:" not in result.out


def test_a_run_or_a_table_linked_out_of_the_runs_folder_is_not_queried(tmp_path):
    """The store's rule (`is_inside`), here as in list, show, reports and mitigate."""
    runs = tmp_path / "runs"
    mine = complete_run(runs, "mine")
    outside = complete_run(tmp_path / "elsewhere", "private")
    pd.DataFrame({"y_true": [SECRET], "y_pred": [SECRET]}).to_parquet(
        outside / "predictions.parquet")
    (runs / "borrowed").symlink_to(outside, target_is_directory=True)
    linked = complete_run(runs, "linked")
    (linked / "history.parquet").unlink()
    (linked / "history.parquet").symlink_to(outside / "predictions.parquet")
    every = query_runs("SELECT run, y_true::VARCHAR AS y FROM predictions", runs)
    assert set(every["run"]) == {mine.name, linked.name}  # not "borrowed"
    assert SECRET not in every.to_string()
    history = query_runs("SELECT run FROM history", runs)
    assert set(history["run"]) == {mine.name}  # not the linked file
    status = query_runs("SELECT run, status FROM runs", runs).set_index("run")["status"]
    assert status["borrowed"] == "corrupt"


# --- a property: random statements from hostile pieces --------------------------------------

FILE_FUNCTIONS = ["read_csv", "read_csv_auto", "read_text", "read_blob", "read_json",
                  "read_json_auto", "read_parquet", "parquet_metadata", "glob", "sniff_csv"]
TABLES = ["runs", "predictions", "history", "fairness_by_group"]


def statements(place):
    target = str(place["root"] / "written")
    paths = st.sampled_from([str(place["outside"] / "secret.csv"), "/etc/passwd", "/root/**",
                             str(place["outside"] / "secret.parquet"),
                             str(place["runs"] / ".." / "outside" / "secret.csv"),
                             str(place["run"] / "manifest.json"), "../outside/secret.csv",
                             "https://example.invalid/x.csv", target])
    reader = st.builds("{}('{}')".format, st.sampled_from(FILE_FUNCTIONS), paths)
    source = st.one_of(st.sampled_from(TABLES), reader, paths.map("'{}'".format))
    select = st.one_of(
        source.map("SELECT * FROM {}".format),
        source.map("FROM {}".format),
        st.builds("SELECT * FROM {} UNION ALL BY NAME SELECT * FROM {}".format, source, source),
        source.map("WITH x AS (SELECT * FROM {}) SELECT * FROM x".format))
    writer = st.one_of(
        st.builds("COPY ({}) TO '{}'".format, select, st.just(target)),
        st.just(f"ATTACH '{target}' AS x"), st.just(f"EXPORT DATABASE '{target}'"),
        st.sampled_from(["INSTALL httpfs", "LOAD httpfs", "SET enable_external_access=true",
                         "SET allowed_paths=['/']", "PRAGMA enable_profiling",
                         "CREATE VIEW v AS SELECT 1", "CALL pragma_version()"]),
        select.map("EXPLAIN ANALYZE {}".format))
    one = st.one_of(select, writer)
    return st.one_of(one, st.builds("{}; {}".format, one, one))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_hostile_statements_read_only_the_run_tables(place, data):
    sql = data.draw(statements(place))
    before = fingerprint(place["root"])
    try:
        result = query_runs(sql, place["runs"])
    except UserInputError as refusal:
        assert "\n" not in str(refusal)
    else:
        assert SECRET not in result.to_string() and "root:x:" not in result.to_string()
    assert not (place["root"] / "written").exists()
    assert fingerprint(place["root"]) == before
