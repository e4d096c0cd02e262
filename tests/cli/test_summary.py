"""The console summary of a run: a few findings per audit, and the count of the others."""

from __future__ import annotations

import io
import re

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


@pytest.mark.parametrize("kwh, kg, energy, co2", [
    (4.7e-5, 4.7e-6, "47.0 mWh", "4.70 mg"),          # a quick CPU run: never 4.7e-05
    (0.0123, 0.0021, "12.3 Wh", "2.10 g"),
    (1234.5, 56.78, "1,234 kWh", "56.8 kg"),
    (3e-10, 0.0, "< 0.01 mWh", "0 mg")])
def test_energy_reads_in_wh_and_grams_never_in_e_notation(tmp_path, kwh, kg, energy, co2):
    writer = RunWriter.create(tmp_path, "run", {})
    writer.audits["energy"] = {"status": "complete", "tables": {}, "figures": {}, "protocol": {},
                               "findings": [], "summary": {"total_kwh": kwh,
                                                           "total_kg_co2eq": kg,
                                                           "measured": True}}
    writer.finish({"kind": "trained", "created_at": "2026-12-02T10:00:00+00:00", "seed": 0,
                   "dataset": {"name": "csv", "card": {}}, "model": {"name": "mlp"},
                   "metrics": {}})
    console = Console(file=io.StringIO(), width=200)
    print_run_summary(Run.open(writer.path), console)
    text = console.file.getvalue()
    assert f"energy {energy}, {co2} CO2eq" in text
    assert not re.search(r"\d[eE][-+]?\d", text)
