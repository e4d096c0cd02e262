import numpy as np
import pandas as pd
import pytest


def rows_from_cells(cells: dict[tuple[str, str], tuple[int, int, int, int]]):
    """y_true, y_pred, groups from confusion counts (tp, fp, tn, fn) per (tone, stroke) cell."""
    y_true, y_pred, tone, stroke = [], [], [], []
    for (t, s), (tp, fp, tn, fn) in cells.items():
        for truth, pred, count in ((1, 1, tp), (0, 1, fp), (0, 0, tn), (1, 0, fn)):
            y_true += [truth] * count
            y_pred += [pred] * count
            tone += [t] * count
            stroke += [s] * count
    return np.array(y_true), np.array(y_pred), pd.DataFrame({"tone": tone, "stroke": stroke})


def biased_data(n: int, seed: int, worst_error: float, other_error: float = 0.08):
    """Binary predictions whose error rate is ``worst_error`` in dark x thin only."""
    rng = np.random.default_rng(seed)
    groups = pd.DataFrame({"tone": rng.choice(["light", "dark"], n, p=[0.7, 0.3]),
                           "stroke": rng.choice(["thin", "thick"], n)})
    y_true = rng.integers(0, 2, n)
    worst = (groups["tone"] == "dark") & (groups["stroke"] == "thin")
    error = np.where(worst, worst_error, other_error)
    y_pred = np.where(rng.random(n) < error, 1 - y_true, y_true)
    return y_true, y_pred, groups


@pytest.fixture
def hand_cells():
    return {("light", "thin"): (3, 1, 4, 2), ("light", "thick"): (2, 0, 3, 0),
            ("dark", "thin"): (0, 2, 1, 0), ("dark", "thick"): (1, 1, 0, 2)}


@pytest.fixture
def make_rows():
    return rows_from_cells


@pytest.fixture
def make_biased():
    return biased_data
