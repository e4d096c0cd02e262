import json
import signal
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from nnaudit.audits import table_schemas
from nnaudit.errors import UserInputError
from nnaudit.results import AuditResult, Finding
from nnaudit.store import Run, RunWriter, atomic_write, list_runs, require_complete


def _result():
    """The real fairness audit of 20 predictions: group a has 1 error in 10, group b 3."""
    from nnaudit.fairness import fairness_audit

    y_true = [0, 1] * 10
    y_pred = [1 - y if i in (0, 10, 12, 14) else y for i, y in enumerate(y_true)]
    groups = pd.DataFrame({"group_of": ["a"] * 10 + ["b"] * 10})
    return fairness_audit(y_true, y_pred, groups, min_group_size=5, n_boot=100)


def test_complete_run_round_trips(tmp_path):
    writer = RunWriter.create(tmp_path, "LeNet5 on shades", {"seed": 3, "data": {"name": "x"}})
    result = _result()
    writer.write_audit(result, table_schemas("fairness"))
    writer.finish({"metrics": {"test_accuracy": 0.97}})

    run = Run.open(writer.path)
    assert run.status == "complete" and run.problem is None
    assert run.name.endswith("-lenet5-on-shades")
    assert run.config == {"seed": 3, "data": {"name": "x"}}
    assert run.manifest["metrics"]["test_accuracy"] == 0.97
    assert run.table("fairness", "by_group")["error_rate"].tolist() == [0.1, 0.3]
    assert run.findings("fairness") == result.findings
    assert run.audits["fairness"]["summary"]["worst_group"] == "b"


def test_a_table_that_breaks_its_declared_schema_is_refused_before_any_write(tmp_path):
    from nnaudit.schema import SchemaError

    writer = RunWriter.create(tmp_path, "x", {})
    hand_made = AuditResult("fairness", tables={
        "by_group": pd.DataFrame({"group": ["a", "b"], "error_rate": [0.1, 0.3]})})
    with pytest.raises(SchemaError, match="fairness/by_group: the declared column 'attribute'"):
        writer.write_audit(hand_made, table_schemas("fairness"))
    wrong_kind = _result()
    wrong_kind.tables["by_group"]["n"] = wrong_kind.tables["by_group"]["n"].astype(str)
    with pytest.raises(SchemaError, match="column 'n' is .*, declared int"):
        writer.write_audit(wrong_kind, table_schemas("fairness"))
    undeclared = AuditResult("fairness", tables={"extra": pd.DataFrame({"a": [1]})})
    with pytest.raises(SchemaError, match="declares no such table"):
        writer.write_audit(undeclared, table_schemas("fairness"))
    assert not (writer.path / "fairness").exists() and writer.audits == {}


def test_models_an_audit_trained_are_saved_as_state_dicts(tmp_path):
    import torch

    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    writer = RunWriter.create(tmp_path, "models", {})
    writer.write_audit(AuditResult(name="memorization", models={"random_labels": model}), table_schemas("memorization"))
    writer.write_audit(_result(), table_schemas("fairness"))
    writer.finish({})

    run = Run.open(writer.path)
    relpath = run.audits["memorization"]["models"]["random_labels"]
    assert relpath == "memorization/random_labels.pt"
    state = torch.load(run.file(relpath), weights_only=True)
    assert torch.equal(state["weight"], model.weight.detach())
    assert "models" not in run.audits["fairness"]


def test_run_without_manifest_is_incomplete_never_a_result(tmp_path):
    writer = RunWriter.create(tmp_path, "x", {"seed": 0})
    writer.write_audit(_result(), table_schemas("fairness"))  # tables exist, but no manifest yet
    run = Run.open(writer.path)
    assert run.status == "incomplete"
    assert run.manifest == {} and run.audits == {}
    with pytest.raises(UserInputError, match="not a complete run"):
        require_complete(writer.path)


def test_corrupt_manifest_is_reported_not_raised(tmp_path):
    writer = RunWriter.create(tmp_path, "x", {})
    (writer.path / "manifest.json").write_text("{ not json")
    run = Run.open(writer.path)
    assert run.status == "corrupt"
    assert "cannot be read" in run.problem


def test_failed_write_leaves_neither_file_nor_temporary(tmp_path):
    target = tmp_path / "manifest.json"

    def half_write(path):
        path.write_text('{"status": "comp')
        raise OSError("disk full")

    with pytest.raises(OSError):
        atomic_write(target, half_write)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_process_killed_while_writing_the_manifest_leaves_no_manifest(tmp_path):
    # A real SIGKILL in the middle of writing: the rename never happens.
    script = textwrap.dedent(f"""
        import os, signal
        from nnaudit.store import RunWriter, atomic_write
        writer = RunWriter.create({str(tmp_path)!r}, "killed", {{}})
        def write(path):
            path.write_text('{{"status": "complete", "audits": ')
            os.kill(os.getpid(), signal.SIGKILL)
        atomic_write(writer.path / "manifest.json", write)
    """)
    proc = subprocess.run([sys.executable, "-c", script])
    assert proc.returncode == -signal.SIGKILL
    [run] = list_runs(tmp_path)
    assert not (run.path / "manifest.json").exists()
    assert run.status == "incomplete"


def test_list_runs_newest_first_and_ignores_other_folders(tmp_path):
    (tmp_path / "not-a-run").mkdir()
    first = RunWriter.create(tmp_path, "a", {})
    first.finish({})
    second = RunWriter.create(tmp_path, "a", {})
    assert second.path != first.path  # same second, same slug: never overwritten
    runs = list_runs(tmp_path)
    assert [r.path for r in runs] == sorted([first.path, second.path], key=lambda p: p.name, reverse=True)


def test_open_rejects_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(UserInputError, match="not a run directory"):
        Run.open(tmp_path)
    with pytest.raises(UserInputError, match="not a directory"):
        Run.open(tmp_path / "missing")


def test_manifest_records_versions_and_schema(tmp_path):
    writer = RunWriter.create(tmp_path, "x", {})
    writer.finish({"kind": "trained"})
    data = json.loads((writer.path / "manifest.json").read_text())
    assert data["schema_version"] == 1
    assert "torch" in data["versions"] and "python" in data["versions"]


def test_a_manifest_cannot_point_outside_its_run(tmp_path):
    writer = RunWriter.create(tmp_path / "runs", "x", {})
    (tmp_path / "secret.parquet").write_bytes(b"")
    writer.audits["fairness"] = {"status": "complete", "tables": {"t": "../../secret.parquet"},
                                 "figures": {"f": "../../secret.parquet"}}
    writer.finish({})
    run = Run.open(writer.path)
    with pytest.raises(UserInputError, match="leads outside the run"):
        run.table("fairness", "t")
    with pytest.raises(UserInputError, match="leads outside the run"):
        run.figures("fairness")


@pytest.mark.parametrize("params, text", [
    ({"wh": 0.00042}, "0.00042 Wh"),  # not "0 Wh": two significant digits below one
    ({"wh": 0.95}, "0.95 Wh"),
    ({"wh": 12.3456}, "12.35 Wh"),
    ({"wh": 3.0}, "3 Wh"),
    ({"wh_pct": 0.041}, "4.1% Wh"),
    ({"wh_pct": 0.00001}, "< 0.1% Wh"),  # not "0.0%", as the reports write it
])
def test_finding_text_keeps_small_numbers_readable(params, text):
    [name] = params
    assert Finding("{" + name + "} Wh", params).text == text
