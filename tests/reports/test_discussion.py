"""The discussion questions are computed from the run: the representation question reads the
training split only."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from nnaudit.reports.discussion import _representation

SKEWED = {"tone": {"dark": 50, "light": 950}}


@pytest.mark.parametrize("counts, asked", [
    ({"train": SKEWED, "test": {"tone": {"dark": 500, "light": 500}}}, True),
    ({"train": {"tone": {"dark": 480, "light": 520}}, "test": SKEWED}, False),  # balanced: no
    ({"test": SKEWED}, False),          # a predictions file: audited rows, not training data
])
def test_the_representation_question_reads_the_training_split_only(counts, asked):
    run = SimpleNamespace(manifest={"dataset": {"card": {"subgroup_counts": counts}}})
    questions = _representation(run)
    assert bool(questions) == asked
    if asked:
        assert questions[0].params["group"] == "dark"
        assert questions[0].params["share_pct"] == pytest.approx(0.05)
        assert questions[0].params["ratio"] == pytest.approx(19)
