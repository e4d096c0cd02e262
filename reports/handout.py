"""The two-page handout of a run for a class: the course's three tables, the key findings,
the worst slice nobody named (when the slice audit ran) and five questions, taken from the
report's view (`nnaudit.reports.view`) so they read the same."""

from __future__ import annotations

from dataclasses import dataclass

from nnaudit.reports.course_table import CourseTable
from nnaudit.reports.view import ReportView, ShownFinding

HANDOUT_FINDINGS = 4
HANDOUT_QUESTIONS = 5


@dataclass
class Handout:
    findings: list[ShownFinding]
    tables: list[CourseTable]
    questions: list[str]
    worst_unnamed: str | None = None


def handout(view: ReportView) -> Handout:
    return Handout(findings=view.key_findings[:HANDOUT_FINDINGS], tables=view.course_tables,
                   questions=view.questions[:HANDOUT_QUESTIONS],
                   worst_unnamed=worst_unnamed_slice(view))


def worst_unnamed_slice(view: ReportView) -> str | None:
    """The best-ranked significant slice that involves no declared sensitive attribute, as its
    finding reads: the slice audit's alerts are exactly those, in rank order."""
    if not view.run.audit_ran("slices"):
        return None
    return next((view.fmt.finding(f) for f in view.run.findings("slices")
                 if f.severity == "alert"), None)
