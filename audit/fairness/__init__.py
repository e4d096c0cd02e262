"""Fairness audit: Gender-Shades-style subgroup tables with intervals, tests and findings.

`fairness_audit` returns the AuditResult from rows; `fairness_audit_counts` the same from
`CellCounts` (confusion counts and score histograms per intersection cell, which
`count_rows` counts rows in memory and `nnaudit.engines` out of core); `subgroup_table` only
the tables;
`proportion_interval` and `stratified_bootstrap` are the interval methods,
`benjamini_hochberg` the multiple-testing correction, public for reuse and tests.
"""

from nnaudit.fairness._audit import fairness_audit, fairness_audit_counts
from nnaudit.fairness._counts import SCORE_BINS, CellCounts, ScoreHistogram
from nnaudit.fairness._schemas import TABLES
from nnaudit.fairness._intervals import percentile_interval, proportion_interval, stratified_bootstrap
from nnaudit.fairness._significance import benjamini_hochberg
from nnaudit.fairness._table import count_rows, subgroup_table

__all__ = ["fairness_audit", "fairness_audit_counts", "CellCounts", "ScoreHistogram",
           "SCORE_BINS", "TABLES", "count_rows", "subgroup_table", "proportion_interval",
           "stratified_bootstrap",
           "percentile_interval", "benjamini_hochberg"]
