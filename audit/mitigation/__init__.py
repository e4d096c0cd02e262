"""Mitigation: try the standard fairness remedies on a run and show what each changed.

`mitigate(run, method=...)` writes a mitigated run directory linked to its base run, with the
audits that apply re-run on the remedied model or decisions and the ``mitigation`` audit: per
subgroup rates before and after with intervals, each gap's change with its paired bootstrap
interval, the accuracy cost and the remedy's own energy. Methods (docs/mitigation.md):

- ``threshold``: thresholds by group with fairlearn's ThresholdOptimizer (Hardt, Price &
  Srebro 2016), any of its `CONSTRAINTS`, fitted on rows the comparison never uses;
- ``resample``: retrain drawing each group equally often (the representative-data remedy);
- ``reweight``: retrain with loss weights inverse to group frequency (Kamiran & Calders 2012);
- ``all``: each that applies, and one comparison of them all.

May import: nnaudit.pipeline and everything below it (audits, train, store, ...); never the
CLI or the dashboards.
"""

from nnaudit.mitigation._base import METHODS
from nnaudit.mitigation._compare import DecisionSpace, Remedy, paired_gaps
from nnaudit.mitigation._mitigate import mitigate
from nnaudit.mitigation._result import Evaluation, mitigation_result
from nnaudit.mitigation._retrain import group_codes, inverse_frequency_weights
from nnaudit.mitigation._schemas import TABLES
from nnaudit.mitigation._thresholds import CONSTRAINTS, GroupThresholds, fit_thresholds

__all__ = ["mitigate", "METHODS", "CONSTRAINTS", "TABLES", "fit_thresholds", "GroupThresholds",
           "DecisionSpace", "Remedy", "Evaluation", "mitigation_result", "paired_gaps",
           "group_codes", "inverse_frequency_weights"]
