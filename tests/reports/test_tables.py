"""Table formatting: intervals folded into cells, small groups flagged, wide tables split."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nnaudit.reports.formatting import Formatter
from nnaudit.reports.tables import table_view


def test_interval_columns_are_folded_and_small_groups_flagged():
    df = pd.DataFrame({"group": ["a", "b"], "error_rate": [0.25, np.nan],
                       "error_rate_low": [0.2, np.nan], "error_rate_high": [0.3, np.nan],
                       "small_group": [False, True], "share_pct": [0.041, 0.959]})
    view = table_view(df, "By group", Formatter("fr"))
    assert view.headers == ["groupe", "taux d'erreur [intervalle à 95 %]", "share pct"]
    assert view.rows == [["a", "0,25 [0,2, 0,3]", "4,1\xa0%"], ["b", "—", "95,9\xa0%"]]
    assert view.flagged == [False, True]
    assert view.numeric == [False, True, True]
    assert len(view.notes) == 1


def test_a_table_without_optional_columns_renders_as_is():
    view = table_view(pd.DataFrame({"x": [1, 2], "y_low": [0, 1]}), "t", Formatter("en"))
    assert view.headers == ["x", "y low"] and view.flagged == [False, False] and not view.notes


def test_wide_tables_are_split_repeating_their_label_columns():
    df = pd.DataFrame({"attribute": ["sex"], "subgroup": ["female"],
                       **{f"m{i}": [float(i)] for i in range(13)}})
    parts = table_view(df, "By group", Formatter("en")).split_columns(max_columns=8)
    assert [p.name for p in parts] == ["By group (1/3)", "By group (2/3)", "By group (3/3)"]
    assert [p.headers for p in parts] == [
        ["attribute", "subgroup", "m0", "m1", "m2", "m3", "m4", "m5"],
        ["attribute", "subgroup", "m6", "m7", "m8", "m9", "m10", "m11"],
        ["attribute", "subgroup", "m12"]]
    assert parts[2].rows == [["sex", "female", "12"]]


def test_long_tables_are_cut_with_a_note_of_the_full_size():
    view = table_view(pd.DataFrame({"i": range(500)}), "t", Formatter("en"), source="a/t.csv",
                      max_rows=100)
    assert len(view.rows) == 100 and view.total_rows == 500 and view.truncated
