"""The ``mitigation`` audit result: every remedy against the base model on the same rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from nnaudit.mitigation._compare import DecisionSpace, Remedy, by_group_rates, paired_gaps
from nnaudit.mitigation._findings import remedy_findings
from nnaudit.results import AuditResult

BASE = "base"  # the ``method`` of the base model's rows


@dataclass
class Evaluation:
    """The rows every decision is compared on, and how the comparison is made.

    y_true: (N,) class indices of ``space``; before: the base model's decisions; groups: one
    column per sensitive attribute; attributes: those the remedies balance; evaluated_on: the
    rows in words ("the test split").
    """

    y_true: np.ndarray
    before: np.ndarray
    groups: pd.DataFrame
    space: DecisionSpace
    attributes: list[str]
    evaluated_on: str
    min_group_size: int = 30
    n_boot: int = 1000
    seed: int = 0


def mitigation_result(evaluation: Evaluation, remedies: list[Remedy], *,
                      base_training_kwh: float | None = None,
                      protocol: dict | None = None) -> AuditResult:
    """Per-group rates before and after with intervals, each gap's change with its paired
    bootstrap interval, the accuracy cost and each remedy's own energy, with findings."""
    e = evaluation
    by_group = [_labelled(BASE, by_group_rates(e.y_true, e.before, e.groups, e.space,
                                               min_group_size=e.min_group_size))]
    changes, methods, thresholds, findings = [], [], [], []
    for remedy in remedies:
        paired = paired_gaps(e.y_true, e.before, remedy.decisions, e.groups, e.space,
                             min_group_size=e.min_group_size, n_boot=e.n_boot, seed=e.seed,
                             targets=remedy.targets)
        own = {name for name, attributes in paired.groupings.items()
               if set(attributes) <= set(e.attributes)}
        by_group.append(_labelled(remedy.label, by_group_rates(
            e.y_true, remedy.decisions, e.groups, e.space, min_group_size=e.min_group_size)))
        changes.append(_labelled(remedy.label, paired.gaps))
        methods.append(_method_row(remedy, paired, own, e, base_training_kwh))
        if remedy.thresholds is not None:
            thresholds.append(_labelled(remedy.label, remedy.thresholds))
        findings += remedy_findings(remedy.label, paired.gaps, paired.accuracy, own,
                                    remedy.extra_kwh, remedy.energy_label) + remedy.notes
    methods = pd.DataFrame(methods)
    tables = {"methods": methods, "by_group": pd.concat(by_group, ignore_index=True),
              "disparity_change": pd.concat(changes, ignore_index=True)}
    if thresholds:
        tables["thresholds"] = pd.concat(thresholds, ignore_index=True)
    return AuditResult(
        name="mitigation", tables=tables,
        figures={"gaps": gap_figure(methods)} if methods["gap_before"].notna().any() else {},
        findings=findings, summary=_summary(methods, e.attributes),
        protocol={
            "remedies": [r.label for r in remedies], "attributes": e.attributes,
            "decisions": (f"score of {e.space.classes[e.space.positive]!r} >= "
                          f"{e.space.threshold:g}" if e.space.binary else "the highest score"),
            "evaluated_on": e.evaluated_on, "rows": int(len(e.y_true)),
            "gap": "highest minus lowest rate over the subgroups of a grouping with at least "
                   "min_group_size rows (fairlearn's MetricFrame.difference, between_groups)",
            "rate_intervals": "Wilson score interval",
            "gap_intervals": f"paired percentile bootstrap, {e.n_boot} resamples stratified by "
                             "intersection of all attributes (both decisions of a row resampled "
                             "together)",
            "min_group_size": int(e.min_group_size), "n_boot": int(e.n_boot), "seed": int(e.seed),
            **(protocol or {})})


def _labelled(method: str, table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    table.insert(0, "method", method)
    return table


def _method_row(remedy: Remedy, paired, own: set[str], e: Evaluation,
                base_training_kwh: float | None) -> dict:
    """One row of the ``methods`` table; its headline gap is the widest targeted gap before,
    over the groupings of the mitigated attributes."""
    gaps = paired.gaps
    targeted = gaps[gaps["targeted"] & gaps["attribute"].isin(own)]
    row = {"method": remedy.label, "remedy": remedy.method, "constraint": remedy.constraint,
           "attributes": ", ".join(e.attributes), "fitted_on": remedy.fitted_on,
           "evaluated_on": e.evaluated_on, "evaluated_rows": int(len(e.y_true)),
           **paired.accuracy,
           "energy_label": remedy.energy_label, "seconds": float(remedy.seconds),
           "extra_kwh": np.nan if remedy.extra_kwh is None else float(remedy.extra_kwh),
           "base_training_kwh": np.nan if base_training_kwh is None else float(base_training_kwh),
           "gap_attribute": None, "gap_metric": None,
           # NaN until a grouping has two subgroups of min_group_size rows to compare
           **{f"gap_{name}{suffix}": np.nan for name in ("before", "after", "change")
              for suffix in ("", "_low", "_high")}}
    if len(targeted):
        widest = targeted.loc[targeted["before"].idxmax()]
        row.update({"gap_attribute": widest["attribute"], "gap_metric": widest["metric"]})
        for name in ("before", "after", "change"):
            for suffix in ("", "_low", "_high"):
                row[f"gap_{name}{suffix}"] = float(widest[f"{name}{suffix}"])
    return row


def _summary(methods: pd.DataFrame, attributes: list[str]) -> dict:
    """Headline numbers of the remedy that cut its headline gap the most (the only one, for a
    single remedy), in points of that gap's own metric: remedies may target different metrics,
    and the ``methods`` table has each one's."""
    ranked = methods.sort_values("gap_change", na_position="last")
    best = ranked.iloc[0]
    summary = {"methods": list(methods["method"]), "method": best["method"],
               "constraint": best["constraint"], "attributes": list(attributes),
               "base_accuracy": float(best["accuracy_before"]),
               "mitigated_accuracy": float(best["accuracy_after"]),
               "accuracy_cost_pct": float(best["accuracy_before"] - best["accuracy_after"]),
               "extra_kwh": _number(best["extra_kwh"])}
    if best.get("gap_metric") is not None and not pd.isna(best.get("gap_metric")):
        summary.update({"gap_metric": best["gap_metric"], "gap_attribute": best["gap_attribute"],
                        "base_gap_pct": float(best["gap_before"]),
                        "mitigated_gap_pct": float(best["gap_after"]),
                        "gap_change_pct": float(best["gap_change"]),
                        "gap_change_low_pct": _number(best["gap_change_low"]),
                        "gap_change_high_pct": _number(best["gap_change_high"])})
    return summary


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def gap_figure(methods: pd.DataFrame) -> Figure:
    """Each remedy's headline gap before and after, with 95% intervals."""
    shown = methods.dropna(subset=["gap_before"])
    fig = Figure(figsize=(max(5.0, 1.6 * len(shown) + 2), 3.4), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(shown))
    for offset, stage, color in ((-0.2, "before", "C3"), (0.2, "after", "C0")):
        value = shown[f"gap_{stage}"].to_numpy(dtype=float)
        error = np.clip(np.nan_to_num([value - shown[f"gap_{stage}_low"].to_numpy(dtype=float),
                                       shown[f"gap_{stage}_high"].to_numpy(dtype=float) - value]),
                        0, None)
        ax.bar(x + offset, value, width=0.4, yerr=error, capsize=3, color=color, label=stage)
    ax.set_xticks(x, [f"{m}\n{metric} across {attribute}" for m, metric, attribute in
                      zip(shown["method"], shown["gap_metric"], shown["gap_attribute"])],
                  fontsize=8)
    ax.set_ylabel("gap between subgroups")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("The widest targeted gap before and after each remedy (95% intervals)",
                 fontsize=9)
    return fig
