"""The compute seam: jobs run in process with their audit named on failure, [compute] settings
checked, and a Ray task's energy added to the run's total."""

from __future__ import annotations

import pytest
import torch

from nnaudit.compute import LocalBackend, TrainingFailed
from nnaudit.config import load_config
from nnaudit.errors import UserInputError

from tests.compute.conftest import toy_job


def test_jobs_run_in_order_with_progress_and_leave_the_random_state_alone():
    seen = []
    torch.manual_seed(123)
    before = torch.get_rng_state()
    results = LocalBackend("cpu", on_progress=lambda done, total: seen.append((done, total))).run(
        [toy_job("a"), toy_job("b", ys=toy_job().ys[:1], seeds=(5,))])
    assert torch.equal(torch.get_rng_state(), before)
    assert seen == [(1, 2), (2, 2)]
    assert [len(r.seeds) for r in results] == [2, 1]
    assert results[1].seeds == [5]


def test_a_failed_training_names_its_audit_and_condition():
    broken = toy_job("label noise 0, 1", x=torch.rand(7, 1, 8, 8))  # 7 images, 120 labels
    with pytest.raises(TrainingFailed, match=r"memorization audit's training 'label noise 0, 1' "
                                             r"failed: ValueError: x has 7 rows"):
        LocalBackend("cpu").run([toy_job(), broken])


@pytest.mark.parametrize("setting, message", [
    ({"compute.backend": "dask"}, "compute.backend must be one of local, ray"),
    ({"compute.address": "auto"}, "compute.address must be empty unless compute.backend is 'ray'"),
    ({"compute.backend": "ray", "compute.gpus_per_task": 0}, "compute.gpus_per_task must be a "
                                                            "positive number"),
    ({"compute.cpu_threads": -1}, "compute.cpu_threads must be at least 0"),
])
def test_compute_settings_are_checked_naming_the_key(setting, message):
    with pytest.raises(UserInputError, match=message):
        load_config(None, setting)


def test_a_remote_task_energy_joins_the_run_total(tmp_path, monkeypatch):
    """What a Ray task on another machine measured there is a row of the energy audit and part
    of its total (the fake backend stands for that machine: it hands back one record)."""
    import nnaudit.compute as compute
    from nnaudit.energy._meter import MEASURED, PhaseRecord
    from nnaudit.pipeline import run_pipeline
    from nnaudit.store import Run

    from tests.conftest import small_config

    remote = PhaseRecord(phase="seed_stability task: seeds 0, 1, 2 (on node-2)", status="ok",
                         reason="", duration_s=3.0, cpu_kwh=0.25, gpu_kwh=0.0, ram_kwh=0.05,
                         kg_co2eq=0.3 * 0.056, intensity_g_per_kwh=56.0, cpu_label=MEASURED,
                         gpu_label="absent", ram_label=MEASURED)

    class RemoteMachine(LocalBackend):
        name = "ray"

        def __init__(self, device, on_energy, **_):
            super().__init__(device)
            self.on_energy = on_energy

        def run(self, jobs):
            results = super().run(jobs)
            self.on_energy(remote)
            return results

    monkeypatch.setattr(compute, "compute_backend",
                        lambda settings, device, on_energy=None, **kw: RemoteMachine(device,
                                                                                     on_energy))
    run = Run.open(run_pipeline(small_config(tmp_path, **{"audits.run": ["seed_stability"],
                                                          "train.epochs": 1})))
    phases = run.table("energy", "phases").set_index("phase")
    assert phases.loc[remote.phase, "energy_kwh"] == pytest.approx(0.3)
    here = phases.drop(index=[remote.phase, "total"]).energy_kwh.sum()
    assert phases.loc["total", "energy_kwh"] == pytest.approx(here + 0.3)


def test_ray_missing_is_refused_with_the_extra_to_install_before_any_run(monkeypatch):
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "ray" else find_spec(name, *a))
    with pytest.raises(UserInputError, match=r"needs Ray: pip install 'nnaudit\[ray\]'"):
        load_config(None, {"compute.backend": "ray"})
    assert load_config(None, {"compute.backend": "local"}).compute.backend == "local"


@pytest.mark.parametrize("address", ["x", "head", "ray://head", "head:port", "head:0",
                                     "head:70000", "http://head:1/x"])
def test_a_malformed_cluster_address_is_refused_when_the_settings_are_read(address):
    with pytest.raises(UserInputError, match=r"compute.address must be 'auto', 'HOST:PORT' or "
                                             r"'ray://HOST:PORT', not "):
        load_config(None, {"compute.backend": "ray", "compute.address": address})


def test_a_cluster_address_nothing_answers_at_is_refused_before_any_run(tmp_path):
    """Ray itself retries for minutes against a closed port; the run is refused at once, before
    a run directory exists. A listening port is accepted (the control). Reading a Ray address
    needs Ray (the 'ray' extra, which the README's test install does not include)."""
    import socket

    pytest.importorskip("ray")

    from nnaudit.compute import check_reachable
    from nnaudit.pipeline import run_pipeline

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]     # bound, never listening: connections are refused
        config = load_config(None, {"compute.backend": "ray", "out": str(tmp_path / "runs"),
                                    "compute.address": f"127.0.0.1:{port}"})
        with pytest.raises(UserInputError, match=rf"compute.address '127.0.0.1:{port}': nothing "
                                                 rf"answers at 127.0.0.1:{port} "):
            run_pipeline(config)
    assert not (tmp_path / "runs").exists()
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        check_reachable(load_config(None, {"compute.backend": "ray",
                                           "compute.address": f"ray://127.0.0.1:{port}"}).compute)
