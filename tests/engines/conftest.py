"""Predictions with every shape the engines must agree on: a tiny intersection, a decile score,
a continuous score, labels as ints, groups as strings."""

import numpy as np
import pandas as pd
import pytest


def predictions(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    race = rng.choice(["a", "b", "c"], n, p=[0.7, 0.27, 0.03])   # c x old: a handful of rows
    sex = rng.choice(["f", "m"], n)
    age = rng.choice(["old", "young"], n, p=[0.2, 0.8])
    y = rng.integers(0, 2, n)
    error = np.where(race == "b", 0.3, 0.1)
    raw = np.clip(0.3 * y + rng.random(n) * 0.7, 0, 1)
    return pd.DataFrame({
        "y": y, "yhat": np.where(rng.random(n) < error, 1 - y, y),
        "decile": np.ceil(raw * 10).clip(1, 10).astype(int), "risk": raw,
        "race": race, "sex": sex, "age": age})


@pytest.fixture
def frame():
    return predictions()


@pytest.fixture
def parquet_file(tmp_path, frame):
    path = tmp_path / "preds.parquet"
    frame.to_parquet(path)
    return path


@pytest.fixture
def partitioned(tmp_path, frame):
    """The same rows as four Parquet files in two sub-folders (a partitioned log)."""
    root = tmp_path / "logs"
    for k, rows in enumerate(np.array_split(np.arange(len(frame)), 4)):
        folder = root / f"day={k // 2}"
        folder.mkdir(parents=True, exist_ok=True)
        frame.iloc[rows].to_parquet(folder / f"part-{k}.parquet")
    (root / "_SUCCESS").write_text("")
    return root


@pytest.fixture
def broken_logs(tmp_path, frame):
    """Two CSV files; the second has no label in its rows 8 and 20."""
    logs = tmp_path / "broken"
    logs.mkdir()
    frame.iloc[:50].to_csv(logs / "a.csv", index=False)
    broken = frame.iloc[50:120].astype({"y": float}).reset_index(drop=True)
    broken.loc[[8, 20], "y"] = np.nan
    broken.to_csv(logs / "b.csv", index=False)
    return logs
