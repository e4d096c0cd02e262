"""A run's report, built once: every section's content, each value formatted for the reader.

`build_report_view` reads the run through `nnaudit.store.Run` (never recomputing an audit) and
returns a `ReportView` that the templates only lay out: the report (HTML and PDF), the two-page
handout and the comparison of two runs all start from it. The order is the reader's: the
findings first, then the questions for discussion, then the course's three tables and the
figures, then the model card, each audit's other findings and headline numbers, and an
appendix (protocols as key/value lists, every table attached in full as a CSV file).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path

from nnaudit.headline import HEADLINES, headline_values
from nnaudit.store import Run
from nnaudit.reports import figures as report_figures
from nnaudit.reports.attachments import Attachment, run_attachments
from nnaudit.reports.course_table import CourseTable
from nnaudit.reports.discussion import READING_LIST, discussion_questions
from nnaudit.reports.formatting import AUDIT_TITLES, Formatter
from nnaudit.reports.gender_shades import gender_shades_table
from nnaudit.reports.i18n import N_, translate_reason
from nnaudit.reports.model_card import ModelCard, build_model_card, text_list
from nnaudit.reports.robustness import attack_table
from nnaudit.reports.strubell import strubell_table
from nnaudit.reports.tables import TableView, table_view
from nnaudit.reports.zhang import zhang_table
from nnaudit.results import Finding

KNOWN_AUDITS = tuple(AUDIT_TITLES)
SEVERITY_ORDER = {"alert": 0, "warning": 1, "info": 2}
KEY_FINDINGS = 8          # the report's first section; the others stay in their audit's section
KEY_PER_AUDIT = 2         # ... from as many audits as the severities allow
NOT_REQUESTED = N_("not requested in this run")


@dataclass
class ShownFinding:
    severity: str
    audit_name: str
    audit: str                # the audit's title
    text: str


@dataclass
class ReportFigure:
    caption: str
    uri: str
    beside: list[tuple[str, str]] = field(default_factory=list)   # (label, text) next to it


@dataclass
class AuditSection:
    name: str
    title: str
    findings: list[ShownFinding]          # those not already among the key findings
    summary: list[tuple[str, str]]
    tables: list[TableView]               # every table (HTML: one click away)
    figures: list[ReportFigure]           # the audit's own figures (HTML: one click away)
    protocol: list[tuple[str, str]]
    attachments: list[Attachment]


@dataclass
class ReportView:
    run: Run
    fmt: Formatter
    card: ModelCard
    headlines: list[tuple[str, str]]
    key_findings: list[ShownFinding]
    questions: list[str]
    course_tables: list[CourseTable]
    figures: dict[str, ReportFigure]      # error_by_group, training_curves, energy, saliency...
    robustness: CourseTable | None
    audits: list[AuditSection]
    not_run: list[tuple[str, str]]        # (audit title, why)
    ethics: list[str]
    caveats: list[str]
    reading_list: list[str] = field(default_factory=lambda: list(READING_LIST))

    @property
    def lang(self) -> str:
        return self.fmt.lang

    @property
    def attachments(self) -> list[Attachment]:
        return [a for section in self.audits for a in section.attachments]

    def findings_of(self, audit: str) -> list[ShownFinding]:
        """Every finding of one audit, most severe first: the key ones and the others."""
        others = next((s.findings for s in self.audits if s.name == audit), [])
        return [f for f in self.key_findings if f.audit_name == audit] + others

    def course_table(self, key: str) -> CourseTable | None:
        return next((t for t in self.course_tables if t.key == key), None)


def audits_that_ran(run: Run) -> list[str]:
    """The audits with results, the known ones in the reports' order, then any other."""
    names = [n for n in KNOWN_AUDITS if run.audit_ran(n)]
    return names + [n for n in run.audits if run.audit_ran(n) and n not in names]


def headline_fields(run: Run, fmt: Formatter) -> list[tuple[str, str]]:
    """The run's headline numbers (`nnaudit.headline.HEADLINES`) that it has."""
    values = headline_values(run.manifest)
    kinds = {"percent": "percent", "number": "decimal"}
    shown = []
    for headline in HEADLINES:
        value = values[headline.key]
        if value is None:
            continue
        text = fmt.number(value, kinds[headline.kind]) if headline.kind in kinds else \
            fmt.number(value) if headline.kind == "flag" else str(value)
        shown.append((fmt.gettext(headline.label), text))
    return shown


def _findings(run: Run, audits: list[str], fmt: Formatter) -> list[tuple[str, ShownFinding]]:
    """(audit, finding) of every audit, most severe first, in audit order within a severity."""
    found = [(name, f) for name in audits for f in run.findings(name)]
    found.sort(key=lambda item: SEVERITY_ORDER.get(item[1].severity, len(SEVERITY_ORDER)))
    return [(name, ShownFinding(f.severity, name, fmt.audit_title(name), fmt.finding(f)))
            for name, f in found]


def key_finding_indices(audits: list[str]) -> list[int]:
    """Which of the findings (one audit name each, most severe first) lead the report: the most
    severe, at most `KEY_PER_AUDIT` per audit while other audits have some to show."""
    chosen: list[int] = []
    per_audit: dict[str, int] = {}
    for i, name in enumerate(audits):
        if len(chosen) < KEY_FINDINGS and per_audit.get(name, 0) < KEY_PER_AUDIT:
            chosen.append(i)
            per_audit[name] = per_audit.get(name, 0) + 1
    chosen += [i for i in range(len(audits)) if i not in chosen][:KEY_FINDINGS - len(chosen)]
    return sorted(chosen)


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def audit_section(run: Run, name: str, findings: list[ShownFinding],
                  attachments: list[Attachment], fmt: Formatter) -> AuditSection:
    entry = run.audits[name]
    attributes = (entry.get("protocol") or {}).get("attributes") or []
    by_table = {a.table: a for a in attachments}
    tables = []
    for table_name, df in run.tables(name).items():
        view = table_view(df, fmt.label(table_name), fmt, value_columns=attributes,
                          source=by_table[table_name].file_name)
        tables.extend(view.split_columns())
    return AuditSection(
        name=name, title=fmt.audit_title(name), findings=findings,
        summary=list(fmt.fields(entry.get("summary") or {})),
        tables=tables,
        figures=[ReportFigure(fmt.label(fig_name), _data_uri(path))
                 for fig_name, path in run.figures(name).items()],
        protocol=list(fmt.fields(entry.get("protocol") or {})),
        attachments=attachments)


def not_run_audits(run: Run, fmt: Formatter) -> list[tuple[str, str]]:
    """Each audit without a result, and why: skipped (its reason), failed, or not requested."""
    _ = fmt.gettext
    rows = []
    for name, entry in run.audits.items():
        if entry.get("status") == "failed":
            rows.append((fmt.audit_title(name), _("failed: {error}").format(
                error=entry.get("error") or "")))
        elif entry.get("status") != "complete":
            reason = entry.get("reason")
            rows.append((fmt.audit_title(name),
                         translate_reason(reason, fmt.lang) if reason else _("not run")))
    rows += [(fmt.audit_title(n), _(NOT_REQUESTED)) for n in KNOWN_AUDITS if n not in run.audits]
    return rows


def course_tables(run: Run, fmt: Formatter) -> list[CourseTable]:
    """The course's three tables of ``run`` (those its audits allow)."""
    tables: list[CourseTable | None] = []
    if run.audit_ran("fairness"):
        protocol = run.audits["fairness"].get("protocol") or {}
        fairness = run.tables("fairness")
        if "by_group" in fairness and "overall" in fairness:
            tables.append(gender_shades_table(
                fairness["overall"], fairness["by_group"], list(protocol.get("attributes") or []),
                fmt, positive=protocol.get("positive"),
                classes=len(protocol.get("classes") or []),
                min_group_size=int(protocol.get("min_group_size") or 0)))
    if run.audit_ran("memorization"):
        tables.append(zhang_table(run.tables("memorization"),
                                  run.audits["memorization"].get("protocol") or {}, fmt))
    if run.audit_ran("energy"):
        tables.append(strubell_table(run.tables("energy"), fmt))
    return [t for t in tables if t is not None]


def _figures(run: Run, fmt: Formatter) -> dict[str, ReportFigure]:
    _ = fmt.gettext
    shown: dict[str, ReportFigure] = {}

    def add(key: str, caption: str, figure) -> None:
        if figure is not None:
            shown[key] = ReportFigure(caption, report_figures.png_data_uri(figure))

    if run.audit_ran("fairness"):
        fairness = run.tables("fairness")
        attributes = list((run.audits["fairness"].get("protocol") or {}).get("attributes") or [])
        if "by_group" in fairness and "overall" in fairness:
            add("error_by_group", _("Error rate of each group with its 95% interval; the dashed "
                                    "line is everyone's."),
                report_figures.error_by_group_figure(fairness["overall"], fairness["by_group"],
                                                     attributes, fmt))
    if run.audit_ran("memorization"):
        add("training_curves", _("Training on true and on random labels: loss and accuracy per "
                                 "epoch (after Zhang et al. 2017, figure 1a)."),
            report_figures.training_curves_figure(
                run.tables("memorization").get("learning_curves"), fmt))
    if run.audit_ran("energy") and "phases" in run.tables("energy"):
        add("energy", _("Energy of each phase of the run."),
            report_figures.energy_figure(run.tables("energy")["phases"], fmt))
    saliency = _saliency_figure(run, fmt)
    if saliency is not None:
        shown["saliency"] = saliency
    stored = run.figures("robustness") if run.audit_ran("robustness") else {}
    if "adversarial" in stored:
        shown["robustness"] = ReportFigure(
            _("Accuracy of everyone and of each group as the attack's radius grows."),
            _data_uri(stored["adversarial"]))
    return shown


def _saliency_figure(run: Run, fmt: Formatter) -> ReportFigure | None:
    """The saliency audit's example maps, each method's sanity verdict beside them."""
    if not run.audit_ran("saliency"):
        return None
    stored = run.figures("saliency")
    if "examples" not in stored:
        return None
    _ = fmt.gettext
    sanity = run.tables("saliency").get("sanity")
    verdicts = []
    if sanity is not None:
        for row in sanity.itertuples():
            verdict = _("passes") if row.passes else _("fails")
            verdicts.append((str(row.method).replace("_", " "), fmt.sentence(
                N_("{verdict}: rank correlation {correlation} with the maps of a randomized "
                   "model"), verdict=verdict,
                correlation=row.full_randomization_spearman_abs)))
    return ReportFigure(_("Saliency maps of test examples by method; below them, each method's "
                          "sanity check (Adebayo et al. 2018): a method passes when its maps "
                          "change once the model's weights are randomized."),
                        _data_uri(stored["examples"]), verdicts)


def sensitive_attributes(run: Run) -> list[str]:
    """The run's sensitive attributes, in order: the dataset card's, then any other the fairness
    audit grouped by (a table's group layout keeps those it has columns for)."""
    protocol = run.audits.get("fairness", {}).get("protocol") or {}
    card = (run.manifest.get("dataset") or {}).get("card") or {}
    return list(dict.fromkeys([*(card.get("attributes") or []),
                               *(protocol.get("attributes") or [])]))


def robustness_table(run: Run, fmt: Formatter) -> CourseTable | None:
    """Each group's accuracy under attack, when the robustness audit ran."""
    if not run.audit_ran("robustness"):
        return None
    return attack_table(run.tables("robustness"), sensitive_attributes(run), fmt)


def build_report_view(run: Run, lang: str) -> ReportView:
    """Everything the report of ``run`` shows, formatted for ``lang``."""
    fmt = Formatter(lang)
    _ = fmt.gettext
    card = build_model_card(run, fmt)
    audits = audits_that_ran(run)
    findings = _findings(run, audits, fmt)
    leading = set(key_finding_indices([name for name, _f in findings]))
    key = [f for i, (_name, f) in enumerate(findings) if i in leading]
    attachments = run_attachments(run, audits)
    sections = [audit_section(run, name, [f for i, (n, f) in enumerate(findings)
                                          if n == name and i not in leading],
                              attachments[name], fmt) for name in audits]

    user_card = run.manifest.get("model_card") or {}
    ethics = text_list(user_card.get("ethical_considerations"))
    if card.simulated_attributes:
        ethics.append(_("The sensitive attributes of this dataset are simulated: the disparities "
                        "show how the audit works, not how real people are treated."))
    n_alerts = sum(1 for _name, f in findings if f.severity == "alert")
    if n_alerts:
        ethics.append(fmt.finding(Finding(
            "The audits raised {count} alerts: they are marked in the quantitative analyses and "
            "deserve a decision before any deployment.", {"count": n_alerts})))
    not_run = not_run_audits(run, fmt)
    caveats = text_list(user_card.get("caveats")) or [card.todo]
    if not_run:
        caveats.append(_("Some audits were not run (listed under quantitative analyses): the "
                         "absence of a finding there is not evidence of its absence."))
    return ReportView(
        run=run, fmt=fmt, card=card, headlines=headline_fields(run, fmt), key_findings=key,
        questions=discussion_questions(run, fmt), course_tables=course_tables(run, fmt),
        figures=_figures(run, fmt), robustness=robustness_table(run, fmt), audits=sections,
        not_run=not_run, ethics=ethics or [card.todo], caveats=caveats)
