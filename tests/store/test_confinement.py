"""Nothing is read from outside the runs folder: symbolic links that lead out of it, or out of a
run, are refused (listed as corrupt, or a one-sentence error), links that stay inside work."""

from __future__ import annotations

import pandas as pd
import pytest

from nnaudit.audits import table_schemas
from nnaudit.errors import UserInputError
from real_results import fairness_result

from nnaudit.results import AuditResult, Finding
from nnaudit.store import Run, RunWriter, list_runs, require_complete


def complete_run(out, slug="r"):
    writer = RunWriter.create(out, slug, {"data": {"name": "x"}})
    writer.write_table("predictions.parquet", pd.DataFrame({"y_true": [0, 1], "y_pred": [0, 0]}))
    writer.write_table("history.parquet", pd.DataFrame({"epoch": [1], "train_loss": [0.5]}))
    writer.write_audit(AuditResult("fairness", tables={"by_group": fairness_result().tables["by_group"]},
                                   findings=[Finding("{g} is worst", {"g": "a"}, "alert")]), table_schemas("fairness"))
    writer.finish({"kind": "trained", "metrics": {"test_accuracy": 0.5}})
    return writer.path


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "elsewhere" / "passwd"
    path.parent.mkdir()
    path.write_text("root:x:0:0:root:/root:/bin/bash\n")
    return path


def test_a_run_directory_linked_from_outside_the_folder_is_listed_corrupt_and_never_read(tmp_path):
    outside = complete_run(tmp_path / "elsewhere", "private")
    runs = tmp_path / "runs"
    complete_run(runs, "mine")
    (runs / "borrowed").symlink_to(outside, target_is_directory=True)
    listed = {run.name: run for run in list_runs(runs)}
    borrowed = listed["borrowed"]
    assert borrowed.status == "corrupt" and "leaves its runs folder" in borrowed.problem
    assert borrowed.manifest == {} and borrowed.config == {} and borrowed.audits == {}
    with pytest.raises(UserInputError, match="leads outside the run"):
        borrowed.file("history.parquet")
    with pytest.raises(UserInputError, match="refused"):
        Run.open(runs / "borrowed")
    [mine] = [run for name, run in listed.items() if name != "borrowed"]
    assert mine.is_complete  # the good run next to it is unaffected


def test_a_link_that_stays_inside_the_folder_is_followed(tmp_path):
    runs = tmp_path / "runs"
    real = complete_run(runs)
    (runs / "latest").symlink_to(real.name, target_is_directory=True)
    run = require_complete(runs / "latest")
    assert run.predictions()["y_true"].tolist() == [0, 1]
    (real / "copy.parquet").symlink_to("predictions.parquet")  # inside the run: allowed
    assert run.file("copy.parquet") == (real / "predictions.parquet").resolve()


@pytest.mark.parametrize("name", ["predictions.parquet", "history.parquet", "report.html"])
def test_a_file_of_a_run_linked_outside_it_is_refused(tmp_path, secret, name):
    run_dir = complete_run(tmp_path / "runs")
    (run_dir / name).unlink(missing_ok=True)
    (run_dir / name).symlink_to(secret)
    run = Run.open(run_dir)
    assert run.is_complete  # the run itself stays readable
    with pytest.raises(UserInputError, match=f"{name}' leads outside the run directory"):
        run.file(name)
    if name != "report.html":
        with pytest.raises(UserInputError, match="leads outside the run directory"):
            run.history() if name == "history.parquet" else run.predictions()


def test_a_manifest_linked_outside_the_run_is_corrupt(tmp_path):
    outside = complete_run(tmp_path / "elsewhere")
    run_dir = RunWriter.create(tmp_path / "runs", "x", {}).path
    (run_dir / "manifest.json").symlink_to(outside / "manifest.json")
    run = Run.open(run_dir)
    assert run.status == "corrupt" and "leads outside the run directory" in run.problem
    assert run.manifest == {}


def test_reports_refuse_a_history_linked_outside_the_run(tmp_path, secret):
    from nnaudit.reports import render_report

    run_dir = complete_run(tmp_path / "runs")
    (run_dir / "history.parquet").unlink()
    (run_dir / "history.parquet").symlink_to(secret)
    with pytest.raises(UserInputError, match="history.parquet' leads outside"):
        render_report(run_dir)
    assert not (run_dir / "report.html").exists()  # nothing half-written
