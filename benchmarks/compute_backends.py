"""The memorization audit's trainings in this process against the same jobs as Ray tasks.

The default protocol on shades-mnist (LeNet-5): the label-noise sweep and the weight-decay row
of the ablation, two independent jobs (the full protocol's six on a GPU). In process they run
one after the other; on a local Ray (2 CPUs on a CPU machine; on a GPU, half a GPU a task, so
two share each GPU) they run side by side. The table says what the backend costs (starting
Ray, sending data and results) and what it buys; both give the same tables (tests/compute/test_ray.py).

    PYTHONPATH=. python -m benchmarks.compute_backends [--quick]
"""

from __future__ import annotations

import os
import time

import torch

from benchmarks.common import run_standalone
from nnaudit.compute import LocalBackend, RayBackend
from nnaudit.generalization import memorization_audit
from nnaudit.models import factory
from nnaudit.train import TrainConfig


def main(quick: bool = False) -> list[dict]:
    import ray

    from nnaudit.data import load_dataset

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dataset = load_dataset("shades-mnist", seed=0)
    make = factory("lenet5", dataset.input_shape, dataset.num_classes)
    protocol = "default" if quick or device.type == "cpu" else "full"

    def audit(backend):
        start = time.perf_counter()
        result = memorization_audit(dataset, make, TrainConfig(), device, protocol=protocol,
                                    compute=backend)
        return time.perf_counter() - start, result.protocol["seconds"]

    load = os.getloadavg()[0]
    local_s, local_jobs = audit(LocalBackend(device))
    start = time.perf_counter()
    ray.init(num_cpus=2 if device.type == "cpu" else None, include_dashboard=False,
             log_to_driver=False, logging_level="warning")
    ray_start_s = time.perf_counter() - start
    try:
        ray_s, _ = audit(RayBackend(device, gpus_per_task=0.5))
    finally:
        ray.shutdown()
    jobs = ", ".join(f"{k} {v:.1f}s" for k, v in local_jobs.items() if k != "trainings")
    return [{"case": f"memorization audit ({protocol} protocol), local Ray vs in process",
             "nnaudit": f"{ray_s:.1f} s (+{ray_start_s:.1f} s to start Ray)",
             "reference": f"{local_s:.1f} s", "ratio": round(local_s / ray_s, 2),
             "note": f"jobs in process: {jobs}; load average {load:.1f} at the start"}]


if __name__ == "__main__":
    run_standalone(main)
