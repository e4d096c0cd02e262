"""Fixtures shared by every test folder: real runs made by the real pipeline."""

import sys
from pathlib import Path

import pytest

# Helpers shared by several test folders (real_results.py) import as top-level modules.
sys.path.insert(0, str(Path(__file__).resolve().parent))

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def small_config(out: Path, **overrides):
    """A real run, shrunk to stay fast on 2 CPU cores."""
    from nnaudit.config import load_config

    settings = {"out": str(out), "train.epochs": 3, "device": "cpu", "fairness.n_boot": 200,
                "saliency.n_examples": 8, "report.html": False}
    settings.update(overrides)
    return load_config(None, settings)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """One complete run with every audit, made once per test session by the real pipeline."""
    from nnaudit.pipeline import run_pipeline

    out = tmp_path_factory.mktemp("runs")
    return run_pipeline(small_config(out))
