"""The two-page handout of a run for a class: the course's three tables, the key findings and
five questions, taken from the report's view (`nnaudit.reports.view`) so they read the same."""

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


def handout(view: ReportView) -> Handout:
    return Handout(findings=view.key_findings[:HANDOUT_FINDINGS], tables=view.course_tables,
                   questions=view.questions[:HANDOUT_QUESTIONS])
