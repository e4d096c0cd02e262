"""Fairness counts at scale: DuckDB out of core against pandas in memory, and Spark local mode.

Target (issue 16): 100 million prediction rows (generated Parquet, partitioned in 100 files,
3 binary attributes = 8 intersections, a float32 score) counted through DuckDB in under 60 s
and 2 GB of peak memory on 2 CPU cores, against the pandas path on as many rows as it holds;
Spark in local mode on the same data gives the same counts, and its time is reported.

Each engine runs in a child process, so its peak resident memory (VmHWM: Python, the
libraries, the data and DuckDB's buffers; not Spark's JVM, a process of its own) is its own.
Time and memory per row compare the engines side by side in one run.

    python -m benchmarks.scale_speed [--quick] [--rows N] [--pandas-rows N] [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS_PER_FILE = 1_000_000
COLUMNS = dict(label="label", score="score", threshold=0.5, groups=["tone", "sex", "age"])


def generate(folder: Path, rows: int) -> Path:
    """``rows`` predictions as Parquet files of a million rows (part=k/ folders), by DuckDB.

    Row i is the same whatever ``rows`` (hashes of i), so a smaller set is the start of a larger
    one. Dark-tone positives get lower scores, so the audit has a gap to find. Reused when
    present.
    """
    import duckdb

    done = folder / f"rows={rows}"
    if (done / "_SUCCESS").exists():
        return done
    folder.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect()
    connection.execute(f"""COPY (
        SELECT tone, sex, age, label,
               LEAST(1.0, GREATEST(0.0, 0.35 * label + 0.65 * u
                     - CASE WHEN tone = 'dark' THEN 0.15 * label ELSE 0 END))::FLOAT AS score,
               i // {ROWS_PER_FILE} AS part
        FROM (SELECT i,
                     CASE WHEN hash(i, 1) % 100 < 80 THEN 'light' ELSE 'dark' END AS tone,
                     CASE WHEN hash(i, 2) % 2 = 0 THEN 'female' ELSE 'male' END AS sex,
                     CASE WHEN hash(i, 3) % 100 < 70 THEN 'young' ELSE 'old' END AS age,
                     (hash(i, 4) % 2)::TINYINT AS label,
                     (hash(i, 5) % 1000003) / 1000003.0 AS u
              FROM range({rows}) AS t(i)))
        TO '{done}' (FORMAT parquet, PARTITION_BY (part), OVERWRITE)""")
    (done / "_SUCCESS").write_text("")
    return done


def child(engine: str, source: str, out: str) -> None:
    """Count ``source`` with ``engine`` in this process; print seconds, rows and peak memory."""
    from nnaudit.engines import count_predictions

    start = time.perf_counter()
    options = {"spark_master": "local[2]"} if engine == "spark" else {}
    counted = count_predictions(source, engine=engine, **COLUMNS, **options)
    seconds = time.perf_counter() - start
    for name, table in counted.counts.to_tables().items():
        table.to_parquet(Path(out) / f"{name}.parquet")
    print(json.dumps({"seconds": seconds, "rows": counted.counts.n, "peak_bytes": peak_memory()}))


def peak_memory() -> int:
    """This process's peak resident memory in bytes: VmHWM, which starts again at exec (Linux
    keeps ru_maxrss across exec, so a child would report its parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(engine: str, source: str) -> dict:
    """One engine in a child process: its figures and the counts it wrote."""
    import pandas as pd

    with tempfile.TemporaryDirectory() as out:
        proc = subprocess.run([sys.executable, "-m", "benchmarks.scale_speed", "--child", engine,
                               source, out], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{engine} failed: {proc.stderr[-2000:]}")
        figures = json.loads(proc.stdout.strip().splitlines()[-1])
        figures["tables"] = {p.stem: pd.read_parquet(p) for p in Path(out).glob("*.parquet")}
    return figures


def same_counts(a: dict, b: dict) -> bool:
    import pandas as pd

    try:
        for name, table in a["tables"].items():
            pd.testing.assert_frame_equal(table, b["tables"][name])
    except AssertionError:
        return False
    return True


def main(quick: bool = False, rows: int | None = None, pandas_rows: int | None = None,
         data: Path | None = None, spark: bool = True) -> list[dict]:
    rows = rows or (10_000_000 if quick else 100_000_000)
    pandas_rows = pandas_rows or rows // 10
    data = Path(data or Path(tempfile.gettempdir()) / "nnaudit-scale-bench")
    start = time.perf_counter()
    folder = generate(data, rows)
    print(f"data: {rows:,} rows in {len(list(folder.glob('part=*')))} files "
          f"({sum(p.stat().st_size for p in folder.rglob('*.parquet')) / 1e6:.0f} MB), "
          f"ready in {time.perf_counter() - start:.0f} s")
    # the pandas path gets the first rows only (the generator is deterministic per row), as
    # many as it holds
    subset = str(generate(data, pandas_rows))

    duck = measure("duckdb", str(folder))
    in_memory = measure("pandas", subset)
    duck_subset = measure("duckdb", subset)
    out = []
    for name, figures in (("duckdb", duck), ("pandas", in_memory)):
        print(f"{name}: {figures['rows']:,} rows in {figures['seconds']:.1f} s, peak "
              f"{figures['peak_bytes'] / 2**30:.2f} GiB")
    per_row = {name: (f["seconds"] / f["rows"], f["peak_bytes"] / f["rows"])
               for name, f in (("duckdb", duck), ("pandas", in_memory))}
    out.append({"case": f"count {duck['rows']:,} rows (DuckDB) vs {in_memory['rows']:,} (pandas), "
                        "time per row",
                "nnaudit": f"{duck['seconds']:.1f} s", "reference": f"{in_memory['seconds']:.1f} s",
                "ratio": round(per_row["pandas"][0] / per_row["duckdb"][0], 1)})
    out.append({"case": "same, peak memory per row",
                "nnaudit": f"{duck['peak_bytes'] / 2**30:.2f} GiB",
                "reference": f"{in_memory['peak_bytes'] / 2**30:.2f} GiB",
                "ratio": round(per_row["pandas"][1] / per_row["duckdb"][1], 1)})
    out.append({"case": f"DuckDB and pandas counts identical on {in_memory['rows']:,} rows",
                "nnaudit": same_counts(duck_subset, in_memory)})
    if spark:
        on_spark = measure("spark", str(folder))
        print(f"spark local[2]: {on_spark['rows']:,} rows in {on_spark['seconds']:.1f} s")
        out.append({"case": f"Spark local[2] on {on_spark['rows']:,} rows (same counts: "
                            f"{same_counts(duck, on_spark)})",
                    "nnaudit": f"{duck['seconds']:.1f} s", "reference": f"{on_spark['seconds']:.1f} s",
                    "ratio": round(on_spark["seconds"] / duck["seconds"], 1)})
    for row in out:
        print(row)
    return out


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:5])
    else:
        parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
        parser.add_argument("--quick", action="store_true", help="10 M rows instead of 100 M")
        parser.add_argument("--rows", type=int)
        parser.add_argument("--pandas-rows", type=int)
        parser.add_argument("--data", type=Path, help="where the generated Parquet lives")
        parser.add_argument("--no-spark", action="store_true")
        args = parser.parse_args()
        main(args.quick, args.rows, args.pandas_rows, args.data, spark=not args.no_spark)
