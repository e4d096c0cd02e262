"""The command line as a user meets it: real subprocesses, exit codes, one-sentence errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nnaudit.store import RunWriter


def nnaudit(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "nnaudit", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def assert_user_error(proc, *fragments):
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "error:" in proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr, proc.stderr


def test_help_lists_every_command():
    proc = nnaudit("--help")
    assert proc.returncode == 0
    for command in ("run", "train", "list", "show", "datasets", "models", "fairness", "report",
                    "dashboard", "query"):
        assert command in proc.stdout


def test_models_and_datasets_are_listed():
    assert "lenet5" in nnaudit("models").stdout
    assert "shades-mnist" in nnaudit("datasets").stdout


@pytest.mark.parametrize("args, fragments", [
    (["run", "--dataset", "imagenet-22k"], ["imagenet-22k"]),
    (["run", "--model", "gpt5"], ["gpt5", "lenet5"]),
    (["run", "--set", "train.epoch=2"], ["train.epoch", "does not exist"]),
    (["run", "--config", "missing.toml"], ["missing.toml"]),
    (["run", "--audits", "fairness,astrology"], ["astrology"]),
    (["run", "--country", "XYZ", "--epochs", "1"], ["XYZ"]),
])
def test_bad_run_input_exits_2_before_creating_a_run(tmp_path, args, fragments):
    proc = nnaudit(*args, "--out", str(tmp_path / "runs"), cwd=tmp_path)
    assert_user_error(proc, *fragments)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_show_rejects_a_folder_that_is_not_a_run(tmp_path):
    assert_user_error(nnaudit("show", str(tmp_path)), "not a run directory")
    assert_user_error(nnaudit("report", str(tmp_path / "nope")), "nope")


def test_report_refuses_an_incomplete_run(tmp_path):
    writer = RunWriter.create(tmp_path, "interrupted", {"seed": 0})
    assert_user_error(nnaudit("report", str(writer.path)), "not a complete run")


def test_list_shows_incomplete_and_complete_runs(tmp_path):
    done = RunWriter.create(tmp_path, "done", {"data": {"name": "shades-mnist"}})
    done.finish({"dataset": {"name": "shades-mnist"}, "metrics": {"test_accuracy": 0.9}})
    RunWriter.create(tmp_path, "interrupted", {"data": {"name": "shades-mnist"}})
    proc = nnaudit("list", str(tmp_path), "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {Path(row["run"]).name.split("-", 1)[1]: row for row in json.loads(proc.stdout)}
    assert rows["done"]["status"] == "complete"
    assert rows["done"]["headline"]["test_accuracy"] == 0.9
    assert rows["interrupted"]["status"] == "incomplete"
    assert "interrupted" in rows["interrupted"]["problem"]
