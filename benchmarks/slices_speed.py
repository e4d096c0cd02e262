"""Slice search at scale: sliceline on the rows against the counts per combination (DuckDB).

Targets (issue 28): 1 M rows x 10 columns searched in under 30 s on 2 CPU cores; 100 M rows
through DuckDB in under 5 minutes and 2 GB, against `sliceline` run on the rows where they
fit in memory. Both bin the columns with the same SQL (nnaudit.engines.read_slice_data); the
reference hands every row to the unmodified sliceline.Slicefinder (under an 8 GiB address-space
cap), nnaudit one row per distinct combination of bins to its counted Slicefinder
(nnaudit.slices._search).

Each measurement runs in a child process, so its peak resident memory is its own.

    python -m benchmarks.slices_speed [--quick] [--rows N] [--reference-rows N]
                                      [--big-rows N] [--data DIR]
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
# The address space the reference may take (the machine is shared).
REFERENCE_MEMORY = 8


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


def child(path: str, source: str, _out: str = "-") -> None:
    """Search ``source`` here with nnaudit (counts) or sliceline (rows); print the figures."""
    from nnaudit.engines import read_slice_data

    start = time.perf_counter()
    data = read_slice_data(source, label="label", pred="pred", aggregate=path == "nnaudit",
                           memory_limit="1GB")
    binned = time.perf_counter()
    if path == "nnaudit":
        from nnaudit.slices import slices_audit

        table = slices_audit(data).tables["slices"]
        top = table["description"].iloc[0]
    else:  # the unmodified library on every row, as its README runs it
        import resource
        import warnings

        from sliceline import Slicefinder

        cap = int(REFERENCE_MEMORY * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        codes = data.table[[f"c{i}" for i in range(len(data.bins))]].to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                finder = Slicefinder(alpha=0.95, k=10, max_l=3, min_sup=max(30, data.n // 100),
                                     verbose=False).fit(codes, data.table["wrong"].to_numpy(float))
            except MemoryError:
                print(json.dumps({"failed": f"out of memory under {REFERENCE_MEMORY} GiB",
                                  "rows": data.n, "bin_s": binned - start,
                                  "peak_bytes": peak_memory()}))
                return
        top = str(finder.top_slices_[0].tolist())
    done = time.perf_counter()
    print(json.dumps({"bin_s": binned - start, "search_s": done - binned, "rows": data.n,
                      "searched": len(data.table), "peak_bytes": peak_memory(), "top": top}))


def peak_memory() -> int:
    """This process's peak resident memory in bytes (VmHWM, which starts again at exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def measure(path: str, source: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.slices_speed", "--child", path,
                           str(source), "-"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{path} failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(quick: bool = False, rows: int | None = None, reference_rows: int | None = None,
         big_rows: int | None = None, data: Path | None = None) -> list[dict]:
    rows = rows or 1_000_000
    reference_rows = reference_rows or 100_000
    big_rows = big_rows or (5_000_000 if quick else 100_000_000)
    data = Path(data or Path(tempfile.gettempdir()) / "nnaudit-slices-bench")
    sources = {n: generate(data, n) for n in {rows, reference_rows, big_rows}}
    ours_small = measure("nnaudit", sources[reference_rows])
    reference = measure("sliceline", sources[reference_rows])
    ours, at_scale = measure("nnaudit", sources[rows]), measure("nnaudit", sources[big_rows])

    def total(f):
        return f["bin_s"] + f.get("search_s", float("nan"))

    for name, f in (("nnaudit", ours_small), ("sliceline on rows", reference),
                    ("nnaudit", ours), ("nnaudit", at_scale)):
        print(f"{name}: {f['rows']:,} rows ({f.get('searched', 0):,} searched), binned in "
              f"{f['bin_s']:.1f} s, searched in {f.get('search_s', float('nan')):.1f} s, peak "
              f"{f['peak_bytes'] / 2**30:.2f} GiB; {f.get('top') or f.get('failed')}")
    out = [
        {"case": f"{rows:,} rows x 10 columns, binning (DuckDB) + search on "
                 f"{ours['searched']:,} combinations",
         "nnaudit": f"{total(ours):.1f} s ({ours['search_s']:.1f} s search), "
                    f"{ours['peak_bytes'] / 2**30:.2f} GiB"},
        {"case": f"{reference_rows:,} rows: nnaudit vs sliceline.Slicefinder on the rows",
         "nnaudit": f"{total(ours_small):.1f} s, {ours_small['peak_bytes'] / 2**30:.2f} GiB",
         "reference": reference.get("failed") or
         f"{total(reference):.1f} s, {reference['peak_bytes'] / 2**30:.2f} GiB",
         "ratio": "" if "failed" in reference else round(total(reference) / total(ours_small), 1)},
        {"case": f"{at_scale['rows']:,} rows through DuckDB ({at_scale['searched']:,} "
                 "combinations)",
         "nnaudit": f"{total(at_scale):.1f} s ({at_scale['search_s']:.1f} s search), "
                    f"{at_scale['peak_bytes'] / 2**30:.2f} GiB"},
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
        parser.add_argument("--rows", type=int, help="rows of the 1 M-row case")
        parser.add_argument("--reference-rows", type=int, help="rows sliceline gets (100 k)")
        parser.add_argument("--big-rows", type=int, help="rows of the DuckDB-only run")
        parser.add_argument("--data", type=Path, help="where the generated Parquet lives")
        args = parser.parse_args()
        main(args.quick, args.rows, args.reference_rows, args.big_rows, args.data)
