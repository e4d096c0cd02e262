"""The slice audit: the top slices by SliceLine, each with its interval, test and correction."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

from nnaudit.engines import SliceData
from nnaudit.errors import UserInputError
from nnaudit.fairness import benjamini_hochberg, proportion_interval, two_proportion_test
from nnaudit.results import AuditResult
from nnaudit.slices._findings import slice_findings
from nnaudit.slices._predicates import describe, where
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
    overall one the most, by SliceLine's score, with Wilson intervals, a two-proportion test
    against the rest of the rows and Benjamini-Hochberg across every slice examined.

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
    search = find_slices(codes, events, None if not data.aggregated else counts, k=k,
                         max_level=min(max_level, codes.shape[1]), min_support=min_support,
                         alpha=alpha)
    examined = _tested(search.examined, rows, total_events)
    table = _top_table(search, examined, data, rows, total_events, set(sensitive))
    findings = slice_findings(table, metric=rate, overall=total_events / rows,
                              examined=len(examined), max_level=max_level,
                              columns=len(data.bins), min_n=min_support)
    significant = table[table["significant"]]
    return AuditResult(
        name="slices", tables={"slices": table}, findings=findings,
        summary={"rate": rate, "overall_rate": total_events / rows,
                 "slices_examined": len(examined), "significant_slices": int(len(significant)),
                 "worst_slice": significant["description"].iloc[0] if len(significant) else None,
                 "worst_slice_rate": float(significant["rate"].iloc[0]) if len(significant)
                 else None},
        protocol={"method": "SliceLine (Sagadeeva & Boehm, SIGMOD 2021) via sliceline",
                  "rate": rate, "k": k, "max_level": max_level, "min_support": int(min_support),
                  "alpha": alpha, "rows": rows, "columns": [b.column for b in data.bins],
                  "bins": {b.column: _bins_record(b) for b in data.bins},
                  "slices_examined": len(examined), "test": "two-proportion z (Fisher below 5 "
                  "expected) against the rest, Benjamini-Hochberg over the slices examined",
                  "engine": data.engine,
                  "searched_on": "counts per combination" if data.aggregated else "rows",
                  "combinations": int(len(data.table)) if data.aggregated else None,
                  "sensitive": list(sensitive), "source": data.source})


def _population(data: SliceData, rate: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes, events and row counts of the rows (or combinations) the rate is over."""
    table = data.table
    over, event = RATES[rate]
    keep = np.ones(len(table), bool) if over is None else \
        table["label_positive"].to_numpy() == (over == "positives")
    table = table[keep]
    hits = ~table["pred_positive"] if event == "pred_negative" else table[event]
    code_columns = [f"c{i}" for i in range(len(data.bins))]
    if not data.aggregated:
        return table[code_columns].to_numpy(), hits.to_numpy(float), table["n"].to_numpy()
    combined = table[code_columns].assign(events=hits.to_numpy(np.int64) * table["n"],
                                          n=table["n"])
    combined = combined.groupby(code_columns, as_index=False, sort=True)[["n", "events"]].sum()
    return (combined[code_columns].to_numpy(), combined["events"].to_numpy(float),
            combined["n"].to_numpy())


def _tested(examined: pd.DataFrame, rows: int, events: int) -> pd.DataFrame:
    """Each examined slice against the rest of the rows, BH-corrected across all of them."""
    n, k = examined["n"].to_numpy(), examined["events"].to_numpy()
    p, _test = two_proportion_test(k, n, events - k, rows - n)
    # a slice as large as the whole population has no rest to differ from
    p = np.where(n < rows, p, 1.0)
    return examined.assign(p_value=p, p_adjusted=benjamini_hochberg(p))


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


def _bins_record(bins) -> dict:
    if bins.kind == "number":
        return {"quantile_cuts": list(bins.cuts)}
    return {"values": len(bins.values), "other": bins.other}
