"""The benchmark scripts are run by hand (and on a GPU when one is lent), never by the suite:
importing each one here is what keeps a refactor from breaking them unseen (robustness_speed
imported a helper that had been renamed for a whole release)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCHMARKS = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "benchmarks").glob("*.py")
                    if p.stem not in {"__init__", "__main__"})


@pytest.mark.parametrize("name", BENCHMARKS)
def test_each_benchmark_script_imports(name):
    module = importlib.import_module(f"benchmarks.{name}")
    assert module.__name__ == f"benchmarks.{name}"
