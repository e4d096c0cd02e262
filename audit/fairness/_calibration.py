"""Calibration per group: does a score mean the same for every group?

From the positive class's score histograms per intersection cell (`CellCounts.histograms`, so
every engine gives the same numbers), or, for a multi-class model without a positive class, the
histograms of its confidence (the predicted class's probability; the observed rate is then the
accuracy: top-label calibration, Guo et al. 2017, ICML): per subgroup of each grouping, a reliability table (the
rows in each of `BINS` equal-width score bins, their mean score and the observed rate of the
positive class with its Wilson interval), the expected calibration error (ECE; Naeini, Cooper &
Hauskrecht 2015, AAAI) with a bootstrap interval, and a test of calibration within the group
(a Hosmer-Lemeshow statistic over the bins, chi-square with one degree of freedom per bin since
the scores were not fitted on these rows; Benjamini-Hochberg over the groups).

Calibration within groups and equal error rates cannot both hold when the groups' base rates
differ (Kleinberg, Mullainathan & Raghavan 2016, arXiv:1609.05807; Chouldechova 2017, Big Data
5(2)): COMPAS's dispute (Northpointe's calibration against ProPublica's false-positive rates).
`calibration_findings` states which of the two the run shows, with its numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.stats import chi2

from nnaudit.fairness._counts import CellCounts
from nnaudit.fairness._verdicts import newcombe_interval
from nnaudit.messages import N_
from nnaudit.results import Finding
from nnaudit.stats import benjamini_hochberg, percentile_interval, proportion_interval

BINS = 10
ALPHA = 0.05
CONFIDENCE = 0.95

TRADE_OFF_CALIBRATED = N_(
    "Base rates differ across {attribute}: {high_pct} of {high_group} against {low_pct} of "
    "{low_group}. No score can then be calibrated within each group and give equal error rates "
    "(Kleinberg et al. 2016; Chouldechova 2017). This model's score is calibrated within each "
    "group (largest ECE {ece_pct}; no calibration test rejects), so its error rates differ: "
    "the false-positive rate by {fpr_pp} and the false-negative rate by {fnr_pp} ({high_group} "
    "against {low_group})")
TRADE_OFF_MISCALIBRATED = N_(
    "Base rates differ across {attribute}: {high_pct} of {high_group} against {low_pct} of "
    "{low_group}. No score can then be calibrated within each group and give equal error rates "
    "(Kleinberg et al. 2016; Chouldechova 2017). This model's score is not calibrated within "
    "every group (largest ECE {ece_pct}, in {worst_group}); its false-positive rates differ by "
    "{fpr_pp} and its false-negative rates by {fnr_pp} ({high_group} against {low_group})")

RELIABILITY_COLUMNS = ["attribute", "subgroup", "bin", "n", "mean_score", "observed_rate",
                       "observed_low", "observed_high"]
ERROR_COLUMNS = ["attribute", "subgroup", "n", "ece", "ece_low", "ece_high", "statistic",
                 "p_value", "p_adjusted", "calibrated"]


def calibration_tables(counts: CellCounts, *, n_boot: int, seed: int,
                       bins: int = BINS) -> dict[str, pd.DataFrame] | None:
    """``calibration`` (the reliability table) and ``calibration_error`` (ECE and test) per
    subgroup; None without scores of the positive class (or class probabilities)."""
    histogram = calibrated_score(counts)
    if histogram is None:
        return None
    fine = ~np.isnan(histogram.low)
    centers = np.where(fine, (np.nan_to_num(histogram.low) + np.nan_to_num(histogram.high)) / 2, 0)
    low, high = np.nanmin(histogram.low), np.nanmax(histogram.high)
    unit = (centers - min(low, 0.0)) / (max(high, 1.0) - min(low, 0.0))
    coarse = np.minimum((unit * bins).astype(np.int64), bins - 1)
    rng = np.random.default_rng(seed)
    labels = counts.cell_labels()
    reliability, errors = [], []
    for grouping in counts.groupings:
        name = counts.grouping_name(grouping)
        keys = [" x ".join(label[a] for a in grouping) for label in labels]
        for subgroup in dict.fromkeys(sorted(keys)):
            member = np.array([k == subgroup for k in keys])
            hist = histogram.counts[member].sum(axis=0)  # (2, fine bins): negatives, positives
            table = _reliability(hist, centers, coarse, bins)
            reliability.append(table.assign(attribute=name, subgroup=subgroup))
            errors.append({"attribute": name, "subgroup": subgroup, "n": int(hist.sum()),
                           **_ece_with_interval(hist, centers, coarse, bins, n_boot, rng),
                           **_calibration_test(table)})
    error = pd.DataFrame(errors, columns=[c for c in ERROR_COLUMNS if c not in ("p_adjusted", "calibrated")])
    error["p_adjusted"] = benjamini_hochberg(error["p_value"].to_numpy())
    error["calibrated"] = ~(error["p_adjusted"] < ALPHA)
    table = pd.concat(reliability, ignore_index=True)[RELIABILITY_COLUMNS]
    return {"calibration": table, "calibration_error": error[ERROR_COLUMNS]}


def calibrated_score(counts: CellCounts):
    """The histogram whose calibration is measured: the positive class's score, or the
    confidence of a multi-class model without a positive class; None when neither exists."""
    if counts.positive is not None:
        return counts.histograms.get(counts.positive)
    return counts.confidence


def _reliability(hist: np.ndarray, centers: np.ndarray, coarse: np.ndarray,
                 bins: int) -> pd.DataFrame:
    rows = hist.sum(axis=0)
    n = np.bincount(coarse, weights=rows, minlength=bins)
    positives = np.bincount(coarse, weights=hist[1], minlength=bins)
    score_sum = np.bincount(coarse, weights=rows * centers, minlength=bins)
    present = n > 0
    low, high = proportion_interval(positives[present], n[present], confidence=CONFIDENCE)
    return pd.DataFrame({"bin": np.flatnonzero(present).astype(np.int64),
                         "n": n[present].astype(np.int64),
                         "mean_score": score_sum[present] / n[present],
                         "observed_rate": positives[present] / n[present],
                         "observed_low": low, "observed_high": high})


def _ece(rows: np.ndarray, positives: np.ndarray, score_sum: np.ndarray) -> np.ndarray:
    """ECE from per-bin rows, positives and summed scores (bins on the last axis)."""
    total = rows.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.abs(positives - score_sum).sum(axis=-1) / total


def _ece_with_interval(hist: np.ndarray, centers: np.ndarray, coarse: np.ndarray, bins: int,
                       n_boot: int, rng: np.random.Generator) -> dict[str, float]:
    """The ECE and its percentile bootstrap interval (rows resampled within the group)."""
    member, fine = np.nonzero(hist)
    weights = hist[member, fine]
    onehot = np.zeros((len(fine), bins))
    onehot[np.arange(len(fine)), coarse[fine]] = 1
    def ece_of(w):
        return _ece(w @ onehot, (w * member) @ onehot, (w * centers[fine]) @ onehot)
    ece = float(ece_of(weights[None, :])[0]) if len(fine) else np.nan
    if n_boot <= 0 or not len(fine):
        return {"ece": ece, "ece_low": np.nan, "ece_high": np.nan}
    draws = rng.multinomial(int(weights.sum()), weights / weights.sum(), size=n_boot)
    low, high = percentile_interval(ece_of(draws), CONFIDENCE)
    return {"ece": ece, "ece_low": float(low), "ece_high": float(high)}


def _calibration_test(table: pd.DataFrame) -> dict[str, float]:
    """Hosmer-Lemeshow statistic over the bins and its chi-square p-value (one df per bin)."""
    expected = table["n"] * table["mean_score"]
    observed = table["n"] * table["observed_rate"]
    variance = expected * (1 - table["mean_score"])
    usable = variance > 0
    if not usable.any():
        return {"statistic": np.nan, "p_value": np.nan}
    statistic = float((((observed - expected) ** 2)[usable] / variance[usable]).sum())
    return {"statistic": statistic, "p_value": float(chi2.sf(statistic, int(usable.sum())))}


def calibration_findings(tables: dict[str, pd.DataFrame], attributes: list[str]) -> list[Finding]:
    """Per sensitive attribute whose ranked groups' base rates differ (95% Newcombe interval
    excludes 0): the impossibility, with which side of it this run is on and its numbers."""
    by_group, error = tables["by_group"], tables["calibration_error"]
    findings = []
    for attribute in attributes:
        groups = by_group[(by_group["attribute"] == attribute) & ~by_group["small_group"]]
        if len(groups) < 2:
            continue
        high = groups.loc[groups["base_rate"].idxmax()]
        low = groups.loc[groups["base_rate"].idxmin()]
        k1, n1 = high["tp"] + high["fn"], high["n"]
        k2, n2 = low["tp"] + low["fn"], low["n"]
        if newcombe_interval(k1, n1, k2, n2, CONFIDENCE)[0] <= 0:
            continue
        errors = error[(error["attribute"] == attribute)
                       & error["subgroup"].isin(groups["subgroup"])]
        worst = errors.loc[errors["ece"].idxmax()]
        params = {"attribute": attribute, "high_group": high["subgroup"],
                  "low_group": low["subgroup"], "high_pct": float(high["base_rate"]),
                  "low_pct": float(low["base_rate"]), "ece_pct": float(worst["ece"]),
                  "fpr_pp": float(high["fpr"] - low["fpr"]),
                  "fnr_pp": float(high["fnr"] - low["fnr"])}
        if errors["calibrated"].all():
            findings.append(Finding(TRADE_OFF_CALIBRATED, params, "warning"))
        else:
            findings.append(Finding(TRADE_OFF_MISCALIBRATED,
                                    {**params, "worst_group": worst["subgroup"]}, "warning"))
    return findings


def reliability_diagram(calibration: pd.DataFrame, attributes: list[str],
                        top_label: bool = False) -> Figure:
    """One panel per sensitive attribute: observed rate against mean score per bin and group,
    with Wilson intervals, beside the diagonal of perfect calibration (``top_label``: the
    predicted class's probability against the accuracy)."""
    fig = Figure(figsize=(4.2 * len(attributes), 4.0), layout="constrained")
    axes = fig.subplots(1, len(attributes), squeeze=False)[0]
    for ax, attribute in zip(axes, attributes):
        ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
        rows = calibration[calibration["attribute"] == attribute]
        for subgroup, part in rows.groupby("subgroup", sort=False):
            y = part["observed_rate"].to_numpy(dtype=float)
            ax.errorbar(part["mean_score"], y, yerr=np.clip([y - part["observed_low"],
                                                             part["observed_high"] - y], 0, None),
                        marker="o", markersize=3, capsize=2, label=str(subgroup)[:40])
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("mean confidence in the bin" if top_label else "mean score in the bin")
        ax.set_ylabel("accuracy" if top_label else "observed rate of the positive class")
        ax.set_title(str(attribute)[:40], fontsize=9)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    fig.suptitle("Reliability per group (95% Wilson intervals; dotted: perfect calibration)",
                 fontsize=9)
    return fig
