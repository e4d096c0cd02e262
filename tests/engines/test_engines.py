"""DuckDB and pandas count the same predictions into the same counts, tables and card."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from nnaudit.engines import count_predictions
from nnaudit.errors import UserInputError
from nnaudit.fairness import fairness_audit, fairness_audit_counts
from nnaudit.fairness._table import compute_tables

MODES = {"labels": dict(pred="yhat"), "deciles": dict(score="decile", threshold=7),
         "continuous": dict(score="risk", threshold=0.55)}
GROUPS = ["race", "sex", "age"]


def assert_same_counts(a, b):
    """The two `CellCounts` store the same tables."""
    stored_b = b.to_tables()
    for name, table in a.to_tables().items():
        pd.testing.assert_frame_equal(table, stored_b[name], obj=name)


def assert_same(a, b):
    """Same counts tables, same audit tables and same card."""
    assert_same_counts(a.counts, b.counts)
    tables_a = compute_tables(a.counts, min_group_size=30, n_boot=100, seed=0)
    tables_b = compute_tables(b.counts, min_group_size=30, n_boot=100, seed=0)
    assert tables_a.keys() == tables_b.keys()
    for name in tables_a:
        pd.testing.assert_frame_equal(tables_a[name], tables_b[name], obj=name)
    assert a.card == b.card


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_duckdb_and_pandas_agree(tmp_path, frame, mode, suffix):
    path = tmp_path / f"preds.{suffix}"
    frame.to_parquet(path) if suffix == "parquet" else frame.to_csv(path, index=False)
    duck = count_predictions(path, label="y", groups=GROUPS, engine="duckdb", **MODES[mode])
    in_memory = count_predictions(path, label="y", groups=GROUPS, engine="pandas", **MODES[mode])
    assert (duck.engine, in_memory.engine) == ("duckdb", "pandas")
    assert_same(duck, in_memory)
    by_group = fairness_audit_counts(duck.counts, n_boot=0).tables["by_group"]
    tiny = by_group[by_group["subgroup"] == "c x old"]
    assert 0 < tiny["n"].iloc[0] < 30 and tiny["small_group"].iloc[0]  # a small cell, counted


def test_counts_from_files_equal_the_audit_of_the_rows(parquet_file, frame):
    counted = count_predictions(parquet_file, label="y", groups=GROUPS, score="decile",
                                threshold=7)
    rows = fairness_audit(frame["y"], np.zeros(len(frame), dtype=int), frame[GROUPS],
                          scores=frame["decile"].to_numpy(), threshold=7, n_boot=100)
    counts = fairness_audit_counts(counted.counts, n_boot=100)
    for name, table in rows.tables.items():
        pd.testing.assert_frame_equal(counts.tables[name], table, obj=name)
    assert counts.protocol["auc_max_error"] == 0.0  # deciles: every bin holds one value


@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
def test_a_glob_and_a_folder_count_like_one_file(parquet_file, partitioned, engine):
    single = count_predictions(parquet_file, label="y", groups=GROUPS, score="risk",
                               engine=engine)
    for source in (str(partitioned / "*" / "*.parquet"), partitioned):
        many = count_predictions(source, label="y", groups=GROUPS, score="risk", engine=engine)
        assert_same_counts(many.counts, single.counts)
        assert many.card["files"] == 4
    assert count_predictions(partitioned, label="y", groups=GROUPS, pred="yhat").card["name"] == "logs"


def test_a_file_larger_than_the_memory_limit_is_counted_out_of_core(tmp_path):
    """DuckDB with a 48 MiB limit counts a larger CSV: memory follows the number of cells and
    score bins, not of rows (the benchmark measures it at 100 M rows)."""
    rng = np.random.default_rng(1)
    n, path = 2_500_000, tmp_path / "big.csv"
    cells = ["a x f", "a x m", "b x f", "b x m"]
    cell = rng.integers(0, 4, n)
    y = rng.integers(0, 2, n)
    score = rng.random(n)                    # continuous: 10,000 bins per cell and label
    table = pa.table({"y": y, "race": np.array(["a", "a", "b", "b"])[cell],
                      "sex": np.array(["f", "m", "f", "m"])[cell], "score": score})
    pacsv.write_csv(table, path)
    assert path.stat().st_size > 48 * 2 ** 20
    counted = count_predictions(path, label="y", groups=["race", "sex"], score="score",
                                threshold=0.5, memory_limit="48MB")
    code = np.where(score >= 0.5, np.where(y == 1, 0, 1), np.where(y == 1, 3, 2))
    expected = np.bincount(cell * 4 + code, minlength=16).reshape(4, 4)  # tp, fp, tn, fn per cell
    order = [cells.index(" x ".join(c)) for c in counted.counts.cell_labels()]
    np.testing.assert_array_equal(counted.counts.binary, expected[order])
    assert counted.counts.histograms[1].counts.sum() == n


@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
def test_bad_sources_are_one_sentence_naming_the_file_and_column(tmp_path, frame, engine):
    def refused(source, match, **columns):
        columns = {"pred": "yhat", **columns}
        with pytest.raises(UserInputError, match=match):
            count_predictions(source, label="y", groups=["race"], engine=engine, **columns)

    refused(str(tmp_path / "nothing" / "*.parquet"), r"No file matches .*nothing/\*\.parquet")
    logs = tmp_path / "logs"
    logs.mkdir()
    frame.iloc[:100].to_parquet(logs / "a.parquet")
    frame.iloc[100:200].drop(columns="race").to_parquet(logs / "b.parquet")
    refused(logs, r"b\.parquet has no column 'race', which the other files")
    (logs / "b.parquet").unlink()
    frame.iloc[100:200].assign(y=lambda f: f["y"].map({0: "no", 1: "yes"})).to_parquet(logs / "b.parquet")
    refused(logs, r"Column 'y' holds text in .*b\.parquet but numbers in .*a\.parquet")
    (logs / "b.parquet").unlink()
    bad = frame.iloc[100:200].assign(risk=frame["risk"].iloc[100:200].astype(str))
    bad.iloc[3, bad.columns.get_loc("risk")] = "high"
    bad.to_parquet(logs / "b.parquet")
    refused(logs, r"Score column 'risk' of .*logs has non-numeric values \(first 'high' at row 3 "
                  r"of .*b\.parquet\)", pred=None, score="risk")
    (logs / "c.json").write_text("{}")
    refused(logs / "c.json", "neither CSV")
    refused(tmp_path / "absent.csv", "absent.csv does not exist")
    ragged = tmp_path / "ragged.csv"   # a header of 4 fields, rows of 3: no column can be read
    ragged.write_text("y,race,yhat,risk\n" + "1,a,0\n" * 200)
    if engine == "duckdb":
        refused(ragged, r"ragged\.csv could not be read as CSV: its rows do not all have as many "
                        r"fields as its header")


def test_missing_labels_are_located_in_their_file(broken_logs):
    for engine in ("duckdb", "pandas"):
        with pytest.raises(UserInputError, match=r"Label column 'y' of .*broken has 2 missing "
                                                 r"values \(first at row 8 of .*b\.csv\); every row"):
            count_predictions(broken_logs, label="y", pred="yhat", groups=["race"], engine=engine)


def test_spark_without_pyspark_or_java_says_what_to_install(parquet_file, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pyspark(name, *args, **kwargs):
        if name.split(".")[0] == "pyspark":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(builtins, "__import__", no_pyspark)
        with pytest.raises(UserInputError, match=r"pip install 'nnaudit\[spark\]'"):
            count_predictions(parquet_file, label="y", pred="yhat", groups=["race"], engine="spark")
    pytest.importorskip("pyspark")
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(UserInputError, match="needs Java 17.*openjdk-17-jre-headless"):
        count_predictions(parquet_file, label="y", pred="yhat", groups=["race"],
                          spark_master="local[1]")


def test_unknown_engine_is_refused(parquet_file):
    with pytest.raises(UserInputError, match="'polars' is not one of"):
        count_predictions(parquet_file, label="y", pred="yhat", groups=["race"], engine="polars")
