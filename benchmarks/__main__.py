"""Run every benchmark module in this folder and print one table of their rows.

    python -m benchmarks            # full sizes (meant for a GPU)
    python -m benchmarks --quick    # CPU-friendly sizes
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import traceback

import benchmarks
from benchmarks.common import describe_environment, print_table


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes that finish on a CPU")
    parser.add_argument("--only", nargs="*", help="run only these modules (e.g. train_speed)")
    args = parser.parse_args()

    import torch

    print(describe_environment("cuda" if torch.cuda.is_available() else "cpu"))
    rows = []
    for info in pkgutil.iter_modules(benchmarks.__path__):
        if info.name in ("common", "__main__") or (args.only and info.name not in args.only):
            continue
        print(f"\n## {info.name}")
        try:
            module = importlib.import_module(f"benchmarks.{info.name}")
            if not callable(getattr(module, "main", None)):
                continue
            for row in module.main(quick=args.quick) or []:
                rows.append({"benchmark": info.name, **row})
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            rows.append({"benchmark": info.name, "case": f"failed: {exc.__class__.__name__}: {exc}"})
    print("\n## Summary")
    first = ["benchmark", "case", "nnaudit", "reference", "ratio"]
    print_table(rows, list(dict.fromkeys(first + [k for row in rows for k in row])))


if __name__ == "__main__":
    main()
