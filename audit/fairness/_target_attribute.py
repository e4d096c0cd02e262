"""The target as a sensitive attribute: each class its own positive class (Gender Shades).

When a gender classifier is audited by gender, one fixed positive class is meaningless: with
"male" positive, the PPV of the female group compares the class with itself (0 % against 100 %).
Gender Shades (Buolamwini & Gebru 2018, Table 4) takes each gender as the positive class in its
own cells: the female column's TPR is the share of women classified as women, its FPR the share
of men classified as women, its PPV the share of women among those classified as women; a
darker-female column computes the same within darker faces.

`own_positive_rates` rewrites the binary counts of every subgroup whose grouping holds such an
attribute that way (``own_positive`` names the class taken as positive), keeps only the
positive-free comparisons (error rate, accuracy) between those subgroups, and drops the parity
rows built on the fixed positive class.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nnaudit.fairness._counts import CellCounts
from nnaudit.fairness._metrics import BINARY

# comparisons that do not depend on which class is positive
POSITIVE_FREE = ("error_rate", "accuracy")


def target_attributes(counts: CellCounts) -> list[str]:
    """Sensitive attributes whose value is, in every row, the row's true class."""
    found = []
    class_index = {name: k for k, name in enumerate(counts.classes)}
    per_cell = counts.confusion.sum(axis=2)  # (S, C) rows per cell and true class
    for a, attribute in enumerate(counts.attributes):
        values = counts.values[a]
        if len(values) < 2 or not all(v in class_index for v in values):
            continue
        true_class = np.array([class_index[values[v]] for v in counts.cells[:, a]])
        if (per_cell[np.arange(len(per_cell)), true_class] == per_cell.sum(axis=1)).all():
            found.append(attribute)
    return found


def own_positive_rates(counts: CellCounts, tables: dict[str, pd.DataFrame],
                       targets: list[str]) -> None:
    """Rewrite ``tables`` in place for the groupings that hold a target attribute."""
    from nnaudit.fairness._table import _rate_rows  # the tables' own rate columns

    by_group = tables["by_group"]
    involved = by_group[list(targets)].notna().any(axis=1).to_numpy()
    labels = counts.cell_labels()
    rows = np.flatnonzero(involved)
    binary = np.zeros((len(rows), 4), dtype=np.int64)
    positive = []
    for out, i in enumerate(rows):
        row = by_group.iloc[i]
        target = next(t for t in targets if isinstance(row[t], str))
        k = counts.classes.index(row[target])
        others = {a: row[a] for a in counts.attributes if a != target and isinstance(row[a], str)}
        context = np.array([all(label[counts.attributes.index(a)] == v for a, v in others.items())
                            for label in labels])
        binary[out] = counts.one_vs_rest(k)[context].sum(axis=0)
        positive.append(row[target])
    rates = _rate_rows(BINARY, binary)
    keep = [c for c in rates.columns if c != "n" and not c.startswith(("accuracy", "error_rate"))]
    by_group = by_group.astype({c: float for c in keep if c in by_group and
                                by_group[c].dtype.kind == "f"})
    for column in keep:
        by_group.loc[rows, column] = rates[column].to_numpy()
    by_group["own_positive"] = None
    by_group.loc[rows, "own_positive"] = positive
    names = set(by_group.loc[involved, "attribute"])
    tests = tables["tests"]
    tests = tests[~tests["attribute"].isin(names) | tests["metric"].isin(POSITIVE_FREE)]
    tables["tests"] = tests.reset_index(drop=True)
    significant = tests.groupby(["attribute", "subgroup"])["significant"].any()
    by_group["significant"] = [bool(significant.get((a, g), False))
                               for a, g in zip(by_group["attribute"], by_group["subgroup"])]
    disparity = tables["disparity"]
    tables["disparity"] = disparity[~disparity["attribute"].isin(names)
                                    | disparity["metric"].isin(POSITIVE_FREE)].reset_index(drop=True)
    if "parity" in tables:
        tables["parity"] = tables["parity"][~tables["parity"]["attribute"].isin(names)] \
            .reset_index(drop=True)
    tables["by_group"] = by_group
