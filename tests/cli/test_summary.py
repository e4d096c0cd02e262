"""The console summary of a run: a few findings per audit, and the count of the others."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from nnaudit.results import Finding
from nnaudit.store import Run, RunWriter
from nnaudit.summary import SHOWN_FINDINGS, print_run_summary


@pytest.mark.parametrize("count, hidden", [(SHOWN_FINDINGS + 2, "... and 2 more findings"),
                                           (SHOWN_FINDINGS + 1, "... and 1 more finding in"),
                                           (SHOWN_FINDINGS, None)])
def test_findings_beyond_the_first_few_are_counted_not_dropped(tmp_path, count, hidden):
    writer = RunWriter.create(tmp_path, "run", {})
    writer.audits["mitigation"] = {
        "status": "complete", "tables": {}, "figures": {}, "summary": {}, "protocol": {},
        "findings": [Finding("remedy {n} moved the gap", {"n": n}).to_dict()
                     for n in range(count)]}
    writer.finish({"kind": "mitigated", "created_at": "2026-12-02T10:00:00+00:00", "seed": 0,
                   "dataset": {"name": "csv", "card": {}}, "model": {"name": "mlp"},
                   "metrics": {}})
    console = Console(file=io.StringIO(), width=200)
    print_run_summary(Run.open(writer.path), console)
    text = console.file.getvalue()
    shown = [n for n in range(count) if f"remedy {n} moved the gap" in text]
    assert shown == list(range(SHOWN_FINDINGS))
    assert (hidden in text) if hidden else ("more finding" not in text)
