"""The dashboard tests' folder of runs (built by `dashboard_run_folder`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # importlib mode: make the helper importable

from dashboard_run_folder import write_folder  # noqa: E402


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "runs")
