"""The command line run in this process (`nnaudit.cli.main`, its error handler included), so a
test can patch a writer or a disk fault into it and still see the exit code and the message."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(monkeypatch, capsys):
    from nnaudit.cli import main

    def run(*args) -> Result:
        monkeypatch.setattr(sys, "argv", ["nnaudit", *map(str, args)])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def one_sentence_exit_2(result: Result, *fragments: str) -> None:
    """Exit 2 with one error line that names what it must, and no traceback."""
    assert result.code == 2, (result.code, result.err)
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    for fragment in fragments:
        assert fragment in result.err, (fragment, result.err)
