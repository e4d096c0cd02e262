"""A run's headline numbers, defined once for the CLI, the reports and the dashboard.

Each headline is read from the manifest alone (no table is opened), so listing a hundred runs
stays cheap. Renderers show ``label`` (an English message id, translated by the reports'
catalog) and format the value by ``kind``: ``percent`` (a share), ``number``, ``text``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from nnaudit.messages import N_


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    path: tuple[str, ...]
    kind: Literal["percent", "number", "text"]


HEADLINES = (
    Headline("test_accuracy", N_("Test accuracy"), ("metrics", "test_accuracy"), "percent"),
    Headline("worst_group", N_("Worst group"), ("audits", "fairness", "summary", "worst_group"),
             "text"),
    Headline("worst_group_error", N_("Worst group error"),
             ("audits", "fairness", "summary", "worst_group_error"), "percent"),
    Headline("energy_kwh", N_("Total kwh"), ("audits", "energy", "summary", "total_kwh"),
             "number"),
    Headline("co2_kg", N_("Total kg co2eq"), ("audits", "energy", "summary", "total_kg_co2eq"),
             "number"),
    Headline("energy_measured", N_("Measured"), ("audits", "energy", "summary", "measured"),
             "text"),
)


def headline_values(manifest: dict[str, Any]) -> dict[str, Any]:
    """Headline key -> value (None when the run has no such number)."""
    return {h.key: _dig(manifest, h.path) for h in HEADLINES}


def _dig(data: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
