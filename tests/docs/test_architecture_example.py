"""docs/ARCHITECTURE.md's "Adding an audit" example is real: its module and its registry entry,
as printed, run through the real pipeline and land in the run directory."""

from __future__ import annotations

import re
import sys
import types
from dataclasses import replace
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "ARCHITECTURE.md"


def _example_blocks() -> tuple[str, str]:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Adding an audit"):]
    section = section[:section.index("\n## ", 1)]
    module, entry = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    return module, entry


@pytest.mark.slow  # trains LeNet-5 for one epoch
def test_the_documented_audit_is_one_module_and_one_registry_entry(tmp_path, monkeypatch):
    from conftest import small_config

    import nnaudit.audits as registry
    from nnaudit.audits import AuditSpec, Need
    from nnaudit.messages import N_
    from nnaudit.pipeline import run_pipeline
    from nnaudit.store import Run

    source, entry = _example_blocks()
    module = types.ModuleType("nnaudit.confidence")
    exec(compile(source, "nnaudit/confidence.py", "exec"), module.__dict__)
    monkeypatch.setitem(sys.modules, "nnaudit.confidence", module)
    spec = eval(entry.strip().rstrip(","), {"AuditSpec": AuditSpec, "Need": Need, "N_": N_})
    monkeypatch.setattr(registry, "AUDITS", (*registry.AUDITS, spec))
    monkeypatch.setitem(registry.BY_NAME, spec.name, spec)

    config = small_config(tmp_path, **{"audits.run": ["confidence"], "train.epochs": 1})
    config = replace(config, energy=replace(config.energy, enabled=False))
    run = Run.open(run_pipeline(config))

    assert run.audits["confidence"]["status"] == "complete"
    table = run.table("confidence", "by_class")
    assert table.label.is_unique and len(table) > 1
    assert table.confidence.between(0, 1).all()
    assert 0 < run.audits["confidence"]["summary"]["mean_confidence"] <= 1
