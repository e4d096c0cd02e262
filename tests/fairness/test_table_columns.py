"""Subgroup tables name each group by one column per sensitive attribute, beside its label."""

import numpy as np
import pandas as pd
import pytest

from nnaudit.errors import UserInputError
from nnaudit.fairness import subgroup_table


def _rows():
    # A group value with " x " in it: splitting the display label would read it wrongly.
    groups = pd.DataFrame({"tone": ["dark x grey", "light"] * 20, "stroke": ["thin"] * 20 + ["thick"] * 20})
    y_true = np.arange(40) % 2
    y_pred = np.where(np.arange(40) % 3 == 0, 1 - y_true, y_true)
    return y_true, y_pred, groups


def test_each_row_carries_its_attribute_values():
    tables = subgroup_table(*_rows(), n_boot=0)
    by_group = tables["by_group"]
    single = by_group[by_group["attribute"] == "tone"]
    assert single["stroke"].isna().all()
    assert set(single["tone"]) == {"dark x grey", "light"}
    cells = by_group[by_group["attribute"] == "tone x stroke"]
    assert set(zip(cells["tone"], cells["stroke"])) == {("dark x grey", "thin"), ("light", "thin"),
                                                         ("dark x grey", "thick"), ("light", "thick")}
    # The counts of the cell selected by its columns, checked by hand: 10 rows each.
    cell = cells[(cells["tone"] == "dark x grey") & (cells["stroke"] == "thick")].iloc[0]
    assert cell["n"] == 10
    tests = tables["tests"]
    assert {"tone", "stroke"} <= set(tests.columns)


def test_an_attribute_named_like_a_table_column_is_refused():
    y_true, y_pred, groups = _rows()
    with pytest.raises(UserInputError, match="'n' has the name of a column"):
        subgroup_table(y_true, y_pred, groups.rename(columns={"tone": "n"}), n_boot=0)
