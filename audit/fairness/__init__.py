"""Fairness audit: Gender-Shades-style subgroup tables with intervals, tests and findings.

`fairness_audit` returns the AuditResult from rows; `fairness_audit_counts` the same from
`CellCounts` (confusion counts and score histograms per intersection cell, which
`count_rows` counts rows in memory and `nnaudit.engines` out of core); `subgroup_table` only
the tables. `run(inputs)` is the audit's entry point for the pipeline (`nnaudit.audits`).
The interval methods live in `nnaudit.stats` (re-exported here for the users of 0.1).

The building blocks below the audit (checking rows, counting cells, one grouping's counts,
the rate sets) are public for the engines and the mitigation comparison, which count and
compare the same way. The verdicts' and findings' words and templates are public for the
renderers, which translate them and put the verdict first.

May import: the standard library, numpy, pandas, scipy, matplotlib, nnaudit.stats,
nnaudit.schema, nnaudit.results, nnaudit.errors, nnaudit.messages.
"""

from nnaudit.fairness._audit import fairness_audit, fairness_audit_counts, run
from nnaudit.fairness._baseline import NO_BETTER_THAN_MAJORITY
from nnaudit.fairness._calibration import TRADE_OFF_CALIBRATED, TRADE_OFF_MISCALIBRATED
from nnaudit.fairness._counts import SCORE_BINS, CellCounts, ScoreHistogram, count_cells, natural_order
from nnaudit.fairness._inputs import prepare, positive_index
from nnaudit.fairness._metrics import BINARY, CORRECTNESS, binary_codes
from nnaudit.fairness._schemas import TABLES
from nnaudit.fairness._table import CONFIDENCE, count_rows, grouping, subgroup_table
from nnaudit.fairness._verdicts import (CRITERIA, CRITERION_TERMS, METRIC_TERMS,
                                        VERDICT_TEMPLATES, Criterion)
from nnaudit.stats import percentile_interval, proportion_interval, stratified_bootstrap

from nnaudit.fairness._figures import extreme_groups

__all__ = ["extreme_groups", "fairness_audit", "fairness_audit_counts", "run", "CellCounts", "ScoreHistogram",
           "SCORE_BINS", "TABLES", "count_rows", "subgroup_table", "proportion_interval",
           "stratified_bootstrap", "percentile_interval", "natural_order", "positive_index",
           "prepare", "count_cells", "grouping", "BINARY", "CORRECTNESS", "binary_codes",
           "CONFIDENCE", "Criterion", "CRITERIA", "CRITERION_TERMS", "METRIC_TERMS",
           "VERDICT_TEMPLATES", "NO_BETTER_THAN_MAJORITY", "TRADE_OFF_CALIBRATED",
           "TRADE_OFF_MISCALIBRATED"]
