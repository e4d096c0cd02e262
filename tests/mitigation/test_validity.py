"""The representative-data remedy on shades-mnist, at the default settings (slow: 4 trainings).

At skew 0.05 LeNet-5 sees 175 dark digits in 3,500 and errs on dark test digits about 27 points
more often than on light ones; drawing each tone x stroke group equally often must cut that gap
by at least half. On the balanced control (skew 0.5) the same remedy must not move the gap
beyond its interval.
"""

import pytest

import nnaudit
from nnaudit.pipeline import run_pipeline

from tests.conftest import small_config

pytestmark = pytest.mark.slow


def tone_gap(skew: float, out) -> dict:
    """The dark/light error-rate gap before and after ``resample`` (the disparity_change row)."""
    base = run_pipeline(small_config(out, **{"data.options.skew": skew, "train.epochs": 15,
                                             "audits.run": ["fairness"],
                                             "energy.enabled": False}))
    run = nnaudit.mitigate(base, method="resample", out=out / "mitigated")
    changes = run.table("mitigation", "disparity_change")
    [row] = changes[(changes["attribute"] == "tone")
                    & (changes["metric"] == "error_rate")].to_dict("records")
    return row


def test_resample_halves_the_dark_light_gap_at_skew_005(tmp_path):
    row = tone_gap(0.05, tmp_path)
    # measured on 2 CPU cores: 27.4 -> 8.0 points
    assert row["before"] > 0.15 and (row["highest_before"], row["lowest_before"]) == ("dark",
                                                                                      "light")
    assert row["after"] <= row["before"] / 2, row
    assert row["change_high"] < 0 and row["significant"], row


def test_resample_leaves_the_balanced_controls_gap_within_its_interval(tmp_path):
    row = tone_gap(0.5, tmp_path)
    assert row["change_low"] <= 0 <= row["change_high"] and not row["significant"], row
