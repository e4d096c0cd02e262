"""Thresholds by group: fairlearn's `ThresholdOptimizer` over a model's scores.

Hardt, Price & Srebro (2016), "Equality of Opportunity in Supervised Learning", NeurIPS: each
group gets its own (randomized) threshold on the score, chosen to maximize accuracy subject to
the constraint on the fitting rows. The model's scores are computed once, on the device, and
handed to fairlearn as precomputed scores (`prefit=True`, ``predict_method="decision_function"``
over an estimator that returns them), so fairlearn never calls the network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from nnaudit.errors import UserInputError

# fairlearn's constraints and the rates of the fairness tables each one equalizes.
CONSTRAINTS: dict[str, tuple[str, ...]] = {
    "demographic_parity": ("selection_rate",),
    "selection_rate_parity": ("selection_rate",),
    "equalized_odds": ("tpr", "fpr"),
    "true_positive_rate_parity": ("tpr",),
    "false_negative_rate_parity": ("fnr",),
    "false_positive_rate_parity": ("fpr",),
    "true_negative_rate_parity": ("tnr",),
}
DEFAULT_CONSTRAINT = "equalized_odds"


class PrecomputedScores(BaseEstimator):
    """The estimator fairlearn post-processes: column 0 of X is already the model's score."""

    def fit(self, X, y=None):  # noqa: N803 (scikit-learn's argument names)
        return self

    def decision_function(self, X):  # noqa: N803
        return np.asarray(X, dtype=float)[:, 0]

    def __sklearn_is_fitted__(self) -> bool:
        return True


@dataclass
class GroupThresholds:
    """A fitted `ThresholdOptimizer` and the groups it has a threshold for."""

    constraint: str
    optimizer: object
    groups: list[str]

    def decide(self, scores: np.ndarray, groups: np.ndarray, seed: int) -> np.ndarray:
        """Positive decisions (bool) for ``scores`` of rows in ``groups`` (group labels).

        Between two thresholds fairlearn flips a coin per row; ``seed`` fixes the coins.
        """
        unknown = sorted(set(map(str, groups)) - set(self.groups))
        if unknown:  # fairlearn would silently decide "negative" for a group it never saw
            raise UserInputError(f"group {unknown[0]!r} has no threshold: it is absent from the "
                                 "rows the thresholds were fitted on.")
        decided = self.optimizer.predict(np.asarray(scores, dtype=float)[:, None],
                                         sensitive_features=pd.Series(groups, dtype=object),
                                         random_state=seed)
        return np.asarray(decided).astype(bool)

    def table(self) -> pd.DataFrame:
        """Each group's rule: with probability p0 decide ``score operator0 threshold0``, else
        ``score operator1 threshold1`` (a threshold of +-inf decides the same for everyone)."""
        rows = []
        for group, rule in self.optimizer.interpolated_thresholder_.interpolation_dict.items():
            rows.append({"subgroup": str(group),
                         "p0": float(rule.p0), "operator0": rule.operation0.operator,
                         "threshold0": float(rule.operation0.threshold),
                         "p1": float(rule.p1), "operator1": rule.operation1.operator,
                         "threshold1": float(rule.operation1.threshold)})
        return pd.DataFrame(rows)


def check_constraint(constraint: str) -> str:
    if constraint not in CONSTRAINTS:
        raise UserInputError(f"unknown constraint {constraint!r}; choose from: "
                             f"{', '.join(CONSTRAINTS)}.")
    return constraint


def check_fitting_rows(is_positive: np.ndarray, groups: np.ndarray, constraint: str, *,
                       where: str, evaluated: np.ndarray | None = None) -> None:
    """Refuse rows the thresholds cannot be fitted on, naming the group and what it lacks.

    fairlearn draws each group's ROC curve, so every group needs positives and negatives,
    whatever the constraint; every group of the ``evaluated`` rows needs fitting rows.
    """
    frame = pd.DataFrame({"group": np.asarray(groups, dtype=str),
                          "positive": np.asarray(is_positive, dtype=bool)})
    counts = frame.groupby("group")["positive"].agg(["sum", "size"])
    for group, row in counts.iterrows():
        lacking = ("positive" if row["sum"] == 0 else
                   "negative" if row["sum"] == row["size"] else None)
        if lacking:
            raise UserInputError(f"group {group!r} has no {lacking} example in {where}, and "
                                 f"{constraint} thresholds need positives and negatives in "
                                 "every group; choose another --attribute.")
    if evaluated is not None:
        unseen = sorted(set(np.asarray(evaluated, dtype=str)) - set(counts.index))
        if unseen:
            raise UserInputError(f"group {unseen[0]!r} has no row in {where}, so it cannot get "
                                 "a threshold; choose another --attribute.")


def fit_thresholds(scores: np.ndarray, is_positive: np.ndarray, groups: np.ndarray, *,
                   constraint: str = DEFAULT_CONSTRAINT,
                   where: str = "the fitting rows") -> GroupThresholds:
    """Fit group thresholds on ``scores`` (higher means positive) for ``constraint``.

    ``is_positive``: (N,) bool true outcome; ``groups``: (N,) group label of each row.
    Accuracy is the objective, as in Hardt et al.
    """
    from fairlearn.postprocessing import ThresholdOptimizer

    check_constraint(constraint)
    check_fitting_rows(is_positive, groups, constraint, where=where)
    optimizer = ThresholdOptimizer(estimator=PrecomputedScores(), constraints=constraint,
                                   objective="accuracy_score", prefit=True,
                                   predict_method="decision_function")
    optimizer.fit(np.asarray(scores, dtype=float)[:, None],
                  np.asarray(is_positive, dtype=int),
                  sensitive_features=pd.Series(groups, dtype=object))
    return GroupThresholds(constraint, optimizer, sorted(set(map(str, groups))))
