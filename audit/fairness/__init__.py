"""Fairness audit: Gender-Shades-style subgroup tables with intervals, tests and findings.

`fairness_audit` returns the AuditResult; `subgroup_table` only the tables (the dashboard uses
it when the threshold moves); `proportion_interval` and `stratified_bootstrap` are the interval
methods, public for reuse and tests.
"""

from nnaudit.fairness._audit import fairness_audit
from nnaudit.fairness._schemas import TABLES
from nnaudit.fairness._intervals import percentile_interval, proportion_interval, stratified_bootstrap
from nnaudit.fairness._table import subgroup_table

__all__ = ["fairness_audit", "TABLES", "subgroup_table", "proportion_interval", "stratified_bootstrap",
           "percentile_interval"]
