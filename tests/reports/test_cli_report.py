"""`nnaudit report` as a teacher types it: the handout beside the report, bad formats refused."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest


def nnaudit(*args):
    return subprocess.run([sys.executable, "-m", "nnaudit", *args], capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow  # two PDFs in a fresh interpreter: about 30 s on 2 cores
def test_the_handout_is_written_beside_the_report(full_run, tmp_path):
    run = shutil.copytree(full_run, tmp_path / full_run.name)
    proc = nnaudit("report", str(run), "--format", "pdf,handout", "--lang", "fr")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(run / "report.pdf"), str(run / "handout.pdf")]
    assert (run / "handout.pdf").read_bytes().startswith(b"%PDF")


def test_an_unknown_format_exits_2_naming_the_choices(full_run):
    proc = nnaudit("report", str(full_run), "--format", "docx")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "html, pdf, handout" in proc.stderr and "'docx'" in proc.stderr
