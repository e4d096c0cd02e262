"""The slice audit: the top slices by SliceLine, each with its interval, test and correction."""

from __future__ import annotations

import math
from itertools import combinations
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.stats import hypergeom

from nnaudit.engines import SliceData
from nnaudit.errors import UserInputError
from nnaudit.stats import benjamini_hochberg, proportion_interval
from nnaudit.results import AuditResult
from nnaudit.slices._findings import slice_findings
from nnaudit.slices._predicates import bin_label, describe, where
from nnaudit.slices._search import find_slices

# Which rows each rate is over, and which of them count against the model.
RATES = {
    "error_rate": (None, "wrong"),
    "fpr": ("negatives", "pred_positive"),
    "fnr": ("positives", "pred_negative"),
    "selection_rate": (None, "pred_positive"),
}
SIGNIFICANCE = 0.05
MIN_SUPPORT_ROWS = 30
MIN_SUPPORT_SHARE = 0.01


def slices_audit(data: SliceData, *, rate: str = "error_rate", k: int = 10, max_level: int = 3,
                 min_support: int | None = None, alpha: float = 0.95,
                 sensitive: Sequence[str] = ()) -> AuditResult:
    """The ``k`` slices (conjunctions of up to ``max_level`` bins) whose ``rate`` exceeds the
    overall one the most, by SliceLine's score, with Wilson intervals, Fisher's exact test
    against the rest of the rows and Benjamini-Hochberg over every slice it could report.

    ``data``: binned rows or counts (`nnaudit.engines.read_slice_data`); both give the same
    slices. ``min_support``: the fewest rows a slice may have (default: 1 % of the rows the
    rate is over, at least 30). ``alpha``: SliceLine's weight of the slice's rate against its
    size (0 < alpha <= 1). ``sensitive``: the declared sensitive attributes; the findings say
    which slices involve one and which are new.
    """
    if rate not in RATES:
        raise UserInputError(f"Rate {rate!r} is not one of {', '.join(RATES)}.")
    if rate != "error_rate" and data.positive is None:
        raise UserInputError(f"The {rate} needs a positive class; {len(data.classes)} classes "
                             f"({', '.join(data.classes[:10])}): name one (--positive).")
    if not 0 < alpha <= 1 or k < 1 or max_level < 1:
        raise UserInputError("Slices need 0 < alpha <= 1, k >= 1 and max_level >= 1.")
    codes, events, counts = _population(data, rate)
    rows, total_events = int(counts.sum()), int(events.sum())
    if rows == 0:
        raise UserInputError(f"No row of {data.source} is in the population of the {rate}.")
    if min_support is None:
        min_support = max(MIN_SUPPORT_ROWS, math.ceil(MIN_SUPPORT_SHARE * rows))
    level = min(max_level, codes.shape[1])
    search = find_slices(codes, events, counts, k=k, max_level=level, min_support=min_support,
                         alpha=alpha)
    family = max(len(search.examined), eligible_slices(search.domains, level, rows, min_support))
    examined = _tested(search.examined, rows, total_events, family)
    table = _top_table(search, examined, data, rows, total_events, set(sensitive))
    findings = slice_findings(table, metric=rate, overall=total_events / rows,
                              examined=len(examined), family=family, max_level=max_level,
                              columns=len(data.bins), min_n=min_support)
    tables = {"slices": table}
    if sensitive:
        tables["composition"] = _composition(search.top, codes, counts, data, set(sensitive))
    significant = table[table["significant"]]
    worse = examined["events"] / examined["n"] > (total_events - examined["events"]) / \
        np.maximum(rows - examined["n"], 1)
    return AuditResult(
        name="slices", tables=tables, findings=findings,
        summary={"rate": rate, "overall_rate": total_events / rows,
                 "slices_examined": len(examined), "slices_tested": family,
                 "significant_slices": int(len(significant)),
                 # among all examined, not only the top k: after and before the correction
                 "significant_examined": int((worse & (examined["p_adjusted"] < SIGNIFICANCE)).sum()),
                 "uncorrected_significant": int((worse & (examined["p_value"] < SIGNIFICANCE)).sum()),
                 "worst_slice": significant["description"].iloc[0] if len(significant) else None,
                 "worst_slice_rate": float(significant["rate"].iloc[0]) if len(significant)
                 else None},
        protocol={"method": "SliceLine (Sagadeeva & Boehm, SIGMOD 2021)",
                  "rate": rate, "k": k, "max_level": max_level, "min_support": int(min_support),
                  "alpha": alpha, "rows": rows, "columns": [b.column for b in data.bins],
                  "bins": {b.column: _bins_record(b) for b in data.bins},
                  "slices_examined": len(examined), "slices_tested": family,
                  # names, the same in every language (docs/slices.md says what they mean)
                  "test": "Fisher (one-sided), Benjamini-Hochberg",
                  "engine": data.engine, "combinations": int(len(codes)),
                  "sensitive": list(sensitive), "source": data.source})


def _population(data: SliceData, rate: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes, events and rows of each distinct combination of bins in the rate's population
    (rows in memory are grouped here as DuckDB groups a file)."""
    table = data.table
    over, event = RATES[rate]
    if over is not None:
        table = table[table["label_positive"].to_numpy() == (over == "positives")]
    hits = ~table["pred_positive"] if event == "pred_negative" else table[event]
    code_columns = [f"c{i}" for i in range(len(data.bins))]
    combined = table[code_columns].assign(events=hits.to_numpy(np.int64) * table["n"],
                                          n=table["n"])
    combined = combined.groupby(code_columns, as_index=False, sort=True)[["n", "events"]].sum()
    return (combined[code_columns].to_numpy(), combined["events"].to_numpy(float),
            combined["n"].to_numpy())


def eligible_slices(domains: Sequence[int], max_level: int, rows: int, min_support: int) -> int:
    """How many slices of up to ``max_level`` predicates could have ``min_support`` rows: an
    upper bound, per set of columns the smaller of its combinations of bins and the most
    cells of ``min_support`` rows that ``rows`` rows can fill."""
    most = rows // min_support
    return sum(min(math.prod(domains[c] for c in chosen), most)
               for level in range(1, max_level + 1)
               for chosen in combinations(range(len(domains)), level))


def _tested(examined: pd.DataFrame, rows: int, events: int, family: int) -> pd.DataFrame:
    """Each examined slice against the rest of the rows, BH-corrected over ``family`` slices.

    SliceLine examines the slices whose score bound could reach its top k, a choice made
    from the errors; correcting over those alone would forget the others it looked past. So
    every slice it could have reported counts, those it did not examine with a p-value of 1.

    The test is Fisher's exact test, one-sided (is the slice's rate above the rest's?): the
    chance that ``n`` rows drawn from all ``rows`` hold ``k`` events or more (hypergeometric).
    The z-test's normal tail is too thin for a small slice with rare events: on predictions
    independent of every column it found a slice the exact test does not.
    """
    n, k = examined["n"].to_numpy(), examined["events"].to_numpy()
    p = hypergeom.sf(k - 1, rows, events, n)
    # a slice as large as the whole population has no rest to differ from
    p = np.where(n < rows, np.clip(p, 0.0, 1.0), 1.0)
    unexamined = np.ones(family - len(p))
    adjusted = benjamini_hochberg(np.concatenate([p, unexamined]))[:len(p)]
    return examined.assign(p_value=p, p_adjusted=adjusted)


def _top_table(search, examined: pd.DataFrame, data: SliceData, rows: int, events: int,
               sensitive: set[str]) -> pd.DataFrame:
    by_slice = dict(zip(examined["slice"], examined.itertuples()))
    records = []
    for rank, (slice_, score) in enumerate(zip(search.top, search.scores), start=1):
        stats = by_slice[tuple(sorted(slice_.items()))]
        n, k = int(stats.n), int(stats.events)
        named = [data.bins[c].column for c in sorted(slice_)]
        records.append({
            "slice": rank, "description": describe(slice_, data.bins),
            "where": where(slice_, data.bins), "columns": ", ".join(named),
            "level": len(slice_), "n": n, "events": k, "rate": k / n,
            "overall_rate": events / rows, "rest_rate": (events - k) / (rows - n)
            if rows > n else float("nan"),
            "p_value": float(stats.p_value), "p_adjusted": float(stats.p_adjusted),
            "score": float(score), "sensitive": bool(sensitive & set(named))})
    table = pd.DataFrame(records, columns=["slice", "description", "where", "columns", "level",
                                           "n", "events", "rate", "overall_rate", "rest_rate",
                                           "p_value", "p_adjusted", "score", "sensitive"])
    table = table.astype({"slice": np.int64, "level": np.int64, "n": np.int64,
                          "events": np.int64, "sensitive": bool})
    low, high = proportion_interval(table["events"].to_numpy(), table["n"].to_numpy())
    table.insert(8, "rate_low", np.asarray(low, float))
    table.insert(9, "rate_high", np.asarray(high, float))
    table.insert(11, "excess", table["rate"] - table["overall_rate"])
    table["significant"] = ((table["p_adjusted"] < SIGNIFICANCE)
                            & (table["rate"] > table["rest_rate"])).astype(bool)
    return table


def _composition(top: list[dict[int, int]], codes: np.ndarray, counts: np.ndarray,
                 data: SliceData, sensitive: set[str]) -> pd.DataFrame:
    """Each declared sensitive attribute's values: their share of each top slice's rows against
    their share of all rows (the slices are found without them being special; this says
    afterwards who is in each)."""
    records = []
    attributes = [(i, b) for i, b in enumerate(data.bins) if b.column in sensitive]
    for rank, slice_ in enumerate(top, start=1):
        inside = np.ones(len(codes), bool)
        for column, code in slice_.items():
            inside &= codes[:, column] == code
        for i, bins in attributes:
            for code in np.unique(codes[:, i]):
                has = codes[:, i] == code
                records.append({"slice": rank, "attribute": bins.column,
                                "value": bin_label(bins, int(code)),
                                "share": counts[inside & has].sum() / counts[inside].sum(),
                                "share_overall": counts[has].sum() / counts.sum()})
    return pd.DataFrame(records, columns=["slice", "attribute", "value", "share",
                                          "share_overall"]).astype({"slice": np.int64})


def _bins_record(bins) -> dict:
    if bins.kind == "number":
        return {"quantile_cuts": list(bins.cuts)}
    return {"values": len(bins.values), "other": bins.other}
