"""Wall time of the whole job: `nnaudit run` (default protocol) and `nnaudit run --full`.

Targets (issue 18): the default run under 60 s of stages on 2 CPU cores; --full under 2 minutes
on an H100. Prints each stage's seconds from the run's manifest, so the slow stage is named.
"""

from __future__ import annotations

import tempfile
import time


def time_run(protocol: str, device: str) -> dict:
    from nnaudit.config import load_config
    from nnaudit.pipeline import run_pipeline
    from nnaudit.store import Run

    with tempfile.TemporaryDirectory() as out:
        config = load_config(None, {"out": out, "device": device, "audits.protocol": protocol})
        start = time.perf_counter()
        run = Run.open(run_pipeline(config))
        total = time.perf_counter() - start
        return {"protocol": protocol, "device": run.manifest["device"], "total_s": round(total, 1),
                "test_accuracy": run.manifest["metrics"]["test_accuracy"],
                **{f"{k}_s": v for k, v in run.manifest["timings"].items()}}


# Issue 18's targets, in seconds: the default run on 2 CPU cores, --full on an H100.
TARGETS = {("default", "cpu"): 60, ("full", "cuda"): 120}


def main(quick: bool = False) -> list[dict]:
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    runs = [time_run("default", device)]
    if device == "cuda" and not quick:
        runs.append(time_run("full", device))
    rows = []
    for run in runs:
        print("  ".join(f"{k}={v}" for k, v in run.items()))
        target = TARGETS.get((run["protocol"], device))
        stages = ", ".join(f"{k[:-2]} {v:.1f}s" for k, v in run.items()
                           if k.endswith("_s") and k != "total_s")
        rows.append({"case": f"nnaudit run, {run['protocol']} protocol",
                     "nnaudit": f"{run['total_s']} s",
                     "reference": f"target {target} s" if target else "",
                     "ratio": round(target / run["total_s"], 1) if target else "",
                     "note": f"{stages}; ratio = target / time"})
    return rows


if __name__ == "__main__":
    import sys

    main(quick="--quick" in sys.argv)
