"""The slice audit's sentences: which slices name a declared sensitive attribute, which are new.

Each template is also its French message id (reports/locales/fr/LC_MESSAGES/nnaudit.po).
"""

from __future__ import annotations

import pandas as pd

from nnaudit.results import Finding

NEW_SLICE = ("Slice {slice} ({description}, {rows} rows) involves no declared sensitive "
             "attribute, yet its {metric} is {rate_pct} (95% CI {low_pct} to {high_pct}) "
             "against {overall_pct} overall: a bias nobody named")
NAMED_SLICE = ("Slice {slice} ({description}, {rows} rows) involves a declared sensitive "
               "attribute: its {metric} is {rate_pct} (95% CI {low_pct} to {high_pct}) against "
               "{overall_pct} overall")
NO_SLICE = ("No slice's {metric} is significantly above the overall {overall_pct} after the "
            "Benjamini-Hochberg correction over {tested} slices")
EXAMINED = ("SliceLine examined {examined} slices of up to {max_level} predicates over "
            "{columns} columns, each of at least {min_n} rows; significance is corrected "
            "over the {tested} slices it could have reported")

TEMPLATES = (NEW_SLICE, NAMED_SLICE, NO_SLICE, EXAMINED)

# Significant slices said in sentences; the table has them all.
SAID = 5


def slice_findings(table: pd.DataFrame, *, metric: str, overall: float, examined: int,
                   family: int, max_level: int, columns: int, min_n: int) -> list[Finding]:
    """The significant slices in rank order, each said new or named; then the method."""
    found = table[table["significant"]]
    findings = []
    for row in found.head(SAID).itertuples():
        params = {"slice": int(row.slice), "description": row.description, "rows": int(row.n),
                  "metric": metric, "rate_pct": float(row.rate), "low_pct": float(row.rate_low),
                  "high_pct": float(row.rate_high), "overall_pct": float(overall)}
        findings.append(Finding(NAMED_SLICE, params, "warning") if row.sensitive
                        else Finding(NEW_SLICE, params, "alert"))
    if found.empty:
        findings.append(Finding(NO_SLICE, {"metric": metric, "overall_pct": float(overall),
                                           "tested": family}))
    findings.append(Finding(EXAMINED, {"examined": examined, "tested": family,
                                       "max_level": max_level, "columns": columns,
                                       "min_n": min_n}))
    return findings
