"""Predictions files that used to give an internal error, a wrong sentence or a silently wrong
result in `nnaudit fairness` (issue 23)."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

from hostile.conftest import one_sentence_exit_2

ENGINES = ["duckdb", "pandas"]


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    n = 400
    return pd.DataFrame({"y": rng.integers(0, 2, n), "p": rng.integers(0, 2, n),
                         "s": rng.random(n), "grp": rng.choice(["a", "b"], n)})


def fairness(cli, tmp_path, source, *args, engine="duckdb"):
    return cli("fairness", "--predictions", source, "--engine", engine, "--n-boot", "100",
               "--out", tmp_path / "runs", *args)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_file_with_no_rows_and_a_score_column_is_said_to_have_no_rows(cli, tmp_path, frame,
                                                                         kind, engine):
    path = tmp_path / f"empty.{kind}"
    (frame.head(0).to_csv(path, index=False) if kind == "csv"
     else frame.head(0).to_parquet(path))
    result = fairness(cli, tmp_path, path, "--label", "y", "--score", "s", "--groups", "grp",
                      engine=engine)
    one_sentence_exit_2(result, "has no rows")
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_group_column_named_twice_is_refused(cli, tmp_path, frame, engine):
    frame.to_csv(tmp_path / "p.csv", index=False)
    result = fairness(cli, tmp_path, tmp_path / "p.csv", "--label", "y", "--pred", "p",
                      "--groups", "grp,grp", engine=engine)
    one_sentence_exit_2(result, "'grp' is named twice")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("threshold", ["nan", "inf", "-inf"])
def test_a_threshold_that_is_not_finite_is_refused_before_any_engine(cli, tmp_path, frame,
                                                                     engine, threshold):
    frame.to_csv(tmp_path / "p.csv", index=False)
    result = fairness(cli, tmp_path, tmp_path / "p.csv", "--label", "y", "--score", "s",
                      "--threshold", threshold, "--groups", "grp", engine=engine)
    one_sentence_exit_2(result, "--threshold", "finite")
    assert "Binder" not in result.err


def test_a_device_or_a_pipe_is_named_as_such(cli, tmp_path):
    os.mkfifo(tmp_path / "fifo.csv")
    for source in ("/dev/zero", tmp_path / "fifo.csv"):
        result = fairness(cli, tmp_path, source, "--label", "y", "--pred", "p", "--groups", "grp")
        one_sentence_exit_2(result, "not a regular file")
        assert "does not exist" not in result.err


@pytest.mark.parametrize("engine", ENGINES)
def test_two_columns_of_one_name_are_refused(cli, tmp_path, frame, engine):
    rows = "\n".join(f"{a},{1 - a},{b},{g}" for a, b, g in zip(frame.y, frame.p, frame.grp))
    (tmp_path / "dup.csv").write_text("y,y,p,grp\n" + rows + "\n")
    result = fairness(cli, tmp_path, tmp_path / "dup.csv", "--label", "y", "--pred", "p",
                      "--groups", "grp", engine=engine)
    one_sentence_exit_2(result, "two columns named 'y'")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("column, role, value", [
    ("ts", "--label", lambda n: pd.date_range("2020-01-01", periods=n)),
    ("lp", "--pred", lambda n: [[1, 2]] * n),
    ("st", "--groups", lambda n: [{"a": 1}] * n),
])
def test_a_column_of_timestamps_lists_or_structs_is_refused_with_its_type(
        cli, tmp_path, frame, engine, column, role, value):
    frame[column] = value(len(frame))
    frame.to_parquet(tmp_path / "odd.parquet")
    roles = {"--label": "y", "--pred": "p", "--groups": "grp"} | {role: column}
    args = [a for pair in roles.items() for a in pair]
    result = fairness(cli, tmp_path, tmp_path / "odd.parquet", *args, engine=engine)
    one_sentence_exit_2(result, f"Column {column!r}", "numbers, booleans or text")
    expected = {"ts": ("TIMESTAMP", "datetime64"), "lp": ("[]", "list"),
                "st": ("STRUCT", "struct")}[column]
    assert any(word in result.err for word in expected), result.err


@pytest.mark.parametrize("engine", ENGINES)
def test_a_link_beside_its_target_is_counted_once_and_the_files_read_are_said(
        cli, tmp_path, frame, engine):
    folder = tmp_path / "logs"
    folder.mkdir()
    frame.iloc[:150].to_csv(folder / "day1.csv", index=False)
    frame.iloc[150:].to_csv(folder / "day2.csv", index=False)
    os.symlink("day2.csv", folder / "latest.csv")
    result = fairness(cli, tmp_path, folder, "--label", "y", "--pred", "p", "--groups", "grp",
                      "--json", engine=engine)
    assert result.code == 0, result.err
    manifest = json.loads((next((tmp_path / "runs").iterdir()) / "manifest.json").read_text())
    assert manifest["dataset"]["card"]["size"]["test"] == len(frame) == 400
    assert manifest["dataset"]["card"]["files"] == 2


def test_a_link_loop_under_a_recursive_glob_reads_each_file_once(cli, tmp_path, frame):
    folder = tmp_path / "logs"
    (folder / "sub").mkdir(parents=True)
    frame.to_csv(folder / "sub" / "all.csv", index=False)
    os.symlink("..", folder / "sub" / "loop")
    result = fairness(cli, tmp_path, f"{folder}/**/*.csv", "--label", "y", "--pred", "p",
                      "--groups", "grp", "--json")
    assert result.code == 0, result.err
    card = json.loads((next((tmp_path / "runs").iterdir()) / "manifest.json").read_text())[
        "dataset"]["card"]
    assert (card["size"]["test"], card["files"]) == (400, 1)


def test_an_absurd_number_of_resamples_is_refused_at_the_edge(cli, tmp_path, frame):
    frame.to_csv(tmp_path / "p.csv", index=False)
    result = cli("fairness", "--predictions", tmp_path / "p.csv", "--label", "y", "--pred", "p",
                 "--groups", "grp", "--n-boot", "100000000000", "--out", tmp_path / "runs")
    one_sentence_exit_2(result, "fairness.n_boot", "100000")
