"""The subgroup tables: confusion counts per intersection, intervals, tests, disparities."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from nnaudit.fairness._inputs import Prepared, prepare
from nnaudit.fairness._intervals import percentile_interval, proportion_interval, stratified_bootstrap
from nnaudit.fairness._metrics import (BINARY, CORRECT, CORRECTNESS, WRONG, RateSet, binary_codes,
                                     delong_auc, disparity_rates, safe_divide)
from nnaudit.fairness._significance import benjamini_hochberg, two_proportion_test

ALPHA = 0.05
CONFIDENCE = 0.95


@dataclass
class Strata:
    """Confusion counts per stratum (one intersection of all sensitive attributes).

    counts: (S, cells); values: (S, A) attribute value indices; row_stratum: (N,).
    """

    counts: np.ndarray
    values: np.ndarray
    row_stratum: np.ndarray


@dataclass
class Grouping:
    """One way of grouping the rows (an attribute, a pair, the intersection) and its counts."""

    name: str
    attributes: tuple[int, ...]
    labels: list[str]
    values: list[tuple[str, ...]]  # per group, its value of each of ``attributes``
    counts: np.ndarray           # (G, cells)
    stratum_group: np.ndarray    # (S,) group index of each stratum

    def attribute_columns(self, data: Prepared) -> dict[str, list[str | None]]:
        """One column per sensitive attribute: the group's value, or None when the grouping
        does not involve that attribute. Readers select intersections with these, never by
        splitting the display label."""
        columns = {name: [None] * len(self.labels) for name in data.attributes}
        for position, attribute in enumerate(self.attributes):
            columns[data.attributes[attribute]] = [v[position] for v in self.values]
        return columns


def subgroup_table(y_true, y_pred, groups: pd.DataFrame, *, scores=None, classes=None,
                   positive=None, threshold: float = 0.5, min_group_size: int = 30,
                   n_boot: int = 1000, seed: int = 0) -> dict[str, pd.DataFrame]:
    """The fairness tables, without findings or figures (see `fairness_audit` for the arguments).

    Returns ``overall``, ``by_group``, ``disparity``, ``tests``, ``parity`` (binary tables) and
    ``per_class`` (more than two classes).
    """
    data = prepare(y_true, y_pred, groups, scores=scores, classes=classes, positive=positive,
                   threshold=threshold)
    return compute_tables(data, min_group_size=min_group_size, n_boot=n_boot, seed=seed)


def compute_tables(data: Prepared, *, min_group_size: int, n_boot: int,
                   seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    if data.positive is not None:
        rate_set = BINARY
        codes = binary_codes(data.is_positive, data.predicted_positive)
    else:
        rate_set = CORRECTNESS
        codes = np.where(data.y_true == data.y_pred, CORRECT, WRONG)
    strata = _strata(data, codes, rate_set)
    groupings = [_grouping(data, strata, g) for g in data.groupings]
    boot = stratified_bootstrap(strata.counts, n_boot, rng) if n_boot > 0 else None

    overall = _rate_rows(rate_set, strata.counts.sum(axis=0, keepdims=True))
    overall.insert(0, "positive", data.classes[data.positive] if data.positive is not None else None)
    overall.insert(1, "threshold", data.threshold if data.positive_scores is not None else np.nan)
    by_group = pd.concat([_group_rows(data, strata, g, rate_set, min_group_size)
                          for g in groupings], ignore_index=True)
    if data.positive_scores is not None:
        overall[["auc", "auc_low", "auc_high"]] = [delong_auc(data.is_positive, data.positive_scores)]

    tests = _tests(data, groupings, rate_set, strata.counts.sum(axis=0))
    significant = tests.groupby(["attribute", "group"])["significant"].any()
    by_group["significant"] = [bool(significant.get((a, g), False))
                               for a, g in zip(by_group["attribute"], by_group["group"])]
    tables = {"overall": overall, "by_group": by_group,
              "disparity": _disparity(groupings, by_group, tests, rate_set, boot),
              "tests": tests}
    if rate_set is BINARY:
        tables["parity"] = _parity(groupings, by_group, boot)
    if len(data.classes) > 2:
        tables["per_class"] = _per_class(data, strata, groupings, min_group_size)
    return tables


def _strata(data: Prepared, codes: np.ndarray, rate_set: RateSet) -> Strata:
    """Confusion counts of every intersection of all attributes present in the data.

    One ``bincount`` over (intersection, confusion cell) pairs; a test checks the counts
    against fairlearn's MetricFrame on the raw rows. Every coarser grouping (one attribute, a
    pair) is a union of intersections, so its counts are sums of these: one pass over the rows
    serves the whole table and its bootstrap.
    """
    dims = [len(v) for v in data.values]
    flat = np.ravel_multi_index(tuple(data.codes.T), dims)
    present, row_stratum = np.unique(flat, return_inverse=True)
    values = np.stack(np.unravel_index(present, dims), axis=1)
    counts = _cell_counts(row_stratum, codes, len(present), len(rate_set.cells))
    return Strata(counts, values, row_stratum)


def _cell_counts(row_stratum: np.ndarray, codes: np.ndarray, n_strata: int,
                 n_cells: int) -> np.ndarray:
    """(n_strata, n_cells) counts of rows per intersection and confusion cell."""
    return np.bincount(row_stratum * n_cells + codes,
                       minlength=n_strata * n_cells).reshape(n_strata, n_cells)


def _grouping(data: Prepared, strata: Strata, attributes: tuple[int, ...]) -> Grouping:
    """A grouping's counts: the sums of its intersections' counts."""
    dims = [len(data.values[a]) for a in attributes]
    flat = np.ravel_multi_index(tuple(strata.values[:, attributes].T), dims)
    present, stratum_group = np.unique(flat, return_inverse=True)
    values = [tuple(data.values[a][v] for a, v in zip(attributes, np.unravel_index(p, dims)))
              for p in present]
    counts = np.zeros((len(present), strata.counts.shape[1]), dtype=np.int64)
    np.add.at(counts, stratum_group, strata.counts)
    return Grouping(name=data.grouping_name(attributes), attributes=attributes,
                    labels=[" x ".join(v) for v in values], values=values, counts=counts,
                    stratum_group=stratum_group)


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


def _group_rows(data: Prepared, strata: Strata, grouping: Grouping, rate_set: RateSet,
                min_group_size: int) -> pd.DataFrame:
    rows = _rate_rows(rate_set, grouping.counts)
    total = strata.counts.sum()
    rows.insert(0, "attribute", grouping.name)
    rows.insert(1, "group", grouping.labels)
    for position, (name, values) in enumerate(grouping.attribute_columns(data).items(), start=2):
        rows.insert(position, name, values)
    rows.insert(rows.columns.get_loc("n") + 1, "share", rows["n"] / total)
    rows.insert(rows.columns.get_loc("share") + 1, "small_group", rows["n"] < min_group_size)
    if data.positive_scores is not None:
        row_group = grouping.stratum_group[strata.row_stratum]
        auc = [delong_auc(data.is_positive[row_group == g], data.positive_scores[row_group == g])
               for g in range(len(grouping.labels))]
        rows[["auc", "auc_low", "auc_high"]] = np.array(auc, dtype=float).reshape(-1, 3)
    return rows


def _tests(data: Prepared, groupings: list[Grouping], rate_set: RateSet,
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
                "attribute": grouping.name, "group": grouping.labels,
                **grouping.attribute_columns(data), "metric": metric,
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
    onehot = np.zeros((len(grouping.stratum_group), len(grouping.labels)))
    onehot[np.arange(len(grouping.stratum_group)), grouping.stratum_group] = 1
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
    significant = tests.set_index(["attribute", "group", "metric"])["significant"]
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
            group_differs = any(bool(significant.get((grouping.name, table["group"][i], test_metric), False))
                                for i in (worst, best))
            rows.append({
                "attribute": grouping.name, "metric": metric,
                "worst_group": table["group"][worst], "worst": values[worst],
                "worst_n": int(table["n"][worst]),
                "best_group": table["group"][best], "best": values[best],
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
    return pd.DataFrame(rows)


def _parity_statistics(rates: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Demographic parity and equalized odds differences from (samples, groups) rates."""
    spread = {m: np.ptp(np.nan_to_num(rates[m], nan=0.0), axis=1)
              for m in ("selection_rate", "tpr", "fpr")}
    return {"demographic_parity_difference": spread["selection_rate"],
            "equalized_odds_difference": np.maximum(spread["tpr"], spread["fpr"])}


def _per_class(data: Prepared, strata: Strata, groupings: list[Grouping],
               min_group_size: int) -> pd.DataFrame:
    """One-vs-rest binary table of every class, per subgroup, with Wilson intervals."""
    frames = []
    n_cells = len(BINARY.cells)
    for k, name in enumerate(data.classes):
        codes = binary_codes(data.y_true == k, data.y_pred == k)
        counts = _cell_counts(strata.row_stratum, codes, len(strata.counts), n_cells)
        one_vs_rest = Strata(counts, strata.values, strata.row_stratum)
        class_data = _one_vs_rest(data, k)
        overall = _rate_rows(BINARY, counts.sum(axis=0, keepdims=True))
        overall.insert(0, "attribute", "overall")
        overall.insert(1, "group", "all")
        for position, attribute in enumerate(data.attributes, start=2):
            overall.insert(position, attribute, None)
        overall.insert(overall.columns.get_loc("n") + 1, "share", 1.0)
        overall.insert(overall.columns.get_loc("share") + 1, "small_group", False)
        parts = [overall] + [
            _group_rows(class_data, one_vs_rest, _grouping(data, one_vs_rest, g.attributes),
                        BINARY, min_group_size) for g in groupings]
        table = pd.concat(parts, ignore_index=True)
        if data.probabilities is not None:
            table.loc[0, ["auc", "auc_low", "auc_high"]] = delong_auc(class_data.is_positive,
                                                                      class_data.positive_scores)
        table.insert(0, "class", name)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def _one_vs_rest(data: Prepared, k: int) -> Prepared:
    scores = data.probabilities[:, k] if data.probabilities is not None else None
    return Prepared(data.classes, data.y_true, data.y_pred, k, data.y_true == k, data.y_pred == k,
                    scores, data.probabilities, data.threshold, data.attributes, data.values,
                    data.codes)
