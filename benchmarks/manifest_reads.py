"""What the safe reading of a runs folder costs: listing 101 runs through `nnaudit.store`
(symbolic links resolved and confined, every manifest checked against `MANIFEST_SCHEMA`) against
the bare reference, `json.loads` of each manifest and nothing else.

    python -m benchmarks.manifest_reads [--quick]
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from benchmarks.common import timeit_cuda_aware

N_RUNS = 101


def make_folder(root: Path, n_runs: int) -> None:
    """Run directories shaped as a trained run's: a fairness audit with findings and a dataset
    card with per-split subgroup counts (the bulk of a real manifest)."""
    from nnaudit.results import Finding
    from nnaudit.store import RunWriter

    counts = {f"tone={t}, stroke={s}": 250 for t in ("light", "dark") for s in ("thin", "thick")}
    card = {"name": "shades-mnist", "size": {"train": 4000, "val": 500, "test": 1000},
            "subgroup_counts": {split: counts for split in ("train", "val", "test")},
            "limits": ["Simulated attributes."] * 3}
    for i in range(n_runs):
        writer = RunWriter.create(root, f"run-{i}", {"seed": i})
        writer.audits["fairness"] = {
            "status": "complete", "tables": {"by_group": "fairness/by_group.parquet"},
            "findings": [Finding("{worst} has {ratio} times the error rate of {best}",
                                 {"worst": "dark", "best": "light", "ratio": 2.0}).to_dict()] * 4,
            "summary": {"worst_group": "dark", "worst_group_error": 0.2}, "protocol": {}}
        writer.finish({"kind": "trained", "dataset": {"name": "shades-mnist", "card": card},
                       "metrics": {"test_accuracy": 0.97}})


def main(quick: bool = False) -> list[dict]:
    from nnaudit.store import MANIFEST, iter_run_dirs, list_runs

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_folder(root, N_RUNS)
        safe = timeit_cuda_aware(lambda: [run.status for run in list_runs(root)], repeats=9)
        bare = timeit_cuda_aware(
            lambda: [json.loads((p / MANIFEST).read_text())["status"] for p in iter_run_dirs(root)],
            repeats=9)
    print(f"store {safe['median_s'] * 1000:.1f} ms, bare json.loads {bare['median_s'] * 1000:.1f} ms")
    return [{"case": f"list {N_RUNS} runs (status of each)",
             "nnaudit": f"{safe['median_s'] * 1000:.1f} ms",
             "reference": f"{bare['median_s'] * 1000:.1f} ms",
             "ratio": round(safe["median_s"] / bare["median_s"], 1),
             "note": "ratio = cost of confinement + schema check over bare json.loads"}]


if __name__ == "__main__":
    import sys

    main(quick="--quick" in sys.argv)
