"""The discussion questions are computed from the run: the representation question reads the
training split only."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
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


def test_the_calibration_question_gives_the_runs_own_numbers_in_both_languages():
    """COMPAS-like scores (calibrated in both groups, base rates apart): the report asks which of
    calibration and equal error rates matters, with the run's base rates and FPR gap."""
    from nnaudit.fairness import fairness_audit
    from nnaudit.reports.discussion import _calibration
    from nnaudit.reports.formatting import format_finding
    from tests.fairness.test_verdicts import compas_like

    y, pred, score, groups = compas_like()
    result = fairness_audit(y, pred, groups, scores=score, threshold=0.5, n_boot=100)
    run = SimpleNamespace(audit_ran=lambda name: name == "fairness",
                          findings=lambda name: result.findings)
    [question] = _calibration(run)
    base = {g: y[groups["race"] == g].mean() for g in ("African-American", "Caucasian")}
    fpr = {g: pred[(groups["race"] == g) & (y == 0)].mean() for g in base}
    assert question.params["high_group"] == "African-American"
    assert question.params["high_pct"] == pytest.approx(base["African-American"])
    gap = fpr["African-American"] - fpr["Caucasian"]
    assert question.params["fpr_pp"] == pytest.approx(gap)
    english, french = format_finding(question, "en"), format_finding(question, "fr")
    assert f"{100 * gap:.1f}\u00a0points" in english and "Northpointe" in english
    assert f"{100 * gap:.1f}".replace(".", ",") + "\u00a0points" in french
    assert english != french  # the catalog translates it
    # a run whose groups share one base rate has no such question
    same = fairness_audit(y, pred, groups.assign(race=np.resize(["a", "b"], len(y))),
                          scores=score, threshold=0.5, n_boot=100)
    assert _calibration(SimpleNamespace(audit_ran=lambda name: True,
                                        findings=lambda name: same.findings)) == []
