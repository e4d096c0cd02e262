"""A run's headline numbers, defined once for the CLI, the reports and the dashboard.

Each headline is read from the manifest alone (no table is opened), so listing a hundred runs
stays cheap; a value of the wrong type (a hand-edited manifest) reads as missing. Renderers show
``label`` (an English message id, translated by the reports' catalog) and format the value by
``kind``: ``percent`` (a share), ``number``, ``text`` (data, shown as is), ``word`` (a word of the
catalog, translated: the fairness verdict), ``flag``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from nnaudit.messages import N_
from nnaudit.store import lookup


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    path: tuple[str, ...]
    kind: Literal["percent", "number", "text", "word", "flag"]


# The fairness verdict's values (nnaudit.fairness._verdicts.overall_verdict), as words to translate.
VERDICT_WORDS = (N_("pass"), N_("fail"), N_("inconclusive"))


HEADLINES = (
    Headline("fairness_verdict", N_("Fairness verdict"),
             ("audits", "fairness", "summary", "verdict"), "word"),
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
             "flag"),
)


def headline_values(manifest: dict[str, Any]) -> dict[str, Any]:
    """Headline key -> value (None when the run has no such value, or one of another type)."""
    return {h.key: _typed(lookup(manifest, *h.path), h.kind) for h in HEADLINES}


def _typed(value: Any, kind: str) -> Any:
    if kind in ("percent", "number"):
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
            else None
    if kind == "flag":
        return value if isinstance(value, bool) else None
    if kind == "word":
        return value if value in VERDICT_WORDS else None
    return value if isinstance(value, str) else None
