"""What every audit returns: one `AuditResult` with tables, figures and computed findings.

Audits are pure functions ``(model, data, config) -> AuditResult``: they never print, never write
files and never know who renders them. `nnaudit.store` writes a result into the run directory;
reports and the dashboard read it back from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

Severity = Literal["info", "warning", "alert"]


@dataclass(frozen=True)
class Finding:
    """A sentence computed from an audit's numbers.

    ``template`` is the English sentence with ``{name}`` placeholders and no format specs; it is
    also the message id the French catalog translates. Renderers format ``params`` for the
    reader's locale: floats with up to two decimals, and params whose name ends in ``_pct`` as
    percentages (0.041 -> 4.1 %). ``text`` gives the English sentence for logs and the CLI.
    """

    template: str
    params: dict[str, Any] = field(default_factory=dict)
    severity: Severity = "info"

    @property
    def text(self) -> str:
        return self.template.format(**{k: _plain(k, v) for k, v in self.params.items()})

    def to_dict(self) -> dict[str, Any]:
        return {"template": self.template, "params": self.params, "severity": self.severity,
                "text": self.text}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Finding":
        return cls(template=d["template"], params=dict(d.get("params", {})),
                   severity=d.get("severity", "info"))


def _plain(name: str, value: Any) -> str:
    if isinstance(value, float):
        if name.endswith("_pct"):
            return "< 0.1%" if 0 < abs(value) < 0.0005 else f"{100 * value:.1f}%"
        if 0 < abs(value) < 1:  # two significant digits, as the reports: 0.0042 Wh, not 0 Wh
            return f"{value:.2g}"
        return f"{value:.2f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:.3g}"
    return str(value)


@dataclass
class AuditResult:
    """One audit's output.

    name:     the audit's folder in the run directory (``fairness``, ``memorization``, ...).
    tables:   name -> DataFrame, written as ``<name>/<table>.parquet``.
    figures:  name -> matplotlib Figure, written as ``figures/<name>__<figure>.png``.
    findings: computed sentences, most important first.
    summary:  small JSON-able dict of headline numbers for the manifest, `nnaudit list` and the
              dashboard's run table (e.g. ``{"worst_group_error": 0.21}``).
    protocol: JSON-able description of what exactly ran (parameters, budgets, what was skipped).
    models:   name -> `torch.nn.Module` the audit trained that a reader or a later audit may
              reuse (the generalization audit's random-label model feeds the saliency audit's
              data-randomization test); written as ``<name>/<model>.pt`` state dicts.
    """

    name: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    protocol: dict[str, Any] = field(default_factory=dict)
    models: dict[str, Any] = field(default_factory=dict)
