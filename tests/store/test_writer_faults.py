"""The run writer under faults and races: unique names under concurrency, the user's umask,
no stray warnings, and the resume hint only where there is something to resume."""

from __future__ import annotations

import io
import os
import threading
import warnings

import pytest
from matplotlib.figure import Figure

from nnaudit import store
from nnaudit.store import CHECKPOINT, Run, RunWriter


def test_a_taken_name_gets_the_next_suffix(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "utc_stamp", lambda: "20261202T120000Z")
    (tmp_path / "20261202T120000Z-run").mkdir()
    (tmp_path / "20261202T120000Z-run-2").write_text("a file, not a run")
    assert RunWriter.create(tmp_path, "run", {}).path.name == "20261202T120000Z-run-3"


def test_concurrent_creates_of_one_name_all_succeed_with_distinct_folders(tmp_path, monkeypatch):
    # Every thread gets the same timestamp and slug, then all create at the same instant:
    # checking for the folder before making it let two of them pick one name.
    monkeypatch.setattr(store, "utc_stamp", lambda: "20261202T120000Z")
    count = 24
    barrier = threading.Barrier(count)
    made, errors = [], []

    def create():
        barrier.wait()
        try:
            made.append(RunWriter.create(tmp_path, "same", {"seed": 0}).path)
        except Exception as exc:  # noqa: BLE001 - any failure is the bug under test
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(made)) == count and all((p / "config.toml").is_file() for p in made)


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_run_files_follow_the_umask(tmp_path, umask, mode):
    import pandas as pd
    import torch

    old = os.umask(umask)
    try:
        writer = RunWriter.create(tmp_path, "modes", {})
        writer.write_table("t.parquet", pd.DataFrame({"a": [1]}))
        writer.write_model(torch.nn.Linear(2, 1))
        figure = Figure()
        figure.subplots().plot([0, 1])
        writer.write_figure("figures/f.png", figure)
        writer.finish({})
    finally:
        os.umask(old)
    files = [p for p in writer.path.rglob("*") if p.is_file()]
    assert len(files) == 5
    assert {oct(p.stat().st_mode & 0o777) for p in files} == {oct(mode)}


def glyph_warnings(record) -> list[str]:
    return [str(w.message) for w in record if "missing from font" in str(w.message)]


def test_emoji_in_a_figure_raise_no_glyph_warning(tmp_path):
    def emoji_figure():
        figure = Figure()
        figure.subplots().set_title("group 😀 🦄")
        return figure

    with warnings.catch_warnings(record=True) as control:
        warnings.simplefilter("always")
        emoji_figure().savefig(io.BytesIO(), format="png")
    assert glyph_warnings(control)  # matplotlib does warn: the test can fail
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        RunWriter.create(tmp_path, "emoji", {}).write_figure("figures/f.png", emoji_figure())
    assert glyph_warnings(record) == []


def test_resume_is_offered_only_with_a_checkpoint(tmp_path):
    writer = RunWriter.create(tmp_path, "stopped", {})
    run = Run.open(writer.path)
    assert run.status == "incomplete"
    assert "no checkpoint to resume from" in run.problem and "--resume" not in run.problem
    (writer.path / CHECKPOINT).write_bytes(b"state")
    assert f"nnaudit run --resume {writer.path}" in Run.open(writer.path).problem
