"""Fairness figures stay readable whatever the number of groups: 1,000 groups drew a 49,732 px
wide bar chart; now the highest and lowest error rates are drawn, and the table keeps all."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from PIL import Image

from nnaudit.fairness._figures import MAX_BARS, MAX_CELLS, error_heatmap, rate_bars


def by_group(n_groups: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    error = rng.uniform(0.05, 0.5, n_groups)
    return pd.DataFrame({
        "attribute": "g", "subgroup": [f"group {i} " + "x" * (i % 7) * 30 for i in range(n_groups)],
        "n": rng.integers(20, 200, n_groups), "error_rate": error,
        "error_rate_low": error - 0.03, "error_rate_high": error + 0.03,
        "small_group": np.arange(n_groups) % 10 == 0})


def pixels(figure) -> tuple[int, int]:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return Image.open(buffer).size


def drawn_labels(figure) -> list[str]:
    return [t.get_text() for t in figure.axes[-1].get_xticklabels()]


def test_a_thousand_groups_draw_the_highest_and_lowest_error_rates():
    table = by_group(1000)
    figure = rate_bars(table, ["error_rate"])
    width, height = pixels(figure)
    assert width < 3000 and height < 1500
    labels = drawn_labels(figure)
    assert len(labels) == MAX_BARS
    ranked = table[~table["small_group"]].sort_values("error_rate")
    expected = pd.concat([ranked.head(MAX_BARS // 2), ranked.tail(MAX_BARS // 2)])
    assert {label.split(" ")[1] for label in labels} == {g.split(" ")[1] for g in expected["subgroup"]}
    assert all(len(label) <= 40 for label in labels)
    assert "40 of 1000 subgroups drawn" in figure._suptitle.get_text()


def test_few_groups_are_all_drawn():
    table = by_group(12)
    labels = drawn_labels(rate_bars(table, ["error_rate"]))
    assert len(labels) == 12


def test_the_heatmap_keeps_the_largest_groups_of_each_attribute():
    rng = np.random.default_rng(1)
    rows = [("a", f"a{i}", 1000 - i) for i in range(60)] + [("b", f"b{j}", 500) for j in range(3)]
    singles = pd.DataFrame(rows, columns=["attribute", "subgroup", "n"])
    cells = pd.DataFrame([(f"a{i} x b{j}", f"a{i}", f"b{j}", 10, rng.uniform())
                          for i in range(60) for j in range(3)],
                         columns=["group", "a", "b", "n", "error_rate"]).assign(attribute="a x b")
    table = pd.concat([singles.assign(error_rate=0.1), cells], ignore_index=True)
    figure = error_heatmap(table, "a", "b")
    rows_drawn = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert rows_drawn == [f"a{i}" for i in range(MAX_CELLS)]  # a0..a29 have the most rows
    assert "largest groups only" in figure.axes[0].get_title()
    assert max(pixels(figure)) < 5000
