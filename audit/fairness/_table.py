"""The subgroup tables from counts per intersection cell: intervals, tests, disparities."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from nnaudit.fairness._counts import SCORE_BINS, CellCounts, ScoreHistogram, count_cells
from nnaudit.fairness._inputs import prepare
from nnaudit.stats import percentile_interval, proportion_interval, stratified_bootstrap
from nnaudit.fairness._macro import macro_columns
from nnaudit.fairness._metrics import (BINARY, CORRECTNESS, RateSet, disparity_rates,
                                     histogram_auc, safe_divide)
from nnaudit.stats import benjamini_hochberg, two_proportion_test

ALPHA = 0.05
CONFIDENCE = 0.95
AUC_COLUMNS = ["auc", "auc_low", "auc_high", "auc_max_error"]


@dataclass
class Grouping:
    """One way of grouping the rows (an attribute, a pair, the intersection) and its counts."""

    name: str
    attributes: tuple[int, ...]
    labels: list[str]
    values: list[tuple[str, ...]]  # per group, its value of each of ``attributes``
    counts: np.ndarray           # (G, cells)
    cell_group: np.ndarray       # (S,) group index of each intersection cell

    def attribute_columns(self, attributes: list[str]) -> dict[str, list[str | None]]:
        """One column per sensitive attribute: the group's value, or None when the grouping
        does not involve that attribute. Readers select intersections with these, never by
        splitting the display label."""
        columns = {name: [None] * len(self.labels) for name in attributes}
        for position, attribute in enumerate(self.attributes):
            columns[attributes[attribute]] = [v[position] for v in self.values]
        return columns


def subgroup_table(y_true, y_pred, groups: pd.DataFrame, *, scores=None, classes=None,
                   positive=None, threshold: float = 0.5, min_group_size: int = 30,
                   n_boot: int = 1000, seed: int = 0,
                   score_bins: int = SCORE_BINS) -> dict[str, pd.DataFrame]:
    """The fairness tables, without findings or figures (see `fairness_audit` for the arguments).

    Returns ``overall``, ``by_group``, ``disparity``, ``tests``, ``parity`` (binary tables) and
    ``per_class`` (more than two classes).
    """
    counts = count_rows(y_true, y_pred, groups, scores=scores, classes=classes, positive=positive,
                        threshold=threshold, score_bins=score_bins)
    return compute_tables(counts, min_group_size=min_group_size, n_boot=n_boot, seed=seed)


def count_rows(y_true, y_pred, groups: pd.DataFrame, *, scores=None, classes=None,
               positive=None, threshold: float = 0.5, score_bins: int = SCORE_BINS) -> CellCounts:
    """The rows' `CellCounts` (arguments as in `fairness_audit`), counted in memory."""
    data = prepare(y_true, y_pred, groups, scores=scores, classes=classes, positive=positive,
                   threshold=threshold)
    return count_cells(data, score_bins)


def compute_tables(counts: CellCounts, *, min_group_size: int, n_boot: int,
                   seed: int) -> dict[str, pd.DataFrame]:
    """Every fairness table from the counts per intersection cell (`fairness_audit`'s tables)."""
    rng = np.random.default_rng(seed)
    if counts.positive is not None:
        rate_set, cell_counts = BINARY, counts.binary
    else:
        rate_set, cell_counts = CORRECTNESS, counts.correctness()
    groupings = [grouping(counts, cell_counts, g) for g in counts.groupings]
    boot = stratified_bootstrap(cell_counts, n_boot, rng) if n_boot > 0 else None
    scores = counts.histograms.get(counts.positive) if counts.positive is not None else None

    overall = _rate_rows(rate_set, cell_counts.sum(axis=0, keepdims=True))
    overall.insert(0, "positive", counts.classes[counts.positive] if counts.positive is not None else None)
    overall.insert(1, "threshold", counts.threshold if counts.threshold is not None else np.nan)
    by_group = pd.concat([_group_rows(counts, g, rate_set, min_group_size, scores)
                          for g in groupings], ignore_index=True)
    if scores is not None:
        overall[AUC_COLUMNS] = [_auc(scores, slice(None))]

    tests = _tests(counts.attributes, groupings, rate_set, cell_counts.sum(axis=0))
    significant = tests.groupby(["attribute", "subgroup"])["significant"].any()
    by_group["significant"] = [bool(significant.get((a, g), False))
                               for a, g in zip(by_group["attribute"], by_group["subgroup"])]
    tables = {"overall": overall, "by_group": by_group,
              "disparity": _disparity(groupings, by_group, tests, rate_set, boot),
              "tests": tests}
    if rate_set is BINARY:
        tables["parity"] = _parity(groupings, by_group, boot)
    if len(counts.classes) > 2:
        tables["per_class"] = _per_class(counts, groupings, min_group_size)
        if rate_set is CORRECTNESS:  # drawn last: the other intervals keep their resamples
            _add_macro_rates(counts, groupings, overall, by_group, n_boot, rng)
    return tables


def _add_macro_rates(counts: CellCounts, groupings: list[Grouping], overall: pd.DataFrame,
                     by_group: pd.DataFrame, n_boot: int, rng: np.random.Generator) -> None:
    """The macro-averaged one-vs-rest PPV, TPR and FPR (`nnaudit.fairness._macro`) of everyone
    and of every subgroup, as columns of ``overall`` and ``by_group``."""
    cells = len(counts.confusion)
    membership = np.zeros((cells, sum(len(g.labels) for g in groupings)))
    start = 0
    for grouping in groupings:  # by_group lists the groupings' groups in this order
        membership[np.arange(cells), start + grouping.cell_group] = 1
        start += len(grouping.labels)
    everyone = np.ones((cells, 1))
    for table, groups in ((overall, everyone), (by_group, membership)):
        for name, values in macro_columns(counts.confusion, groups, n_boot, rng,
                                          CONFIDENCE).items():
            table[name] = values


def grouping(counts: CellCounts, cell_counts: np.ndarray, attributes: tuple[int, ...]) -> Grouping:
    """A grouping's counts: the sums of its intersections' counts."""
    dims = [len(counts.values[a]) for a in attributes]
    flat = np.ravel_multi_index(tuple(counts.cells[:, attributes].T), dims)
    present, cell_group = np.unique(flat, return_inverse=True)
    values = [tuple(counts.values[a][v] for a, v in zip(attributes, np.unravel_index(p, dims)))
              for p in present]
    summed = np.zeros((len(present), cell_counts.shape[1]), dtype=np.int64)
    np.add.at(summed, cell_group, cell_counts)
    return Grouping(name=counts.grouping_name(attributes), attributes=attributes,
                    labels=[" x ".join(v) for v in values], values=values, counts=summed,
                    cell_group=cell_group)


def _rate_rows(rate_set: RateSet, counts: np.ndarray) -> pd.DataFrame:
    """n, confusion counts, every rate and its Wilson interval, one row per counts row."""
    n = counts.sum(axis=1)
    table = {"n": n}
    table.update({c: counts[:, k] for k, c in enumerate(rate_set.cells)})
    for name, (num, den) in rate_set.num_den(counts).items():
        low, high = proportion_interval(num, den, confidence=CONFIDENCE)
        table[name] = safe_divide(num, den)
        table[f"{name}_low"] = low
        table[f"{name}_high"] = high
    return pd.DataFrame(table)


def _group_rows(counts: CellCounts, grouping: Grouping, rate_set: RateSet, min_group_size: int,
                scores: ScoreHistogram | None) -> pd.DataFrame:
    rows = _rate_rows(rate_set, grouping.counts)
    rows.insert(0, "attribute", grouping.name)
    rows.insert(1, "subgroup", grouping.labels)
    for position, (name, values) in enumerate(grouping.attribute_columns(counts.attributes).items(),
                                              start=2):
        rows.insert(position, name, values)
    rows.insert(rows.columns.get_loc("n") + 1, "share", rows["n"] / counts.n)
    rows.insert(rows.columns.get_loc("share") + 1, "small_group", rows["n"] < min_group_size)
    if scores is not None:
        auc = [_auc(scores, grouping.cell_group == g) for g in range(len(grouping.labels))]
        rows[AUC_COLUMNS] = np.array(auc, dtype=float).reshape(-1, len(AUC_COLUMNS))
    return rows


def _auc(scores: ScoreHistogram, cells) -> tuple[float, float, float, float]:
    """AUC, its interval and the binning's error bound over the selected cells' histograms."""
    hist = scores.counts[cells].sum(axis=0)
    return histogram_auc(hist[1], hist[0], scores.mixed, CONFIDENCE)


def _tests(attributes: list[str], groupings: list[Grouping], rate_set: RateSet,
           overall: np.ndarray) -> pd.DataFrame:
    """Each subgroup against the rest of the data, per tested rate, BH-corrected over all."""
    frames = []
    for grouping in groupings:
        rest = overall[None, :] - grouping.counts
        mine, others = rate_set.num_den(grouping.counts), rate_set.num_den(rest)
        for metric in rate_set.tested:
            (k1, n1), (k2, n2) = mine[metric], others[metric]
            p, test = two_proportion_test(k1, n1, k2, n2)
            frames.append(pd.DataFrame({
                "attribute": grouping.name, "subgroup": grouping.labels,
                **grouping.attribute_columns(attributes), "metric": metric,
                "value": safe_divide(k1, n1), "rest": safe_divide(k2, n2),
                "p_value": p, "test": test}))
    tests = pd.concat(frames, ignore_index=True)
    tests["p_adjusted"] = benjamini_hochberg(tests["p_value"].to_numpy())
    tests["significant"] = tests["p_adjusted"] < ALPHA
    return tests


def _group_rates(grouping: Grouping, boot: np.ndarray | None, rate_set: RateSet):
    """Bootstrap rates (n_boot, G) per rate name for one grouping, or None without bootstrap."""
    if boot is None:
        return None
    onehot = np.zeros((len(grouping.cell_group), len(grouping.labels)))
    onehot[np.arange(len(grouping.cell_group)), grouping.cell_group] = 1
    counts = np.einsum("bsk,sg->bgk", boot, onehot)
    return rate_set.rates_from_counts(counts)


def _disparity(groupings: list[Grouping], by_group: pd.DataFrame, tests: pd.DataFrame,
               rate_set: RateSet, boot: np.ndarray | None) -> pd.DataFrame:
    """Best vs worst ranked subgroup per rate: difference and ratio with bootstrap intervals.

    Only subgroups with at least ``min_group_size`` rows and a defined rate are ranked. The
    two groups are fixed by the point estimate; the bootstrap then gives the interval of the
    gap between those two groups. A gap is ``significant`` when its interval excludes 0 and
    the worst or the best group differs from the rest after Benjamini-Hochberg correction.
    """
    significant = tests.set_index(["attribute", "subgroup", "metric"])["significant"]
    rows = []
    for grouping in groupings:
        table = by_group[by_group["attribute"] == grouping.name].reset_index(drop=True)
        boot_rates = _group_rates(grouping, boot, rate_set)
        for metric in disparity_rates(rate_set):
            values = table[metric].to_numpy()
            ranked = np.flatnonzero(~table["small_group"].to_numpy() & ~np.isnan(values))
            if len(ranked) < 2:
                continue
            higher_better = metric in rate_set.higher_is_better
            order = ranked[np.argsort(values[ranked], kind="stable")]
            worst, best = (order[0], order[-1]) if higher_better else (order[-1], order[0])
            sign = -1.0 if higher_better else 1.0
            difference = sign * (values[worst] - values[best])
            high, low = max(values[worst], values[best]), min(values[worst], values[best])
            ratio = high / low if low > 0 else np.nan
            diff_ci = ratio_ci = (np.nan, np.nan)
            if boot_rates is not None:
                r = boot_rates[metric]
                diff_ci = percentile_interval(sign * (r[:, worst] - r[:, best]), CONFIDENCE)
                num, den = (r[:, best], r[:, worst]) if higher_better else (r[:, worst], r[:, best])
                with np.errstate(divide="ignore", invalid="ignore"):
                    boot_ratio = num / den
                if not np.isnan(ratio):
                    ratio_ci = percentile_interval(boot_ratio, CONFIDENCE)
            test_metric = rate_set.test_of(metric)
            group_differs = any(bool(significant.get((grouping.name, table["subgroup"][i], test_metric), False))
                                for i in (worst, best))
            rows.append({
                "attribute": grouping.name, "metric": metric,
                "worst_group": table["subgroup"][worst], "worst": values[worst],
                "worst_n": int(table["n"][worst]),
                "best_group": table["subgroup"][best], "best": values[best],
                "best_n": int(table["n"][best]),
                "difference": difference, "difference_low": diff_ci[0], "difference_high": diff_ci[1],
                "ratio": ratio, "ratio_low": ratio_ci[0], "ratio_high": ratio_ci[1],
                "significant": bool(group_differs and diff_ci[0] > 0),
            })
    return pd.DataFrame(rows, columns=[
        "attribute", "metric", "worst_group", "worst", "worst_n", "best_group", "best", "best_n",
        "difference", "difference_low", "difference_high", "ratio", "ratio_low", "ratio_high",
        "significant"])


def _parity(groupings: list[Grouping], by_group: pd.DataFrame,
            boot: np.ndarray | None) -> pd.DataFrame:
    """fairlearn's demographic parity and equalized odds differences over the ranked groups.

    Computed from the groups' counts with fairlearn's definitions (``between_groups``,
    ``worst_case``; a TPR or FPR with an empty denominator counts as 0, as sklearn's
    normalized confusion matrix makes it): the tests check the values against
    `fairlearn.metrics.demographic_parity_difference` and `equalized_odds_difference`, which
    cost a MetricFrame each per grouping. The bootstrap repeats the same definitions.
    """
    rows = []
    for grouping in groupings:
        table = by_group[by_group["attribute"] == grouping.name].reset_index(drop=True)
        ranked = np.flatnonzero(~table["small_group"].to_numpy())
        if len(ranked) < 2:
            continue
        point = _parity_statistics(BINARY.rates_from_counts(grouping.counts[None, ranked]))
        intervals = {name: (np.nan, np.nan) for name in point}
        if boot is not None:
            rates = {m: r[:, ranked] for m, r in _group_rates(grouping, boot, BINARY).items()}
            intervals = {name: percentile_interval(values, CONFIDENCE)
                         for name, values in _parity_statistics(rates).items()}
        row = {"attribute": grouping.name, "groups": len(ranked)}
        for name, value in point.items():
            row.update({name: float(value[0]), f"{name}_low": intervals[name][0],
                        f"{name}_high": intervals[name][1]})
        rows.append(row)
    statistics = ("demographic_parity_difference", "equalized_odds_difference")
    return pd.DataFrame(rows, columns=["attribute", "groups", *(f"{name}{suffix}"
                                                                for name in statistics
                                                                for suffix in ("", "_low", "_high"))])


def _parity_statistics(rates: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Demographic parity and equalized odds differences from (samples, groups) rates."""
    spread = {m: np.ptp(np.nan_to_num(rates[m], nan=0.0), axis=1)
              for m in ("selection_rate", "tpr", "fpr")}
    return {"demographic_parity_difference": spread["selection_rate"],
            "equalized_odds_difference": np.maximum(spread["tpr"], spread["fpr"])}


def _per_class(counts: CellCounts, groupings: list[Grouping],
               min_group_size: int) -> pd.DataFrame:
    """One-vs-rest binary table of every class, per subgroup, with Wilson intervals."""
    frames = []
    for k, name in enumerate(counts.classes):
        one_vs_rest = counts.one_vs_rest(k)
        scores = counts.histograms.get(k)
        overall = _rate_rows(BINARY, one_vs_rest.sum(axis=0, keepdims=True))
        overall.insert(0, "attribute", "overall")
        overall.insert(1, "subgroup", "all")
        for position, attribute in enumerate(counts.attributes, start=2):
            overall.insert(position, attribute, None)
        overall.insert(overall.columns.get_loc("n") + 1, "share", 1.0)
        overall.insert(overall.columns.get_loc("share") + 1, "small_group", False)
        parts = [overall] + [
            _group_rows(counts, grouping(counts, one_vs_rest, g.attributes), BINARY,
                        min_group_size, scores) for g in groupings]
        table = pd.concat(parts, ignore_index=True)
        if scores is not None:
            table.loc[0, AUC_COLUMNS] = _auc(scores, slice(None))
        table.insert(0, "class", name)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)
