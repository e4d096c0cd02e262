"""Slice search at scale: sliceline on the rows against the counts per combination (DuckDB).

Targets (issue 28): 1 M rows x 10 columns searched in under 30 s on 2 CPU cores; 100 M rows
through DuckDB in under 5 minutes and 2 GB, against `sliceline` run on the rows where they
fit in memory. Both paths bin the columns with the same SQL (nnaudit.engines.read_slice_data);
the rows path hands every row to sliceline.Slicefinder, the counts path one row per distinct
combination of bins to the counted Slicefinder (nnaudit.slices._search).

Each measurement runs in a child process, so its peak resident memory is its own.

    python -m benchmarks.slices_speed [--quick] [--rows N] [--big-rows N] [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS_PER_FILE = 1_000_000


def generate(folder: Path, rows: int) -> Path:
    """``rows`` predictions with 10 columns as Parquet files of a million rows (by DuckDB).

    Row i is the same whatever ``rows`` (hashes of i). Three numeric columns (binned in 5),
    seven categorical ones (2 to 12 values); the model errs 10 % of the time, 40 % where
    region = 'north' and age < 25. Reused when present.
    """
    import duckdb

    done = folder / f"rows={rows}"
    if (done / "_SUCCESS").exists():
        return done
    folder.mkdir(parents=True, exist_ok=True)
    duckdb.connect().execute(f"""COPY (
        SELECT age, income, tenure, region, device, plan, channel, segment, weekday, returning_customer,
               label, CASE WHEN wrong THEN 1 - label ELSE label END AS pred,
               i // {ROWS_PER_FILE} AS part
        FROM (SELECT i, 18 + hash(i, 1) % 63 AS age,
                     (hash(i, 2) % 100000) / 1000.0 AS income,
                     (hash(i, 3) % 1200) / 100.0 AS tenure,
                     ['north', 'south', 'east', 'west'][(1 + hash(i, 4) % 4)::BIGINT] AS region,
                     ['phone', 'tablet', 'desktop'][(1 + hash(i, 5) % 3)::BIGINT] AS device,
                     'plan ' || (hash(i, 6) % 5) AS plan,
                     'channel ' || (hash(i, 7) % 6) AS channel,
                     'segment ' || (hash(i, 8) % 12) AS segment,
                     'day ' || (hash(i, 9) % 7) AS weekday,
                     hash(i, 10) % 2 = 0 AS returning_customer,
                     (hash(i, 11) % 2)::TINYINT AS label,
                     (hash(i, 12) % 1000) < CASE WHEN hash(i, 4) % 4 = 0 AND 18 + hash(i, 1) % 63 < 25
                                                 THEN 400 ELSE 100 END AS wrong
              FROM range({rows}) AS t(i)))
        TO '{done}' (FORMAT parquet, PARTITION_BY (part), OVERWRITE)""")
    (done / "_SUCCESS").write_text("")
    return done


def child(path: str, source: str, out: str) -> None:
    """Bin and search ``source`` on ``path`` (rows or counts) here; print the figures."""
    from nnaudit.engines import read_slice_data
    from nnaudit.slices import slices_audit

    start = time.perf_counter()
    data = read_slice_data(source, label="label", pred="pred", aggregate=path == "counts",
                           memory_limit="1GB")
    binned = time.perf_counter()
    result = slices_audit(data)
    done = time.perf_counter()
    result.tables["slices"].to_parquet(Path(out) / "slices.parquet")
    print(json.dumps({"bin_s": binned - start, "search_s": done - binned, "rows": data.n,
                      "searched": len(data.table), "peak_bytes": peak_memory(),
                      "top": result.tables["slices"]["description"].iloc[0]}))


def peak_memory() -> int:
    """This process's peak resident memory in bytes (VmHWM, which starts again at exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def measure(path: str, source: Path) -> dict:
    import pandas as pd

    with tempfile.TemporaryDirectory() as out:
        proc = subprocess.run([sys.executable, "-m", "benchmarks.slices_speed", "--child", path,
                               str(source), out], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{path} failed: {proc.stderr[-2000:]}")
        figures = json.loads(proc.stdout.strip().splitlines()[-1])
        figures["table"] = pd.read_parquet(Path(out) / "slices.parquet")
    return figures


def main(quick: bool = False, rows: int | None = None, big_rows: int | None = None,
         data: Path | None = None) -> list[dict]:
    import pandas as pd

    rows = rows or 1_000_000
    big_rows = big_rows or (5_000_000 if quick else 100_000_000)
    data = Path(data or Path(tempfile.gettempdir()) / "nnaudit-slices-bench")
    small, big = generate(data, rows), generate(data, big_rows)
    on_rows, on_counts = measure("rows", small), measure("counts", small)
    at_scale = measure("counts", big)
    for name, f in (("rows", on_rows), ("counts", on_counts), ("counts, large", at_scale)):
        print(f"{name}: {f['rows']:,} rows ({f['searched']:,} searched) binned in "
              f"{f['bin_s']:.1f} s, searched in {f['search_s']:.1f} s, peak "
              f"{f['peak_bytes'] / 2**30:.2f} GiB; top slice {f['top']}")
    try:
        pd.testing.assert_frame_equal(on_rows["table"], on_counts["table"])
        same = True
    except AssertionError:
        same = False

    def total(f):
        return f["bin_s"] + f["search_s"]

    out = [
        {"case": f"{rows:,} rows x 10 columns: search time, sliceline on rows vs counts "
                 f"({on_counts['searched']:,} combinations)",
         "nnaudit": f"{on_counts['search_s']:.1f} s", "reference": f"{on_rows['search_s']:.1f} s",
         "ratio": round(on_rows["search_s"] / on_counts["search_s"], 1)},
        {"case": "same, binning + search, and peak memory",
         "nnaudit": f"{total(on_counts):.1f} s, {on_counts['peak_bytes'] / 2**30:.2f} GiB",
         "reference": f"{total(on_rows):.1f} s, {on_rows['peak_bytes'] / 2**30:.2f} GiB",
         "ratio": round(total(on_rows) / total(on_counts), 1)},
        {"case": f"same slices on rows and counts ({rows:,} rows)", "nnaudit": same},
        {"case": f"{at_scale['rows']:,} rows through DuckDB counts ({at_scale['searched']:,} "
                 "combinations), time per row vs sliceline on the rows",
         "nnaudit": f"{total(at_scale):.1f} s, {at_scale['peak_bytes'] / 2**30:.2f} GiB",
         "reference": f"{total(on_rows):.1f} s for {rows:,}",
         "ratio": round((total(on_rows) / rows) / (total(at_scale) / at_scale["rows"]), 1)},
    ]
    for row in out:
        print(row)
    return out


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:5])
    else:
        parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
        parser.add_argument("--quick", action="store_true", help="5 M rows instead of 100 M")
        parser.add_argument("--rows", type=int, help="rows of the rows-vs-counts comparison")
        parser.add_argument("--big-rows", type=int, help="rows of the DuckDB-only run")
        parser.add_argument("--data", type=Path, help="where the generated Parquet lives")
        args = parser.parse_args()
        main(args.quick, args.rows, args.big_rows, args.data)
