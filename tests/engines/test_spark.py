"""Spark in local mode counts the same predictions into the same counts as DuckDB.

Slow: a local SparkSession takes 10-20 s to start. Needs the ``spark`` extra and Java 17
(.ci/run installs both); skipped without them.
"""

from __future__ import annotations

import shutil

import pytest

from nnaudit.engines import count_predictions
from nnaudit.errors import UserInputError

from tests.engines.test_engines import GROUPS, MODES, assert_same, assert_same_counts

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime")
    from nnaudit.engines._spark import local_session

    session = local_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_spark_and_duckdb_agree(spark, tmp_path, frame, mode, suffix):
    path = tmp_path / f"preds.{suffix}"
    frame.to_parquet(path) if suffix == "parquet" else frame.to_csv(path, index=False)
    on_spark = count_predictions(path, label="y", groups=GROUPS, spark=spark, **MODES[mode])
    assert on_spark.engine == "spark"
    assert_same(on_spark, count_predictions(path, label="y", groups=GROUPS, **MODES[mode]))


def test_spark_reads_a_partitioned_folder_and_a_spark_dataframe(spark, partitioned, frame):
    reference = count_predictions(partitioned, label="y", groups=GROUPS, score="risk")
    assert_same(count_predictions(partitioned, label="y", groups=GROUPS, score="risk",
                                  engine="spark", spark=spark), reference)
    handed_over = count_predictions(spark.createDataFrame(frame), label="y", groups=GROUPS,
                                    score="risk", spark=spark)
    assert_same_counts(handed_over.counts, reference.counts)


def test_spark_refuses_bad_input_in_the_same_words(spark, broken_logs):
    messages = []
    for engine in ("spark", "duckdb"):
        with pytest.raises(UserInputError, match=r"first at row 8 of .*b\.csv") as error:
            count_predictions(broken_logs, label="y", pred="yhat", groups=["race"], engine=engine,
                              spark=spark if engine == "spark" else None)
        messages.append(str(error.value))
    assert messages[0] == messages[1]
