"""A manifest that is valid JSON of the wrong shape is listed as corrupt with the reason, and
nothing that lists or shows runs crashes on it, for it or for the good runs beside it."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from real_results import fairness_result

from nnaudit.audits import table_schemas
from nnaudit.results import AuditResult, Finding
from nnaudit.store import Run, RunWriter, list_runs, manifest_problem
from nnaudit.summary import print_run_summary, print_run_table, run_summary


def good_manifest(tmp_path) -> dict:
    writer = RunWriter.create(tmp_path / "template", "good", {"data": {"name": "adult"}})
    writer.write_audit(AuditResult(
        "fairness", tables={"by_group": fairness_result().tables["by_group"]},
        findings=[Finding("{worst} has {ratio} times the error rate", {"worst": "b", "ratio": 2.0},
                          "alert")],
        summary={"worst_group": "b", "worst_group_error": 0.3}, protocol={"threshold": 0.5}), table_schemas("fairness"))
    writer.record_skipped("saliency", "no model")
    writer.finish({"kind": "trained", "created_at": "2026-12-02T10:00:00+00:00", "seed": 0,
                   "dataset": {"name": "adult", "card": {}}, "model": {"name": "mlp"},
                   "metrics": {"test_accuracy": 0.8, "stopped_early": False, "val_accuracy": None},
                   "audits_note": "unknown fields are allowed"})
    return json.loads((writer.path / "manifest.json").read_text())


def render_everything(runs) -> str:
    console = Console(file=io.StringIO(), width=200)
    print_run_table(runs, console)
    for run in runs:
        json.dumps(run_summary(run), default=str)
        print_run_summary(run, console)
    return console.file.getvalue()


def test_the_manifest_the_writer_writes_has_the_right_shape(tmp_path):
    assert manifest_problem(good_manifest(tmp_path)) is None


@pytest.mark.parametrize("change, reason", [
    ({"schema_version": "2"}, "at $.schema_version: '2' is not of type 'integer'"),
    ({"audits": []}, "at $.audits: [] is not of type 'object'"),
    ({"status": "running"}, "at $.status: 'running' is not one of"),
    ({"schema_version": 99}, "manifest schema 99 is newer than this nnaudit"),
    ({"metrics": {"test_accuracy": "high"}}, "at $.metrics.test_accuracy"),
    ({"dataset": "adult"}, "at $.dataset: 'adult' is not of type 'object'"),
    ({"audits": {"fairness": {"status": "complete", "findings": [{"template": "{x:.2f}",
                                                                "params": {"x": 1}}]}}},
     "finding 0 of audit 'fairness' has a template field {x}"),
    ({"audits": {"fairness": {"status": "complete", "tables": {"t": 3}}}},
     "at $.audits.fairness.tables.t"),
])
def test_a_wrong_shape_is_corrupt_with_the_reason_and_the_good_runs_still_list(tmp_path, change,
                                                                               reason):
    runs = tmp_path / "runs"
    good = RunWriter.create(runs, "good", {})
    good.finish({"metrics": {"test_accuracy": 0.9}})
    bad = RunWriter.create(runs, "bad", {}).path
    (bad / "manifest.json").write_text(json.dumps({**good_manifest(tmp_path), **change}))
    listed = {run.path: run for run in list_runs(runs)}
    assert listed[bad].status == "corrupt" and reason in listed[bad].problem
    assert listed[good.path].is_complete
    text = render_everything(list(listed.values()))
    assert "corrupt" in text and "90.0%" in text


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6)


def paths(value, prefix=()):
    """Every key path of a JSON object, for the property below to replace one of them."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield prefix + (key,)
            yield from paths(child, prefix + (key,))


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return good_manifest(tmp_path_factory.mktemp("manifest"))


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_value_anywhere_in_a_manifest_lists_and_shows_without_crashing(tmp_path, template,
                                                                            data):
    where = data.draw(st.sampled_from(sorted(paths(template))))
    manifest = json.loads(json.dumps(template))
    parent = manifest
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = data.draw(JSON)
    run_dir = Path(tempfile.mkdtemp(dir=tmp_path))
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    run = Run.open(run_dir)
    assert run.status in {"complete", "failed", "corrupt"}
    assert (run.status == "corrupt") == (run.problem is not None and run.status != "failed")
    render_everything([run])
