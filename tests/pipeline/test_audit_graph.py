"""Audits declare what they need; the pipeline runs what the inputs allow, in declared order."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nnaudit.audits import AUDITS, BY_NAME, GROUPS, Need, expand_audit_names, run_order
from nnaudit.errors import UserInputError


def test_every_audit_runs_after_the_audits_it_uses():
    for spec in AUDITS:
        for used in spec.uses:
            assert used in BY_NAME, f"{spec.name} uses unknown audit {used}"
    # whatever order the user writes, an audit follows those it uses
    order = [s.name for s in run_order(["saliency", "membership", "memorization", "fairness"])]
    assert order.index("memorization") < order.index("saliency")
    assert order.index("memorization") < order.index("membership")
    # a used audit that is not chosen does not hold the others back
    assert [s.name for s in run_order(["saliency"])] == ["saliency"]


def test_group_names_expand_and_unknown_names_are_refused():
    assert expand_audit_names(["generalization"]) == list(GROUPS["generalization"])
    assert expand_audit_names(["saliency", "fairness", "fairness"]) == ["fairness", "saliency"]
    with pytest.raises(UserInputError, match="unknown audit 'astrology'.*generalization"):
        expand_audit_names(["astrology"])


@pytest.mark.parametrize("have, audit, reason", [
    (set(), "memorization", "the random-label test needs the model itself"),
    ({Need.MODEL, Need.GRADIENTS, Need.TRAINING_DATA}, "memorization",
     "the random-label test retrains the model: give a factory"),
    ({Need.MODEL, Need.FACTORY}, "membership", "the membership attack needs the examples"),
    ({Need.PREDICTIONS}, "fairness", "the subgroup table needs at least one sensitive attribute"),
    ({Need.MODEL, Need.TEST_INPUTS}, "saliency",
     "the saliency audit needs gradients from the model's output"),
])
def test_a_missing_need_is_said_in_one_sentence(have, audit, reason):
    assert BY_NAME[audit].missing(have).startswith(reason)


def test_every_need_is_met_by_a_trained_run():
    everything = set(Need)
    assert all(spec.missing(everything) is None for spec in AUDITS)


def test_help_imports_no_heavy_library():
    """`nnaudit --help` stays fast: no torch, pandas or matplotlib behind it."""
    code = ("import sys\nsys.argv = ['nnaudit', '--help']\nfrom nnaudit.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('torch', 'pandas', 'matplotlib', 'numpy') "
            "if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert proc.stdout.strip().splitlines()[-1] == "[]"
