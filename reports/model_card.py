"""A run directory read into the sections of a model card (Mitchell et al. 2019).

This module only reads `nnaudit.store.Run` and formats what it finds; it never recomputes an audit.
Fields the run cannot know (intended use, owners, ...) come from ``manifest["model_card"]`` or are
shown as "to be completed", never invented.
"""

from __future__ import annotations

import base64
import json
import numbers
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from nnaudit.results import Finding
from nnaudit.store import Run
from nnaudit.reports.discussion import READING_LIST, discussion_questions
from nnaudit.reports.i18n import N_, format_finding, format_number, translator
from nnaudit.reports.tables import TableView, format_cell, table_view

KNOWN_AUDITS = ("fairness", "memorization", "membership", "seed_stability", "gradient_health",
                "saliency", "robustness", "energy")

AUDIT_TITLES = {
    "fairness": N_("Fairness across subgroups"),
    "memorization": N_("Generalization and memorization"),
    "membership": N_("Membership inference"),
    "seed_stability": N_("Seed stability"),
    "gradient_health": N_("Gradient health"),
    "saliency": N_("Saliency maps and their sanity checks"),
    "robustness": N_("Robustness to corruptions and attacks"),
    "energy": N_("Energy and emissions"),
}
# labels of the manifest metrics and of the headline numbers the audits document
# (docs/ARCHITECTURE.md); other keys are shown in English, as the audit named them
KNOWN_LABELS = (
    N_("Test accuracy"), N_("Test loss"), N_("Train accuracy"),
    N_("Worst group"), N_("Worst group error"), N_("Best group error"), N_("Error ratio"),
    N_("Significant gaps"), N_("Random label train acc"), N_("Random label test acc"),
    N_("True label test acc"), N_("Slowdown"), N_("Mia auc"), N_("Methods passing sanity"),
    N_("Methods failing sanity"), N_("Total kwh"), N_("Total kg co2eq"), N_("Measured"),
    N_("By group"), N_("Info"), N_("Warning"), N_("Alert"),
)
NOT_REQUESTED = N_("not requested in this run")
MODEL_CARD_FIELDS = ("intended_use", "out_of_scope", "owners", "ethical_considerations",
                     "caveats")
FRACTION_SUFFIXES = ("_error", "_acc", "_accuracy", "_pct", "_rate")


@dataclass
class AuditSection:
    name: str
    title: str
    findings: list[tuple[str, str]]            # (severity, sentence)
    summary: list[tuple[str, str]]
    tables: list[TableView]
    figures: list[tuple[str, str]]             # (caption, data URI)
    protocol: list[tuple[str, str]]


@dataclass
class ModelCard:
    run: Run
    lang: str
    title: str
    subtitle: str
    details: list[tuple[str, str]]
    use: list[tuple[str, str | list[str]]]
    factors: list[tuple[str, str]]
    simulated_attributes: bool
    metrics: list[tuple[str, str]]
    data: list[tuple[str, str]]
    data_limits: list[str]
    subgroup_counts: TableView | None
    audits: list[AuditSection]
    not_run: list[tuple[str, str]]             # (title, reason)
    ethics: list[str]
    caveats: list[str]
    questions: list[str]
    reading_list: list[str] = field(default_factory=lambda: list(READING_LIST))


def label(key: str, lang: str) -> str:
    """A snake_case key as a translated label ("worst_group_error" -> "Worst group error")."""
    return translator(lang)(key.replace("_", " ").capitalize())


def is_fraction(key: str) -> bool:
    return key.endswith(FRACTION_SUFFIXES)


def format_value(key: str, value: Any, lang: str) -> str:
    """A summary/manifest value: fractions as percentages, lists joined, dicts as JSON."""
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(key, v, lang) for v in value) or "—"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and is_fraction(key):
        return format_number(value, lang, "percent")
    return format_cell(value, key, lang)


def audit_title(name: str, lang: str) -> str:
    return translator(lang)(AUDIT_TITLES.get(name, name.replace("_", " ").capitalize()))


def data_uri(path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def audit_section(run: Run, name: str, lang: str) -> AuditSection:
    entry = run.audits[name]
    tables = []
    attributes = (entry.get("protocol") or {}).get("attributes") or []
    for table_name, df in run.tables(name).items():
        view = table_view(df, label(table_name, lang), lang,
                          source=entry.get("tables", {}).get(table_name, ""),
                          value_columns=attributes)
        tables.extend(view.split_columns())
    return AuditSection(
        name=name,
        title=audit_title(name, lang),
        findings=[(f.severity, format_finding(f, lang)) for f in run.findings(name)],
        summary=[(label(k, lang), format_value(k, v, lang))
                 for k, v in (entry.get("summary") or {}).items()],
        tables=tables,
        figures=[(label(fig_name, lang), data_uri(path))
                 for fig_name, path in run.figures(name).items()],
        protocol=[(label(k, lang), format_value(k, v, lang))
                  for k, v in (entry.get("protocol") or {}).items()],
    )


def not_run_audits(run: Run, lang: str) -> list[tuple[str, str]]:
    _ = translator(lang)
    rows = []
    for name, entry in run.audits.items():
        if entry.get("status") != "complete":
            reason = entry.get("reason") or entry.get("status") or _("not run")
            rows.append((audit_title(name, lang), _(reason)))
    for name in KNOWN_AUDITS:
        if name not in run.audits:
            rows.append((audit_title(name, lang), _(NOT_REQUESTED)))
    return rows


def flatten_counts(counts: Any, prefix: str = "") -> dict[str, Any]:
    """Nested subgroup counts as ``{"sex · female": 120, ...}``."""
    if not isinstance(counts, dict):
        return {prefix.rstrip(" ·") or "—": counts}
    flat: dict[str, Any] = {}
    for key, value in counts.items():
        flat.update(flatten_counts(value, f"{prefix}{key} · ") if isinstance(value, dict)
                    else {f"{prefix}{key}": value})
    return flat


def subgroup_counts_view(card: dict, lang: str) -> TableView | None:
    counts = card.get("subgroup_counts")
    if not isinstance(counts, dict) or not counts:
        return None
    splits = {split: flatten_counts(c) for split, c in counts.items()}
    df = pd.DataFrame(splits)
    _ = translator(lang)
    df.insert(0, _("Group"), df.index.astype(str))
    df.columns = [str(c) for c in df.columns]
    return table_view(df.reset_index(drop=True), _("Subgroup counts"), lang)


def training_rows(run: Run, lang: str) -> list[tuple[str, str]]:
    """Epochs and training time from ``history.parquet``, when the run trained a model."""
    history = run.history()
    if history is None or history.empty:
        return []
    _ = translator(lang)
    rows = [(_("Epochs trained"), format_number(len(history), lang))]
    if "seconds" in history.columns:
        rows.append((_("Training time (s)"), format_number(float(history["seconds"].sum()), lang)))
    return rows


def _text_list(value: Any) -> list[str]:
    if value is None or value == "" or value == []:
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def build_model_card(run: Run, lang: str) -> ModelCard:
    """Everything the report template shows, formatted for ``lang``."""
    _ = translator(lang)
    m = run.manifest
    model = m.get("model") or {}
    dataset = m.get("dataset") or {}
    card = dataset.get("card") or {}
    user_card = m.get("model_card") or {}
    blackbox = m.get("kind") == "blackbox"
    todo = _("to be completed")

    versions = ", ".join(f"{k} {v}" for k, v in (m.get("versions") or {}).items())
    details = [
        (_("Run"), run.name),
        (_("Kind"), _("black-box predictions") if blackbox else _("trained by nnaudit")),
        (_("Model"), str(model.get("name") or (_("external model") if blackbox else todo))),
        (_("Model options"), format_value("options", model.get("options") or {}, lang)),
        (_("Parameters"), format_value("parameters", model.get("parameters"), lang)
         if model.get("parameters") is not None else "—"),
        (_("Dataset"), str(dataset.get("name") or card.get("name") or "—")),
        (_("Device"), str(m.get("device") or "—")),
        (_("Seed"), format_value("seed", m.get("seed"), lang) if m.get("seed") is not None
         else "—"),
        (_("Created"), str(m.get("created_at") or "—")),
        (_("Finished"), str(m.get("finished_at") or "—")),
        (_("Software versions"), versions or "—"),
    ]
    owners = _text_list(user_card.get("owners"))
    details.append((_("Owners"), ", ".join(owners) if owners else todo))

    use = [(_("Intended use"), _text_list(user_card.get("intended_use")) or todo),
           (_("Out-of-scope uses"), _text_list(user_card.get("out_of_scope")) or todo)]
    use += [(label(k, lang), _text_list(v) or todo) for k, v in user_card.items()
            if k not in MODEL_CARD_FIELDS]

    factors = [(str(k), str(v)) for k, v in (card.get("attributes") or {}).items()]
    metrics = [(label(k, lang), format_value(k, v, lang))
               for k, v in (m.get("metrics") or {}).items() if v is not None]
    metrics += training_rows(run, lang)

    size = card.get("size")
    data = [(_("Source"), str(card.get("source") or "—")),
            (_("Citation"), str(card.get("citation") or "—")),
            (_("License"), str(card.get("license") or "—")),
            (_("Size"), ", ".join(f"{k}: {format_value(k, v, lang)}" for k, v in size.items())
             if isinstance(size, dict) else format_value("size", size, lang) if size else "—"),
            (_("Simulated sensitive attributes"),
             format_value("simulated", bool(card.get("simulated_attributes")), lang))]

    audit_names = [n for n in KNOWN_AUDITS if run.audit_ran(n)]
    audit_names += [n for n in run.audits if run.audit_ran(n) and n not in audit_names]
    audits = [audit_section(run, n, lang) for n in audit_names]

    ethics = _text_list(user_card.get("ethical_considerations"))
    if card.get("simulated_attributes"):
        ethics.append(_("The sensitive attributes of this dataset are simulated: the disparities "
                        "show how the audit works, not how real people are treated."))
    n_alerts = sum(1 for a in audits for severity, _text in a.findings if severity == "alert")
    if n_alerts:
        ethics.append(format_finding(Finding(
            "The audits raised {count} alerts: they are marked in the quantitative analyses and "
            "deserve a decision before any deployment.", {"count": n_alerts}), lang))

    not_run = not_run_audits(run, lang)
    caveats = _text_list(user_card.get("caveats")) or [todo]
    if not_run:
        caveats.append(_("Some audits were not run (listed under quantitative analyses): the "
                         "absence of a finding there is not evidence of its absence."))
    return ModelCard(
        run=run, lang=lang,
        title=_("Model card"),
        subtitle=" · ".join(x for x in (details[2][1], details[5][1]) if x != "—"),
        details=details, use=use, factors=factors,
        simulated_attributes=bool(card.get("simulated_attributes")),
        metrics=metrics, data=data, data_limits=_text_list(card.get("limits")),
        subgroup_counts=subgroup_counts_view(card, lang),
        audits=audits, not_run=not_run,
        ethics=ethics or [todo], caveats=caveats,
        questions=discussion_questions(run, lang),
    )

