"""Spark: the same SQL text on a cluster (or in local mode), for logs that live there.

pyspark is an optional extra (``pip install 'nnaudit[spark]'``) and needs Java 17; both are
checked before a session starts, so a missing one is one sentence, not a JVM traceback.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd

from nnaudit.engines._files import PredictionFiles
from nnaudit.engines._sql import VIEW
from nnaudit.errors import UserInputError


def spark_kind(data_type) -> str:
    """A Spark SQL data type as one of the kinds the SQL text distinguishes."""
    name = data_type.typeName()
    if name in ("byte", "short", "integer", "long"):
        return "integer"
    if name in ("float", "double"):
        return "float"
    if name == "decimal":
        return "decimal"
    if name == "boolean":
        return "boolean"
    if name in ("string", "varchar", "char"):
        return "string"
    return data_type.simpleString()  # refused by check_schemas, named as Spark names it


def require_spark() -> None:
    """pyspark importable and a Java runtime on this machine, or one sentence saying which."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise UserInputError("The Spark engine needs pyspark: pip install 'nnaudit[spark]'.") from None
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java_home and (Path(java_home) / "bin" / "java").exists()):
        raise UserInputError("The Spark engine needs Java 17 and there is no `java` on PATH (nor "
                             "JAVA_HOME): install a JRE, e.g. apt-get install openjdk-17-jre-headless.")


def local_session(master: str | None = None):
    """A SparkSession on ``master`` (default ``local[*]``), without the web UI."""
    require_spark()
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master(master or "local[*]").appName("nnaudit")
            .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate())


class SparkEngine:
    """The view ``predictions`` over files (or a Spark DataFrame) in a SparkSession."""

    name = "spark"

    def __init__(self, source: PredictionFiles | str | object, *, session=None,
                 master: str | None = None):
        # a session started here stays for the next count (getOrCreate finds it): starting
        # one costs 10-20 s, and it ends with the process
        self.session = session or local_session(master)
        if isinstance(source, (PredictionFiles, str)):
            frame = self._read(source)
        else:  # a Spark DataFrame handed over from Python
            frame = source
        frame.createOrReplaceTempView(VIEW)
        self.schema = frame.schema

    def _read(self, source: PredictionFiles | str):
        reader = self.session.read
        if isinstance(source, str):  # a cluster path (hdfs://, s3a://): Spark lists it itself
            paths, file_format = [source], "csv" if source.lower().endswith(".csv") else "parquet"
        else:
            paths, file_format = [str(p) for p in source.files], source.format
        if file_format == "parquet":
            return reader.option("mergeSchema", "true").parquet(*paths)
        return reader.options(header=True, inferSchema=True).csv(paths)

    def kinds(self) -> dict[str, str]:
        return {field.name: spark_kind(field.dataType) for field in self.schema.fields}

    def query(self, sql: str) -> pd.DataFrame:
        from pyspark.errors import PySparkException

        try:
            return self.session.sql(sql).toPandas()
        except PySparkException as error:
            first = str(error).strip().splitlines()[0]
            raise UserInputError(f"Spark cannot read the predictions: {first}") from error

    def close(self) -> None:
        self.session.catalog.dropTempView(VIEW)
