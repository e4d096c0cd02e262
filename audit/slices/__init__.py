"""Slice audit: find the bias nobody named.

Over every column of predictions (not only the declared sensitive ones), the conjunctions of
up to three bins whose error rate (or FPR, FNR, selection rate) exceeds the overall one the
most, found by SliceLine (`sliceline`) on the rows or on counts per distinct combination, each
with its Wilson interval, a test against the rest and Benjamini-Hochberg across every slice
examined::

    data = read_slice_data("preds.parquet", label="y", pred="yhat")   # nnaudit.engines
    result = slices_audit(data, rate="error_rate", sensitive=["sex"])

`run` is the pipeline's entry point; docs/slices.md the method and its limits.
"""

from nnaudit.slices._audit import RATES, slices_audit
from nnaudit.slices._run import run
from nnaudit.slices._schemas import TABLES

__all__ = ["slices_audit", "run", "RATES", "TABLES"]
