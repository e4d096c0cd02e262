"""The progress bars of `nnaudit run` as a user reads them once the command is done: every stage
that ran reads complete, and an error is never preceded by a bar that did not move."""

import re

from nnaudit.cli import app
from nnaudit.errors import UserInputError
from typer.testing import CliRunner


def bar_lines(output: str) -> dict[str, str]:
    """Stage name -> its bar's line (a stage name, then ``done/total``)."""
    return {m.group(1): m.group(0) for m in
            re.finditer(r"^(data|training|inference|audit:\w+)\s.*?(\d+)/(\d+).*$", output, re.MULTILINE)}


def test_every_stage_of_a_run_ends_complete(tmp_path):
    result = CliRunner().invoke(app, ["run", "--epochs", "1", "--audits", "fairness",
                                      "--set", "fairness.n_boot=100", "--set", "report.html=false",
                                      "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    bars = bar_lines(result.output)
    assert {"data", "training", "audit:fairness"} <= set(bars), result.output
    for stage, line in bars.items():
        done, total = re.search(r"(\d+)/(\d+)", line).groups()
        assert done == total, f"{stage} ends at {done}/{total}: {line}"


def test_no_bar_before_an_error_message(tmp_path):
    result = CliRunner().invoke(app, ["run", "--dataset", "imagenet-22k", "--out", str(tmp_path)])
    assert isinstance(result.exception, UserInputError), result.output
    assert bar_lines(result.output) == {}, result.output
