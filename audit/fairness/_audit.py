"""The fairness audit: subgroup tables, findings and figures in one AuditResult."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from nnaudit.fairness._counts import SCORE_BINS, CellCounts
from nnaudit.fairness._figures import error_heatmap, rate_bars
from nnaudit.fairness._findings import fairness_findings, training_shares
from nnaudit.fairness._table import ALPHA, CONFIDENCE, compute_tables, count_rows
from nnaudit.results import AuditResult

if TYPE_CHECKING:
    from nnaudit.inputs import AuditInputs


def fairness_audit(y_true, y_pred, groups: pd.DataFrame, *, scores=None, classes=None,
                   positive=None, threshold: float = 0.5, min_group_size: int = 30,
                   n_boot: int = 1000, seed: int = 0,
                   training_groups: pd.DataFrame | None = None,
                   score_bins: int = SCORE_BINS) -> AuditResult:
    """Error rates and other confusion rates per subgroup and intersection, with intervals.

    The Gender Shades table (Buolamwini & Gebru 2018, FAT* / PMLR 81) for any classifier:
    per subgroup of each sensitive attribute and of their intersections, n, share, base and
    selection rates, PPV, NPV, TPR, FPR, FNR, TNR, accuracy, error rate, the confusion counts
    and (with scores) the AUC, each with a 95% interval; best-vs-worst gaps with stratified
    bootstrap intervals; each subgroup tested against the rest with Benjamini-Hochberg
    correction; and findings said only when the numbers support them.

    Parameters
    ----------
    y_true, y_pred : array-like (N,)
        Class labels (ints or strings). Ints index ``classes`` when it is given.
    groups : DataFrame (N rows)
        One column per sensitive attribute.
    scores : array-like (N,) or (N, C), optional
        Score of the positive class, or class probabilities. With a positive class, the binary
        table predicts positive when ``score >= threshold``.
    classes : list of str, optional
        Class names by index.
    positive : class name or index, optional
        Positive class of the binary table; by default the second of two classes. With more
        than two classes and none chosen, the table has accuracy and error rate only, and
        ``per_class`` holds the one-vs-rest tables.
    threshold : float
        Decision threshold on ``scores``.
    min_group_size : int
        Subgroups with fewer rows are flagged ``small_group`` and never ranked best or worst.
    n_boot : int
        Bootstrap resamples for the gap and parity intervals (0: no bootstrap).
    seed : int
        Seed of the bootstrap.
    training_groups : DataFrame, optional
        Sensitive attributes of the training rows, to report under-represented groups.
    score_bins : int
        Equal-width bins of each class's score histogram per intersection (the AUC comes from
        them: exact when no bin holds two score values, else within ``auc_max_error``).
    """
    counts = count_rows(y_true, y_pred, groups, scores=scores, classes=classes,
                        positive=positive, threshold=threshold, score_bins=score_bins)
    return fairness_audit_counts(counts, min_group_size=min_group_size, n_boot=n_boot, seed=seed,
                                 training_groups=training_groups)


def fairness_audit_counts(counts: CellCounts, *, min_group_size: int = 30, n_boot: int = 1000,
                          seed: int = 0,
                          training_groups: pd.DataFrame | None = None) -> AuditResult:
    """`fairness_audit` from counts per intersection cell instead of rows.

    The entry point for data that does not fit in memory: `nnaudit.engines.count_predictions`
    counts a predictions file with DuckDB or Spark, and this audit never sees a row. The
    result is the one `fairness_audit` gives on the same rows.
    """
    tables = compute_tables(counts, min_group_size=min_group_size, n_boot=n_boot, seed=seed)
    shares = None
    if training_groups is not None:
        shares = training_shares(training_groups, tables["by_group"], counts.attributes)
        tables["training_shares"] = shares
    findings = fairness_findings(tables, attributes=counts.attributes,
                                 min_group_size=min_group_size, training_shares=shares)
    binary = counts.positive is not None
    scored = binary and counts.positive in counts.histograms
    metrics = ["error_rate", "tpr", "fpr", "ppv"] if binary else ["error_rate"]
    figures = {"rates": rate_bars(tables["by_group"], metrics)}
    if len(counts.attributes) > 1:
        figures["error_heatmap"] = error_heatmap(tables["by_group"], *counts.attributes[:2])
    return AuditResult(
        name="fairness", tables=tables, figures=figures, findings=findings,
        summary=_summary(tables, counts.classes[counts.positive] if binary else None),
        protocol={
            "rows": counts.n, "classes": counts.classes,
            "positive": counts.classes[counts.positive] if binary else None,
            "threshold": counts.threshold,
            "prediction": "score >= threshold" if counts.threshold is not None else "given labels",
            "attributes": counts.attributes,
            "groupings": [counts.grouping_name(g) for g in counts.groupings],
            "min_group_size": int(min_group_size),
            "confidence": CONFIDENCE,
            "rate_intervals": "Wilson score interval",
            "auc_intervals": "DeLong" if scored else None,
            "auc_from": (f"score histograms per intersection, {_bins(counts)} equal-width bins; "
                         "exact when no bin holds two score values") if scored else None,
            "auc_max_error": _auc_max_error(tables) if scored else None,
            "gap_intervals": f"percentile bootstrap, {n_boot} resamples stratified by "
                             "intersection of all attributes (multinomial over confusion cells)",
            "n_boot": int(n_boot), "seed": int(seed),
            "tests": "each subgroup vs the rest: pooled two-proportion z-test, Fisher exact "
                     "when an expected count is below 5",
            "multiple_testing": f"Benjamini-Hochberg over all subgroups x rates, alpha {ALPHA}",
        })


def _bins(counts: CellCounts) -> int:
    return next(iter(counts.histograms.values())).counts.shape[-1]


def _auc_max_error(tables: dict[str, pd.DataFrame]) -> float:
    """The most any AUC of the tables can be off because of the score bins (0: exact)."""
    return float(max(np.nanmax(t["auc_max_error"].to_numpy(dtype=float), initial=0.0)
                     for t in tables.values() if "auc_max_error" in t))


def _summary(tables: dict[str, pd.DataFrame], positive: str | None) -> dict:
    """Headline numbers: the worst ranked subgroup of any grouping and the best of the same."""
    errors = tables["disparity"]
    errors = errors[errors["metric"] == "error_rate"]
    overall = tables["overall"].iloc[0]
    summary = {"positive": positive, "n": int(overall["n"]),
               "overall_error": float(overall["error_rate"]),
               "significant_gaps": int(tables["disparity"]["significant"].sum())}
    if errors.empty:
        return {**summary, "worst_group": None, "worst_group_error": None,
                "best_group_error": None, "error_ratio": None}
    row = errors.loc[errors["worst"].idxmax()]
    return {**summary, "worst_group": str(row["worst_group"]),
            "worst_group_attribute": str(row["attribute"]),
            "worst_group_error": float(row["worst"]), "best_group": str(row["best_group"]),
            "best_group_error": float(row["best"]),
            "error_ratio": float(row["ratio"]) if np.isfinite(row["ratio"]) else None}


def run(inputs: AuditInputs) -> AuditResult:
    """The fairness audit's entry point (`nnaudit.audits`): the run's counted predictions."""
    options = inputs.config.fairness
    return fairness_audit_counts(inputs.predictions.counts, min_group_size=options.min_group_size,
                                 n_boot=options.n_boot, seed=inputs.config.seed,
                                 training_groups=inputs.predictions.training_groups)
