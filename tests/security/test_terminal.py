"""No control character of a user's data reaches the terminal raw (issue 23, item 4).

A predictions file whose header and group values hold ESC sequences (clear screen, set the
window title), NUL, a C1 CSI and Rich markup goes through `fairness`, `list`, `show`, `query`
and the errors that quote a column: every output shows them escaped, markup as written.
"""

from __future__ import annotations

import re
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nnaudit.store import list_runs
from nnaudit.terminal import terminal_safe

from tests.security.conftest import one_sentence_exit_2

RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # a newline is the output's own
COLUMN = "grp\x1b[2J"
GROUPS = ["a\x1b[2J", "b\x00x", "c\x9bd", "[red]d[/]", "e\x1b]0;pwned\x07"]


@given(st.text())
def test_terminal_safe_leaves_no_control_character_and_keeps_the_rest(text):
    safe = terminal_safe(text)
    assert not re.search("[\x00-\x1f\x7f-\x9f]", safe)
    if not re.search("[\x00-\x1f\x7f-\x9f]", text):
        assert safe == text
    assert terminal_safe("\x1b[2J\x00\x9b\x7f") == "\\x1b[2J\\x00\\x9b\\x7f"


@pytest.fixture(scope="module")
def hostile_csv(tmp_path_factory):
    folder = tmp_path_factory.mktemp("escapes")
    rng = np.random.default_rng(0)
    n = 500
    y = rng.integers(0, 2, n)
    pd.DataFrame({"y": y, "yhat": np.where(rng.random(n) < 0.2, 1 - y, y),
                  COLUMN: rng.choice(GROUPS, n)}).to_csv(folder / "hostile.csv", index=False)
    return folder / "hostile.csv"


def assert_terminal_safe(result) -> None:
    text = result.out + result.err
    assert not RAW_CONTROL.search(text), [m.group() for m in RAW_CONTROL.finditer(text)][:5]


def test_every_command_prints_user_strings_escaped(cli, hostile_csv, tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    made = cli("fairness", "--predictions", hostile_csv, "--label", "y", "--pred", "yhat",
               "--groups", COLUMN, "--n-boot", "100", "--out", runs)
    assert made.code == 0, made.err
    assert_terminal_safe(made)
    assert "grp\\x1b[2J" in made.out  # the finding names the attribute, escaped
    [run] = list_runs(runs)
    for result in (cli("list", runs), cli("show", run.path),
                   cli("query", "SELECT subgroup, error_rate FROM fairness_by_group",
                       "--runs", runs),
                   cli("query", "SELECT * FROM cell_counts", "--runs", runs)):
        assert result.code == 0, result.err
        assert_terminal_safe(result)
    shown = cli("query", "SELECT DISTINCT subgroup FROM fairness_by_group", "--runs", runs).out
    assert "[red]d[/]" in shown and "c\\x9bd" in shown and "e\\x1b]0;pwned\\x07" in shown
    # --csv is exact for a script, escaped on a terminal
    piped = cli("query", "SELECT DISTINCT subgroup FROM fairness_by_group", "--runs", runs,
                "--csv")
    assert "c\x9bd" in piped.out
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    on_terminal = cli("query", "SELECT DISTINCT subgroup FROM fairness_by_group", "--runs",
                      runs, "--csv")
    assert_terminal_safe(on_terminal)
    assert "c\\x9bd" in on_terminal.out


@pytest.mark.parametrize("option", ["--groups", "--label"])
def test_an_error_quoting_a_hostile_column_is_escaped(cli, hostile_csv, tmp_path, option):
    args = {"--label": "y", "--pred": "yhat", "--groups": COLUMN}
    args[option] = "nope\x1b[2J\x9b[bold]x[/]"
    result = cli("fairness", "--predictions", hostile_csv, "--n-boot", "100",
                 "--out", tmp_path / "runs", *[part for pair in args.items() for part in pair])
    one_sentence_exit_2(result, "nope\\x1b[2J\\x9b[bold]x[/]")
    assert_terminal_safe(result)
