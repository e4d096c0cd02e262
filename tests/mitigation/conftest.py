"""Runs to mitigate: made by the real pipeline on simulated data with a known score shift."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

# Fixtures of other folders used here: the command line in this process, and one torch thread
# (two fight each other on a loaded 2-core machine).
from tests.cli.conftest import cli  # noqa: F401
from tests.train.conftest import one_thread  # noqa: F401

# The shift of group b's observed feature: the model scores b higher for the same truth, so
# its false and true positive rates are both higher (the effect thresholds must undo).
SHIFT = 0.8


def shifted_scores(n: int, seed: int, shift: float = SHIFT):
    """Binary truth from a latent z; a score that reads z shifted by ``shift`` for group b.

    Returns (score, y, group): the group does not change the truth, only the score.
    """
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], n, p=[0.6, 0.4])
    z = rng.normal(size=n)
    y = rng.random(n) < 1 / (1 + np.exp(-3 * z))
    observed = z + np.where(group == "b", shift, 0.0) + 0.3 * rng.normal(size=n)
    score = 1 / (1 + np.exp(-3 * observed))
    return score, y, group


def simulated_csv(path: Path, n: int = 6000, seed: int = 0, *, classes: int = 2,
                  negatives_only: str | None = None) -> Path:
    """A tabular CSV: features x1 (the shifted score's evidence) and x2 (noise), sensitive
    column ``group``, target ``y`` ("no"/"yes", or three classes with "maybe").
    ``negatives_only`` names a group of 300 rows whose every label is "no"."""
    score, y, group = shifted_scores(n, seed)
    rng = np.random.default_rng(seed + 1)
    frame = pd.DataFrame({"x1": np.log(score / (1 - score)), "x2": rng.normal(size=n),
                          "group": group, "y": np.where(y, "yes", "no")})
    if classes == 3:
        frame["y"] = np.where(rng.random(n) < 0.3, "maybe", frame["y"])
    if negatives_only:
        frame.loc[frame.index[:300], ["group", "y"]] = [negatives_only, "no"]
    frame.to_csv(path, index=False)
    return path


def csv_config(out: Path, csv: Path, **overrides):
    from nnaudit.config import load_config

    settings = {"out": str(out), "data.name": "csv",
                "data.options": {"path": str(csv), "target": "y", "sensitive": ["group"]},
                "model.name": "perceptron", "train.epochs": 3, "train.batch_size": 256,
                "train.lr": 0.05, "device": "cpu", "audits.run": ["fairness"],
                "energy.enabled": False, "fairness.n_boot": 300, "report.html": False}
    settings.update(overrides)
    return load_config(None, settings)


@pytest.fixture(scope="session")
def trained_base(tmp_path_factory) -> Path:
    """A perceptron trained on the simulated CSV: its scores carry group b's shift."""
    from nnaudit.pipeline import run_pipeline

    folder = tmp_path_factory.mktemp("trained")
    csv = simulated_csv(folder / "sim.csv")
    torch.set_num_threads(1)
    return run_pipeline(csv_config(folder / "runs", csv))


@pytest.fixture(scope="session")
def scored_file(tmp_path_factory) -> Path:
    """A predictions file with a score column, from the same shifted score."""
    folder = tmp_path_factory.mktemp("blackbox")
    score, y, group = shifted_scores(4000, seed=1)
    path = folder / "scored.csv"
    # not yes/no: DuckDB's CSV sniffer reads those as booleans
    pd.DataFrame({"truth": np.where(y, "granted", "refused"), "risk": score,
                  "group": group}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def blackbox_base(scored_file) -> Path:
    """The black-box run of ``scored_file`` (nnaudit fairness --score risk)."""
    from nnaudit.config import load_config
    from nnaudit.pipeline import run_blackbox

    config = load_config(None, {"out": str(scored_file.parent / "runs"), "energy.enabled": False,
                                "fairness.n_boot": 300, "report.html": False})
    return run_blackbox(scored_file, label="truth", score="risk", groups=["group"],
                        positive="granted", config=config)


def run_dirs(folder: Path) -> list[str]:
    """The run directories in ``folder`` (none when it does not exist)."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []
