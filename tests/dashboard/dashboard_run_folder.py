"""Builds a folder of runs for the dashboard tests: two complete runs written from real audit
results (tests/real_results.py), the first one's mitigated run, a failed run, an interrupted run
(no manifest) and a corrupt one (unreadable manifest)."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: real_results

from real_results import (energy_result, every_result, fairness_result,  # noqa: E402
                          mitigated_run, write_run)

from nnaudit.store import RunWriter  # noqa: E402

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
RUN_A = "20260102T100000Z-shades-lenet5"
RUN_B = "20260103T100000Z-shades-lenet5-balanced"
FAILED = "20260104T100000Z-failed"
INCOMPLETE = "20260105T100000Z-interrupted"
CORRUPT = "20260106T100000Z-corrupt"
MITIGATED = "20260107T100000Z-shades-lenet5-mitigated"
ACCURACY = {RUN_A: 0.8125, RUN_B: 0.845}
FEMALE_FLIP = {RUN_A: 0.25, RUN_B: 0.10}   # injected error rate of the women's predictions
TRAINING_KWH = {RUN_A: 0.04, RUN_B: 0.08}


def write_folder(root: Path) -> Path:
    """Two complete runs, a mitigated one, a failed one, an interrupted one and a corrupt one
    under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for name in (RUN_A, RUN_B):
        results = (every_result(FEMALE_FLIP[name], TRAINING_KWH[name]) if name == RUN_A else
                   [fairness_result(FEMALE_FLIP[name]), energy_result(TRAINING_KWH[name])])
        path = write_run(root, name, results, test_accuracy=ACCURACY[name],
                         female_flip=FEMALE_FLIP[name])
        (path / "report.html").write_text("<html><body>report</body></html>")
    mitigated_run(root, MITIGATED, root / RUN_A)
    failed = RunWriter(root / FAILED)
    (root / FAILED).mkdir()
    failed.write_config({"name": FAILED})
    failed.finish({"error": "training diverged: loss is NaN"}, status="failed")
    (root / INCOMPLETE).mkdir()
    RunWriter(root / INCOMPLETE).write_config({"name": INCOMPLETE})
    (root / CORRUPT).mkdir()
    (root / CORRUPT / "manifest.json").write_text("{ not json")
    return root

