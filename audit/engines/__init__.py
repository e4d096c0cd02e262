"""Where the fairness audit's one aggregation runs: pandas in memory (`load_predictions`), DuckDB
out of core on one machine, Spark on a cluster.

The audit needs only counts per intersection cell (and score histograms); `count_predictions`
checks a predictions source and counts it with the chosen engine, and
`nnaudit.fairness.fairness_audit_counts` does the rest, identically whatever counted::

    counted = count_predictions("logs/*.parquet", label="y", score="risk", threshold=0.7,
                                groups=["race", "sex"])            # DuckDB, out of core
    result = fairness_audit_counts(counted.counts, n_boot=1000)

`read_slice_data` bins every column of predictions and counts each distinct combination of
bins, for the slice audit (`nnaudit.slices`).

See docs/scale.md for when each engine is used and how to point nnaudit at a cluster.

May import: nnaudit.fairness (the counts it fills), nnaudit.errors, DuckDB, pyspark, pandas;
never the pipeline or the renderers.
"""

from nnaudit._lazy import lazy_getattr

_PUBLIC = {"count_predictions": "nnaudit.engines._count",
           "CountedPredictions": "nnaudit.engines._count",
           "ENGINES": "nnaudit.engines._count",
           # the pandas engine's rows in memory, what `fairness_audit` takes
           "load_predictions": "nnaudit.engines._pandas",
           "BlackBoxInput": "nnaudit.engines._pandas",
           # the slice search's counts per distinct combination of binned columns
           "read_slice_data": "nnaudit.engines._slices",
           "SliceData": "nnaudit.engines._slices",
           "ColumnBins": "nnaudit.engines._slices",
           "MISSING": "nnaudit.engines._slices"}

__all__ = sorted(_PUBLIC)

__getattr__ = lazy_getattr(__name__, _PUBLIC)
