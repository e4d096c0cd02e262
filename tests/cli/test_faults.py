"""Faults of the machine and hostile data at the command line: each is exit 2 with one sentence
(not "a bug in nnaudit"), a write that fails half way leaves no manifest, and user strings are
printed as they are, never read as Rich markup."""

from __future__ import annotations

import errno
import json

import numpy as np
import pandas as pd
import pytest

from nnaudit.audits import table_schemas
from nnaudit.errors import environment_error
from real_results import fairness_result

from nnaudit.results import AuditResult, Finding
from nnaudit.store import MANIFEST, RunWriter, list_runs

from tests.cli.conftest import one_sentence_exit_2


@pytest.fixture
def predictions(tmp_path):
    rng = np.random.default_rng(0)
    n = 400
    y = rng.integers(0, 2, n)
    frame = pd.DataFrame({"y": y, "yhat": np.where(rng.random(n) < 0.2, 1 - y, y),
                          "g": rng.choice(["[/]", "[link=https://evil.example]click[/link]",
                                           ":smile:"], n)})
    path = tmp_path / "preds.csv"
    frame.to_csv(path, index=False)
    return path


def fairness(cli, predictions, out, *more):
    return cli("fairness", "--predictions", predictions, "--label", "y", "--pred", "yhat",
               "--groups", "g", "--n-boot", "100", "--out", out, *more)


@pytest.mark.parametrize("code, filename, sentence", [
    (errno.ENOSPC, "/data/runs/x/.manifest.json.1.tmp",
     "No space left on the device that holds '/data/runs/x'; free some space and run again."),
    (errno.ENOSPC, None, "No space left on the device that holds the output; free some space "
                         "and run again."),
    (errno.EROFS, "/mnt/ro/runs", "'/mnt/ro/runs' is on a read-only file system; write "
                                  "somewhere else (--out)."),
    (errno.EACCES, "/srv/runs", "Permission denied for '/srv/runs'; choose a file or folder you "
                                "may use."),
    (errno.ENOTDIR, "notes.txt/run", "'notes.txt/run' cannot be used: a part of that path is a "
                                     "file, not a folder."),
    (errno.ENOENT, "/home/me/data.csv", "'/home/me/data.csv' does not exist."),
])
def test_environment_faults_are_one_sentence(code, filename, sentence):
    error = OSError(code, "strerror", filename)
    assert environment_error(error) == sentence
    wrapped = RuntimeError("while writing")
    wrapped.__cause__ = error  # found through the chain of causes too
    assert environment_error(wrapped) == sentence


def test_bugs_are_not_taken_for_environment_faults():
    import nnaudit

    assert environment_error(KeyError("metric")) is None
    assert environment_error(OSError("no errno")) is None
    own_file = OSError(errno.ENOENT, "missing", nnaudit.__file__.replace(".py", "_gone.py"))
    assert environment_error(own_file) is None  # a file of the package: a bug, exit 1


def test_out_that_is_a_file_is_one_sentence(cli, predictions, tmp_path):
    (tmp_path / "runs").write_text("not a folder")
    one_sentence_exit_2(fairness(cli, predictions, tmp_path / "runs"),
                        "is a file, not a folder")
    deeper = fairness(cli, predictions, tmp_path / "runs" / "sub")
    one_sentence_exit_2(deeper, "a part of that path is a file, not a folder")


def test_read_only_out_is_one_sentence(cli, predictions, tmp_path, monkeypatch):
    import pathlib

    def read_only(self, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(pathlib.Path, "mkdir", read_only)  # root ignores chmod: simulate it
    one_sentence_exit_2(fairness(cli, predictions, tmp_path / "runs"), "read-only file system")


def test_a_write_failing_half_way_leaves_no_manifest_and_a_clear_message(cli, predictions,
                                                                        tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    def disk_full(self, path, *args, **kwargs):
        with open(path, "wb") as fh:
            fh.write(b"\x89PNG half a figure")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", disk_full)
    out = tmp_path / "runs"
    one_sentence_exit_2(fairness(cli, predictions, out), "No space left on the device")
    assert not list(out.rglob(MANIFEST)) and not list(out.rglob("*.tmp"))
    [run] = list_runs(out)
    assert run.status == "incomplete" and "run it again" in run.problem
    assert not list(run.path.glob("figures/*.png"))  # no half file under a real name


def test_report_on_a_garbage_parquet_names_the_file(cli, tmp_path):
    writer = RunWriter.create(tmp_path, "r", {})
    writer.write_audit(AuditResult("fairness", tables=fairness_result().tables), table_schemas("fairness"))
    writer.finish({})
    (writer.path / "fairness" / "by_group.parquet").write_bytes(b"PAR1 garbage")
    one_sentence_exit_2(cli("report", writer.path), "fairness/by_group.parquet cannot be read as "
                                                    "a Parquet table")
    assert not (writer.path / "report.html").exists()


def test_markup_in_an_error_message_is_printed_as_is(cli, predictions, tmp_path):
    result = fairness(cli, predictions, tmp_path / "runs", "--positive", "[/]")
    one_sentence_exit_2(result, "'[/]'")
    unknown_key = cli("run", "--set", "train.bogus=1", "--out", tmp_path / "runs")
    one_sentence_exit_2(unknown_key, "known keys in [train]:")


def test_markup_in_group_names_is_printed_as_is_by_fairness_list_and_show(cli, predictions,
                                                                         tmp_path):
    out = tmp_path / "runs"
    done = fairness(cli, predictions, out)
    assert done.code == 0, done.err
    [run] = list_runs(out)
    names = {"[/]", "[link=https://evil.example]click[/link]", ":smile:"}
    assert run.manifest["audits"]["fairness"]["summary"]["worst_group"] in names
    shown = cli("show", run.path)
    listed = cli("list", out)
    assert shown.code == 0 and listed.code == 0, shown.err + listed.err
    worst = run.manifest["audits"]["fairness"]["summary"]["worst_group"]
    assert f"worst subgroup {worst} error" in shown.out
    assert f"({worst})" in listed.out and "😄" not in shown.out + listed.out


def test_a_broken_finding_markup_does_not_break_listing(cli, tmp_path):
    writer = RunWriter.create(tmp_path, "r", {})
    writer.write_audit(AuditResult(
        "fairness", tables=fairness_result().tables,
        findings=[Finding("{group} is worst", {"group": "[bold]x[/] [/]"}, "alert")],
        summary={"worst_group": "[/]", "worst_group_error": 0.25}), table_schemas("fairness"))
    writer.finish({})
    shown = cli("show", writer.path)
    assert shown.code == 0 and "  - [bold]x[/] [/] is worst" in shown.out, shown.err
    as_json = cli("list", tmp_path, "--json")
    assert json.loads(as_json.out)[0]["headline"]["worst_group"] == "[/]"


def test_list_keeps_long_run_names_whole_when_piped(cli, tmp_path):
    slug = "a-rather-long-experiment-name-" * 4
    writer = RunWriter.create(tmp_path, slug, {})
    writer.finish({})
    listed = cli("list", tmp_path)  # captured: not a terminal
    assert listed.code == 0 and writer.path.name in listed.out


def test_a_run_linked_from_outside_is_refused_by_show_and_report_and_listed_corrupt(cli,
                                                                                    tmp_path):
    private = RunWriter.create(tmp_path / "elsewhere", "private", {})
    private.finish({"dataset": {"name": "secret-data"}})
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "borrowed").symlink_to(private.path, target_is_directory=True)
    one_sentence_exit_2(cli("show", runs / "borrowed"), "refused", "leaves its runs folder")
    one_sentence_exit_2(cli("report", runs / "borrowed"), "refused")
    listed = cli("list", runs)
    assert listed.code == 0 and "corrupt" in listed.out and "secret-data" not in listed.out
