"""Run directories for the report tests, written with the real `RunWriter` from real audit
results (tests/real_results.py), so a change of an audit's tables breaks these tests first."""

from __future__ import annotations

import matplotlib
import pytest

from nnaudit.audits import table_schemas

matplotlib.use("Agg")

from real_results import (SCRIPT_GROUP, energy_result, every_result,  # noqa: E402
                          fairness_result, mitigated_run, predictions_frame, write_run)

MODEL_CARD = {"intended_use": "Teaching fairness auditing in a course.",
              "out_of_scope": "Any decision about real people."}


@pytest.fixture(scope="session")
def runs_root(tmp_path_factory):
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="session")
def full_run(runs_root):
    return write_run(runs_root, "full", every_result(), model_card=MODEL_CARD)


@pytest.fixture(scope="session")
def balanced_run(runs_root):
    """The same kind of model with a smaller injected disparity, for the comparison."""
    return write_run(runs_root, "balanced", [fairness_result(0.10), energy_result(0.08)],
                     test_accuracy=0.861, female_flip=0.10)


@pytest.fixture(scope="session")
def remedied_run(runs_root, full_run):
    """``full_run`` remedied by thresholds per sex, with the real ``mitigation`` audit."""
    return mitigated_run(runs_root, "remedied", full_run)


@pytest.fixture(scope="session")
def blackbox_run(runs_root, tmp_path_factory):
    from nnaudit.audits import run_order
    from nnaudit.inputs import AuditInputs
    from nnaudit.config import RunConfig
    from nnaudit.engines import count_predictions

    file = tmp_path_factory.mktemp("predictions") / "predictions.csv"
    predictions_frame().to_csv(file, index=False)
    counted = count_predictions(file, label="label", pred="prediction", groups=["sex", "race"])
    inputs = AuditInputs(RunConfig(), predictions=counted)  # what a predictions file offers
    skipped = {spec.name: spec.missing(inputs.available()) for spec in run_order(
        RunConfig().audits.run) if spec.name != "fairness"}
    return write_run(runs_root, "blackbox", [fairness_result()], kind="blackbox",
                     test_accuracy=0.8, skipped=skipped)


@pytest.fixture(scope="session")
def missing_audits_run(runs_root):
    return write_run(runs_root, "missing", [energy_result()],
                     skipped={"saliency": "captum is not installed"})


@pytest.fixture
def incomplete_run(tmp_path):
    """An interrupted run: config written, audits written, no manifest."""
    from nnaudit.store import RunWriter

    writer = RunWriter.create(tmp_path, "interrupted", {"seed": 0})
    writer.write_audit(energy_result(), table_schemas("energy"))
    return writer.path


__all__ = ["SCRIPT_GROUP"]
