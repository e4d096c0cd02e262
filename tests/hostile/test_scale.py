"""10,000 groups (issue 23, item 9): every per-group figure is capped, and a run whose report
was interrupted says so with the command that writes it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from nnaudit.fairness._figures import MAX_BARS


def test_the_reports_error_by_group_figure_draws_at_most_max_bars_and_says_so():
    from matplotlib.patches import Rectangle

    from nnaudit.reports.figures import error_by_group_figure
    from nnaudit.reports.formatting import Formatter

    rng = np.random.default_rng(0)
    k = 2_000
    error = rng.random(k)
    names = [f"g{i}" for i in range(k)]
    by_group = pd.DataFrame({"attribute": "grp", "subgroup": names, "grp": names, "n": 50,
                             "small_group": False, "error_rate": error,
                             "error_rate_low": error * 0.8,
                             "error_rate_high": np.minimum(1, error * 1.2)})
    overall = pd.DataFrame({"error_rate": [0.5], "error_rate_low": [0.49],
                            "error_rate_high": [0.51]})
    for lang, said in (("en", f"{MAX_BARS} of 2,000 groups drawn"),
                       ("fr", f"{MAX_BARS} groupes sur 2\u202f000 dessinés")):
        figure = error_by_group_figure(overall, by_group, ["grp"], Formatter(lang))
        axes = figure.axes[0]
        bars = [p for p in axes.patches if isinstance(p, Rectangle) and p.get_height() > 0]
        assert len(bars) == MAX_BARS
        assert figure.get_size_inches()[1] < 0.24 * MAX_BARS + 2
        assert said in axes.get_title()
        # the extremes are the ones drawn: the highest and lowest error rates
        drawn = sorted(round(b.get_width(), 6) for b in bars)
        expected = np.sort(error * 100)
        assert drawn[0] == round(expected[0], 6) and drawn[-1] == round(expected[-1], 6)


def test_a_few_groups_are_all_drawn_with_no_note():
    from nnaudit.reports.figures import error_by_group_figure
    from nnaudit.reports.formatting import Formatter

    by_group = pd.DataFrame({"attribute": "grp", "subgroup": ["a", "b"], "grp": ["a", "b"],
                             "n": 50, "small_group": False, "error_rate": [0.1, 0.3],
                             "error_rate_low": [0.05, 0.2], "error_rate_high": [0.2, 0.4]})
    overall = pd.DataFrame({"error_rate": [0.2], "error_rate_low": [0.1],
                            "error_rate_high": [0.3]})
    figure = error_by_group_figure(overall, by_group, ["grp"], Formatter("en"))
    assert figure.axes[0].get_title() == ""


def test_a_run_whose_report_was_interrupted_says_so_with_the_command(cli, tmp_path):
    from nnaudit.config import load_config
    from nnaudit.pipeline import run_blackbox

    rng = np.random.default_rng(0)
    pd.DataFrame({"y": rng.integers(0, 2, 200), "p": rng.integers(0, 2, 200),
                  "grp": rng.choice(["a", "b"], 200)}).to_csv(tmp_path / "p.csv", index=False)
    config = load_config(None, {"out": str(tmp_path / "runs"), "fairness.n_boot": 100,
                                "energy.enabled": False, "report.lang": "fr"})
    run = run_blackbox(tmp_path / "p.csv", label="y", pred="p", groups=["grp"], config=config)
    assert cli("show", run).out.count("was not written") == 0
    (run / "report.html").unlink()  # as a Ctrl-C between the manifest and the report leaves it
    command = f"nnaudit report {run} --format html --lang fr"
    listed = json.loads(cli("list", tmp_path / "runs", "--json").out)[0]
    assert listed["status"] == "complete" and command in listed["problem"]
    shown = cli("show", run)
    assert shown.code == 0 and "report.html) was not written" in shown.out
    assert command in shown.out
    assert cli(*command.split()[1:]).code == 0 and (run / "report.html").is_file()
    assert cli("show", run).out.count("was not written") == 0
