"""Hostile run folders (issue 23): one bad run never takes a folder down, and a damaged run is
named corrupt with the reason by `list`, `show`, `query`'s runs view and the dashboard."""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostile.conftest import one_sentence_exit_2


@pytest.fixture(scope="module")
def good_run(tmp_path_factory) -> Path:
    """A real complete run (a black-box fairness audit: seconds), the base every case damages."""
    from nnaudit.config import load_config
    from nnaudit.pipeline import run_blackbox

    folder = tmp_path_factory.mktemp("base")
    rng = np.random.default_rng(0)
    n = 300
    pd.DataFrame({"y": rng.integers(0, 2, n), "s": rng.random(n),
                  "grp": rng.choice(["a", "b", "c"], n)}).to_csv(folder / "p.csv", index=False)
    config = load_config(None, {"out": str(folder / "runs"), "fairness.n_boot": 100,
                                "energy.enabled": False, "report.html": False})
    return run_blackbox(folder / "p.csv", label="y", score="s", groups=["grp"], config=config)


def folder_with(good_run: Path, root: Path) -> Path:
    runs = root / "runs"
    shutil.copytree(good_run, runs / "good")
    return runs


def damage(runs: Path, name: str, write) -> Path:
    run = runs / name
    run.mkdir()
    (run / "config.toml").write_text('[model]\nname = "lenet5"\n')
    write(run)
    return run


HOSTILE = {
    "deep_manifest": lambda run: (run / "manifest.json").write_text("[" * 100_000),
    "deep_object": lambda run: (run / "manifest.json").write_text('{"a":' * 5_000 + "1"
                                                                  + "}" * 5_000),
    "fifo_manifest": lambda run: os.mkfifo(run / "manifest.json"),
    "deep_config": lambda run: (run / "config.toml").write_text("a = " + "[" * 5_000
                                                                + "]" * 5_000),
    "dotted_config": lambda run: (run / "config.toml").write_text(
        ".".join(f"k{i}" for i in range(3_000)) + " = 1\n"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_run_is_listed_as_corrupt_with_the_reason_and_the_folder_still_lists(
        cli, tmp_path, good_run, case):
    runs = folder_with(good_run, tmp_path)
    damage(runs, case, HOSTILE[case])
    listed = cli("list", runs, "--json")
    assert listed.code == 0, listed.err
    rows = {Path(row["run"]).name: row for row in json.loads(listed.out)}
    assert rows["good"]["status"] == "complete"
    assert rows[case]["status"] == "corrupt"
    reason = "not a regular file" if case == "fifo_manifest" else "nested more than"
    assert reason in rows[case]["problem"]
    shown = cli("show", runs / case)
    assert shown.code == 0 and "corrupt" in shown.out and reason in shown.out, shown
    queried = cli("query", "SELECT run, status, problem FROM runs ORDER BY run", "--runs", runs,
                  "--csv")
    assert queried.code == 0, queried.err
    table = pd.read_csv(__import__("io").StringIO(queried.out)).set_index("run")
    assert table.loc[case, "status"] == "corrupt" and reason in table.loc[case, "problem"]


def test_a_device_as_manifest_is_listed_as_corrupt(cli, tmp_path, good_run):
    runs = folder_with(good_run, tmp_path)
    run = damage(runs, "device", lambda run: None)
    try:
        os.mknod(run / "manifest.json", stat.S_IFCHR | 0o666, os.makedev(1, 5))  # /dev/zero's
    except PermissionError:
        pytest.skip("making a device node needs root")
    rows = {Path(r["run"]).name: r for r in json.loads(cli("list", runs, "--json").out)}
    assert rows["device"]["status"] == "corrupt"
    assert "not a regular file" in rows["device"]["problem"]


def test_the_dashboard_runs_page_lists_a_hostile_folder(tmp_path, good_run, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from nnaudit.dashboards import data

    runs = folder_with(good_run, tmp_path)
    for case, write in HOSTILE.items():
        damage(runs, case, write)
    table = data.runs_table(runs).set_index("run")
    for case in HOSTILE:
        assert table.loc[case, "status"] == "corrupt" and table.loc[case, "notice"]
    monkeypatch.setenv("NNAUDIT_RUNS", str(runs))
    at = AppTest.from_file(str(Path(data.__file__).with_name("app.py")), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def test_huge_numbers_in_a_manifest_are_written_in_full_in_both_languages(cli, tmp_path,
                                                                          good_run):
    runs = folder_with(good_run, tmp_path)
    manifest = json.loads((runs / "good" / "manifest.json").read_text())
    manifest["metrics"]["test_accuracy"] = 1e308
    manifest["audits"]["fairness"]["summary"] = {
        key: 1e30 for key in manifest["audits"]["fairness"]["summary"]}
    (runs / "good" / "manifest.json").write_text(json.dumps(manifest))
    for lang, thousand in (("en", ","), ("fr", "\u202f")):
        result = cli("report", runs / "good", "--lang", lang, "--out", tmp_path / lang)
        assert result.code == 0, result.err
        html = (tmp_path / lang / "report.html").read_text()
        assert thousand.join(["1"] + ["000"] * 10) in html  # 1e30 in full, grouped


# --- the property: random manifests and table files -------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.text(max_size=6)
    | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([1e30, 1e308, -1e308]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=3),
    max_leaves=8)


@st.composite
def damaged_manifests(draw, base: dict) -> str:
    """A manifest text: truncated, garbage, one field replaced by anything, or deeply nested."""
    kind = draw(st.sampled_from(["truncate", "garbage", "replace", "replace", "deep"]))
    text = json.dumps(base)
    if kind == "truncate":
        return text[:draw(st.integers(0, len(text) - 1))]
    if kind == "garbage":
        return draw(st.binary(max_size=64)).decode("latin-1")
    if kind == "deep":
        depth = draw(st.integers(30, 3_000))  # spliced as text: json itself would recurse
        return text[:-1] + ', "extra": ' + "[" * depth + "]" * depth + "}"
    manifest = json.loads(text)
    node, key = manifest, None
    for _ in range(draw(st.integers(1, 4))):  # walk down a few levels, then replace
        if not isinstance(node, dict) or not node:
            break
        key = draw(st.sampled_from(sorted(node)))
        if not isinstance(node[key], dict) or draw(st.booleans()):
            break
        node = node[key]
    if key is not None and isinstance(node, dict):
        node[key] = draw(JSON_VALUES)
    return json.dumps(manifest, allow_nan=True)


TABLE_DAMAGE = st.sampled_from(["none", "garbage", "empty", "directory", "other_columns"])


def damage_a_table(run: Path, how: str, pick: int) -> None:
    tables = sorted(run.rglob("*.parquet"))
    if how == "none" or not tables:
        return
    table = tables[pick % len(tables)]
    table.unlink()
    if how == "garbage":
        table.write_bytes(b"PAR1\x00garbage")
    elif how == "empty":
        table.write_bytes(b"")
    elif how == "directory":
        table.mkdir()
    else:
        pd.DataFrame({"x": [1.0, np.nan], "y": ["a", None]}).to_parquet(table)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), table_damage=TABLE_DAMAGE, pick=st.integers(0, 20))
def test_list_show_report_and_the_dashboard_readers_render_or_name_the_run_corrupt(
        cli, good_run, data, table_damage, pick):
    from nnaudit.dashboards import data as dashboard
    from nnaudit.errors import UserInputError
    from nnaudit.reports import render_report
    from nnaudit.store import Run

    base = json.loads((good_run / "manifest.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        runs = Path(tmp) / "runs"
        run = runs / "x"
        shutil.copytree(good_run, run)
        (run / "manifest.json").write_text(data.draw(damaged_manifests(base)))
        damage_a_table(run, table_damage, pick)

        for args in (("list", runs), ("list", runs, "--json"), ("show", run),
                     ("show", run, "--json")):
            result = cli(*args)
            assert result.code in (0, 1, 2), result
            assert "internal error" not in result.err and "Traceback" not in result.err, result
        opened = Run(run)
        if opened.status == "corrupt":
            assert opened.problem
        try:
            render_report(run, out_dir=Path(tmp) / "report", formats=("html",), lang="fr")
        except UserInputError:
            pass
        mtime = dashboard.manifest_mtime(run)
        row = dashboard.run_row(str(run), mtime)
        assert row["status"] == opened.status
        for audit in opened.audits:
            dashboard.audit_tables(str(run), mtime, audit)
            dashboard.audit_figures(opened, audit)
            dashboard.findings(opened, audit)
        dashboard.score_ranges(str(run), mtime)
        try:
            dashboard.course_tables(str(run), mtime, "en")
        except UserInputError:
            pass


def test_a_table_file_replaced_by_an_empty_folder_is_named_corrupt(cli, tmp_path, good_run):
    runs = folder_with(good_run, tmp_path)
    table = runs / "good" / "fairness" / "by_group.parquet"
    table.unlink()
    table.mkdir()
    result = cli("report", runs / "good", "--out", tmp_path / "report")
    one_sentence_exit_2(result, "corrupt", "fairness/by_group.parquet")
    assert not (tmp_path / "report" / "report.html").exists()


@pytest.mark.parametrize("sql", ["", ";", "  ;  ", "/* only a comment */", "-- a comment\n"])
def test_an_empty_query_is_one_sentence(cli, tmp_path, good_run, sql):
    """The fix is the "sec" helper's rewrite of nnaudit.query (landed on main)."""
    runs = folder_with(good_run, tmp_path)
    one_sentence_exit_2(cli("query", "--runs", runs, "--", sql))
