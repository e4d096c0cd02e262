"""The Ray backend on a local Ray with 2 CPUs: the same tables as in process, errors that name
the audit and condition, and factories read from a file sent to the workers."""

from __future__ import annotations

import threading
from dataclasses import replace

import pandas as pd
import pytest
import torch

from nnaudit.compute import LocalBackend, RayBackend, TrainingFailed
from nnaudit.errors import UserInputError
from nnaudit.generalization import memorization_audit, seed_stability_audit
from nnaudit.generalization._protocol import make_protocol
from nnaudit.models import ModelFactory, factory
from nnaudit.train import TrainConfig

from tests.compute.conftest import toy_job

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow  # starting Ray takes several seconds

TIMING = ["seconds", "seconds_to_target"]


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             logging_level="warning")
    yield RayBackend("cpu")
    ray.shutdown()


@pytest.fixture(scope="module")
def small_protocol():
    return replace(make_protocol("default", torch.device("cpu")), n_train=200, epoch_budget=12,
                   noise_fractions=(0.0, 0.5, 1.0), ablation_rows=("none", "weight decay"),
                   n_seeds=2, seed_train_size=200)


def test_a_small_protocol_gives_the_same_tables_on_ray_as_in_process(shades, local_ray,
                                                                      small_protocol):
    make = factory("mlp", shades.input_shape, 10, widths=(64,))
    config = TrainConfig(epochs=3)
    for audit in (memorization_audit, seed_stability_audit):
        here = audit(shades, make, config, "cpu", protocol=small_protocol, seed=1,
                     compute=LocalBackend("cpu"))
        there = audit(shades, make, config, "cpu", protocol=small_protocol, seed=1,
                      compute=local_ray)
        assert here.tables.keys() == there.tables.keys()
        for name, table in here.tables.items():
            pd.testing.assert_frame_equal(table.drop(columns=TIMING, errors="ignore"),
                                          there.tables[name].drop(columns=TIMING,
                                                                  errors="ignore"))
        assert [f.text for f in here.findings] == [f.text for f in there.findings]
    assert there.protocol["seeds"] == [1, 2]
    # The model trained in a Ray worker is the model trained here, to the bit.
    memorized = [memorization_audit(shades, make, config, "cpu", protocol=small_protocol,
                                    seed=1, compute=backend).models["random_labels"]
                 for backend in (LocalBackend("cpu"), local_ray)]
    for name, weights in memorized[0].state_dict().items():
        assert torch.equal(weights, memorized[1].state_dict()[name])


def test_a_failed_task_names_its_audit_and_condition(local_ray):
    broken = toy_job("regularizers: weight decay", x=torch.rand(7, 1, 8, 8))
    with pytest.raises(TrainingFailed, match=r"memorization audit's training 'regularizers: "
                                             r"weight decay' failed as a Ray task: ValueError"):
        local_ray.run([toy_job(), broken])


def test_a_factory_from_a_file_reaches_the_workers(tmp_path, local_ray):
    from nnaudit.user_model import load_user_model

    (tmp_path / "course_net.py").write_text(
        "from torch import nn\n\n"
        "def small_net():\n"
        "    return nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 4))\n")
    brought = load_user_model(f"{tmp_path / 'course_net.py'}:small_net", input_shape=(1, 8, 8),
                              num_classes=4)
    job = toy_job(factory=brought.factory)
    [there] = local_ray.run([job])
    [here] = LocalBackend("cpu").run([job])
    for name in here.params:
        assert torch.equal(here.params[name], there.params[name])


def test_a_factory_that_cannot_travel_is_refused_in_one_sentence(local_ray):
    lock = threading.Lock()

    def locked_net():
        with lock:
            return factory("mlp", (1, 8, 8), 4, widths=(16,))()

    with pytest.raises(UserInputError, match="cannot be sent to Ray workers"):
        local_ray.run([toy_job(factory=ModelFactory("locked", locked_net))])


def test_nnaudit_run_sends_its_trainings_to_ray(tmp_path, local_ray):
    """`--set compute.backend=ray` through the pipeline: the seeds train as a Ray task (the
    module's Ray is reused, and left running)."""
    from nnaudit.pipeline import run_pipeline
    from nnaudit.store import Run

    from tests.conftest import small_config

    run = Run.open(run_pipeline(small_config(tmp_path, **{
        "audits.run": ["seed_stability"], "compute.backend": "ray", "energy.enabled": False,
        "train.epochs": 1})))
    assert run.audits["seed_stability"]["status"] == "complete"
    assert run.audits["seed_stability"]["protocol"]["backend"] == "ray"
    assert ray.is_initialized()


def test_a_cluster_lost_after_the_start_fails_the_run_in_one_sentence(monkeypatch):
    """An environment fault, not the audit's input: `ServiceUnavailable` (a ConnectionError the
    pipeline lets through, failing the run; the CLI says it and exits 2) naming the address,
    never a UserInputError (an audit skipped, the run looking complete)."""
    from nnaudit.errors import ServiceUnavailable, environment_error

    def refuse(**kwargs):
        raise ConnectionError("Could not connect\nto the GCS")

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", refuse)
    with pytest.raises(ServiceUnavailable) as raised:
        RayBackend("cpu", address="ray://head:10001").run([toy_job()])
    assert environment_error(raised.value) == (
        "compute.backend = 'ray' could not start or reach the Ray cluster at "
        "'ray://head:10001': Could not connect to the GCS")


def test_more_gpus_per_task_than_the_cluster_has_is_refused(local_ray):
    """Ray would queue the task forever; the 2-CPU test cluster has no GPU at all."""
    with pytest.raises(UserInputError, match=r"compute.gpus_per_task = 0.5 but the Ray cluster "
                                             r"has 0 GPUs"):
        RayBackend("cuda", gpus_per_task=0.5).run([toy_job()])
