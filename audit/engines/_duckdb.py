"""DuckDB: the aggregation out of core on one machine, the default for files.

DuckDB streams Parquet and CSV and spills its hash tables to a temporary folder when they
outgrow ``memory_limit``, so a log larger than memory is counted in bounded memory. Also the
schema reader and row locator for local files whatever the engine (metadata and error paths).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from nnaudit.engines._files import PredictionFiles
from nnaudit.engines._sql import VIEW, quote
from nnaudit.errors import UserInputError


def duckdb_kind(type_name: str) -> str:
    """A DuckDB column type as one of the kinds the SQL text distinguishes."""
    name = type_name.upper()
    if re.fullmatch(r"U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)", name):
        return "integer"
    if name in ("FLOAT", "DOUBLE"):
        return "float"
    if name.startswith("DECIMAL"):
        return "decimal"
    if name == "BOOLEAN":
        return "boolean"
    if name == "VARCHAR":
        return "string"
    return type_name  # refused by check_schemas, named as DuckDB names it


# CSV read buffer: DuckDB's default (32 MiB per thread) alone outgrows a small memory limit;
# 4 MiB reads as fast (5 M rows, 2 cores) and still holds DuckDB's longest line (2 MiB).
CSV_BUFFER = 4 * 2 ** 20


def scan(files: PredictionFiles | list[Path], file_format: str | None = None, *,
         extra: str = "") -> str:
    """The DuckDB table function reading ``files`` (columns matched by name across files)."""
    paths = files.files if isinstance(files, PredictionFiles) else files
    file_format = file_format or files.format
    listed = ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths)
    options = (", union_by_name = true" if len(paths) > 1 else "") + extra
    # folder names such as day=3 stay names: every engine reads the same columns, the files'
    options += ", hive_partitioning = false"
    if file_format == "parquet":
        return f"read_parquet([{listed}]{options})"
    return f"read_csv([{listed}], buffer_size = {CSV_BUFFER}{options})"


class DuckDBEngine:
    """One in-memory DuckDB connection with the view ``predictions`` over the files."""

    name = "duckdb"

    def __init__(self, files: PredictionFiles, *, memory_limit: str | None = None,
                 threads: int | None = None):
        import duckdb

        self._spill = tempfile.mkdtemp(prefix="nnaudit-duckdb-")
        # an aggregation needs no row order, and keeping it costs memory
        self.connection = duckdb.connect(config={"temp_directory": self._spill,
                                                 "preserve_insertion_order": False})
        if memory_limit is not None:
            self.connection.execute(f"SET memory_limit = '{_size(memory_limit)}'")
        if threads is not None:
            self.connection.execute(f"SET threads = {int(threads)}")
        try:
            self.query(f"CREATE VIEW {VIEW} AS SELECT * FROM {scan(files)}")
        except UserInputError:
            self.close()
            raise

    def kinds(self) -> dict[str, str]:
        described = self.connection.execute(f"DESCRIBE {VIEW}").fetchall()
        return {row[0]: duckdb_kind(row[1]) for row in described}

    def query(self, sql: str) -> pd.DataFrame:
        import duckdb

        try:
            return self.connection.execute(sql).df()
        except duckdb.OutOfMemoryException as error:
            raise UserInputError(f"DuckDB ran out of memory ({_first_line(error)}); raise "
                                 "memory_limit or free disk space for spilling.") from error
        except duckdb.Error as error:  # unreadable files surface here, when the rows are read
            raise UserInputError(f"DuckDB cannot read the predictions: {_first_line(error)}") from error

    def close(self) -> None:
        self.connection.close()
        shutil.rmtree(self._spill, ignore_errors=True)


def file_schemas(files: PredictionFiles) -> dict[Path, dict[str, str]]:
    """Each file's columns and their kinds, from Parquet metadata or DuckDB's CSV sniffer."""
    import duckdb

    connection = duckdb.connect()
    try:
        schemas = {}
        for file in files.files:
            try:
                rows = connection.execute(f"DESCRIBE SELECT * FROM {scan([file], files.format)}").fetchall()
            except duckdb.Error as error:
                raise UserInputError(f"Cannot read {file}: {_first_line(error)}") from error
            schemas[file] = {row[0]: duckdb_kind(row[1]) for row in rows}
        return schemas
    finally:
        connection.close()


def first_row(files: PredictionFiles, condition: str,
              column: str | None = None) -> tuple[Path, int, str | None] | None:
    """The first file (in order), row (0-based, in that file) where ``condition`` holds, and
    the value of ``column`` there; None when no row matches. Only error messages call this."""
    import duckdb

    connection = duckdb.connect()
    try:
        connection.execute(f"CREATE VIEW {VIEW} AS SELECT * FROM "
                           f"{scan(files, extra=', filename = true')}")
        found = connection.execute(f"SELECT MIN(filename) FROM {VIEW} WHERE {condition}").fetchone()[0]
        if found is None:
            return None
        file = next(f for f in files.files if str(f) == found or Path(found) == f)
        value = f"CAST({quote(column)} AS STRING)" if column else "NULL"
        # DuckDB keeps a scan's row order in a window without ORDER BY (insertion order)
        connection.execute(f"CREATE OR REPLACE VIEW {VIEW} AS SELECT * FROM {scan([file], files.format)}")
        row, text = connection.execute(
            f"SELECT row, value FROM (SELECT ROW_NUMBER() OVER () - 1 AS row, {value} AS value, "
            f"{condition} AS hit FROM {VIEW}) WHERE hit ORDER BY row LIMIT 1").fetchone()
        return file, int(row), text
    finally:
        connection.close()


def _size(limit: str) -> str:
    if not re.fullmatch(r"\s*\d+(\.\d+)?\s*([KMGT]i?B|B)?\s*", str(limit), flags=re.IGNORECASE):
        raise UserInputError(f"Memory limit {limit!r} is not a size such as '2GB' or '512MB'.")
    return str(limit).strip()


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]
