"""The model card of a run (Mitchell et al. 2019): details, intended use, factors, data.

This module only reads `nnaudit.store.Run` and formats what it finds; it never recomputes an
audit. Fields the run cannot know (intended use, owners, ...) come from ``manifest["model_card"]``
or are shown as "to be completed", never invented; fields that do not apply to the run are left
out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from nnaudit.messages import N_
from nnaudit.store import Run
from nnaudit.reports.formatting import Formatter
from nnaudit.reports.tables import TableView, table_view

MODEL_CARD_FIELDS = ("intended_use", "out_of_scope", "owners", "ethical_considerations",
                     "caveats")
# How the run's model came to be (manifest ``kind``: `nnaudit.pipeline`, `nnaudit.mitigation`).
KINDS = {"trained": N_("trained by nnaudit"), "audited": N_("brought by its user, audited"),
         "blackbox": N_("black-box predictions"),
         "mitigated": N_("remedied by nnaudit mitigate")}

Fields = list[tuple[str, "str | list[str]"]]


@dataclass
class ModelCard:
    title: str
    subtitle: str
    details: Fields
    use: Fields
    factors: Fields
    simulated_attributes: bool
    data: Fields
    data_limits: list[str]
    subgroup_counts: TableView | None
    todo: str                 # the words of a field only a person can fill in


def flatten_counts(counts: Any, prefix: str = "") -> dict[str, Any]:
    """Nested subgroup counts as ``{"sex · female": 120, ...}``."""
    if not isinstance(counts, dict):
        return {prefix.rstrip(" ·") or "—": counts}
    flat: dict[str, Any] = {}
    for key, value in counts.items():
        flat.update(flatten_counts(value, f"{prefix}{key} · ") if isinstance(value, dict)
                    else {f"{prefix}{key}": value})
    return flat


def subgroup_counts_view(card: dict, fmt: Formatter) -> TableView | None:
    counts = card.get("subgroup_counts")
    if not isinstance(counts, dict) or not counts:
        return None
    _ = fmt.gettext
    df = pd.DataFrame({split: flatten_counts(c) for split, c in counts.items()})
    df.insert(0, _("Group"), df.index.astype(str))
    df.columns = [str(c) for c in df.columns]
    return table_view(df.reset_index(drop=True), _("Subgroup counts"), fmt)


def training_rows(run: Run, fmt: Formatter) -> Fields:
    """Epochs and training time from ``history.parquet``, when the run trained a model."""
    history = run.history()
    if history is None or history.empty:
        return []
    _ = fmt.gettext
    rows: Fields = [(_("Epochs trained"), fmt.number(len(history)))]
    if "seconds" in history.columns:
        rows.append((_("Training time (s)"), fmt.number(float(history["seconds"].sum()))))
    return rows


def text_list(value: Any) -> list[str]:
    if value is None or value == "" or value == []:
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def _present(fields: Fields) -> Fields:
    """Only the fields that apply: an unknown value is left out, not shown as a dash."""
    return [(label, value) for label, value in fields if value not in ("", "—", [], None)]


def build_model_card(run: Run, fmt: Formatter) -> ModelCard:
    """The model card's sections of ``run``, formatted by ``fmt``."""
    _ = fmt.gettext
    m = run.manifest
    model = m.get("model") or {}
    dataset = m.get("dataset") or {}
    card = dataset.get("card") or {}
    user_card = m.get("model_card") or {}
    blackbox = m.get("kind") == "blackbox"
    todo = _("to be completed")

    versions = ", ".join(f"{k} {v}" for k, v in (m.get("versions") or {}).items())
    options = ", ".join(f"{label}: {text}" for label, text in fmt.fields(model.get("options")
                                                                         or {}))
    model_name = str(model.get("name") or (_("external model") if blackbox else todo))
    dataset_name = str(dataset.get("name") or card.get("name") or "")
    details = _present([
        (_("Run"), run.name),
        (_("Kind"), _(KINDS.get(m.get("kind"), KINDS["trained"]))),
        (_("Mitigates run"), str(m.get("mitigates") or "")),
        (_("Model"), model_name),
        (_("Model options"), options),
        (_("Parameters"), fmt.number(model.get("parameters"), "integer")
         if model.get("parameters") is not None else ""),
        (_("Dataset"), dataset_name),
        (_("Device"), str(m.get("device") or "")),
        (_("Seed"), fmt.number(m.get("seed"), "integer") if m.get("seed") is not None else ""),
        (_("Finished"), str(m.get("finished_at") or "")),
        (_("Software versions"), versions),
    ])
    details += training_rows(run, fmt)
    owners = text_list(user_card.get("owners"))
    details.append((_("Owners"), ", ".join(owners) if owners else todo))

    use: Fields = [(_("Intended use"), text_list(user_card.get("intended_use")) or todo),
                   (_("Out-of-scope uses"), text_list(user_card.get("out_of_scope")) or todo)]
    use += [(fmt.label(k), text_list(v) or todo) for k, v in user_card.items()
            if k not in MODEL_CARD_FIELDS]

    size = card.get("size")
    data = _present([
        (_("Source"), str(card.get("source") or "")),
        # a predictions source may be several files, each counted once (links resolved)
        (_("Files read"), fmt.number(card["files"], "integer")
         if type(card.get("files")) is int else ""),
        (_("Citation"), str(card.get("citation") or "")),
        (_("License"), str(card.get("license") or "")),
        (_("Size"), ", ".join(f"{k}: {fmt.number(v)}" for k, v in size.items())
         if isinstance(size, dict) else fmt.number(size) if size else ""),
    ])
    return ModelCard(
        title=_("Model card"),
        subtitle=" · ".join(x for x in (model_name, dataset_name) if x),
        details=details, use=use,
        factors=[(str(k), str(v)) for k, v in (card.get("attributes") or {}).items()],
        simulated_attributes=bool(card.get("simulated_attributes")),
        data=data, data_limits=text_list(card.get("limits")),
        subgroup_counts=subgroup_counts_view(card, fmt), todo=todo)
