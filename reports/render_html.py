"""HTML rendering: one self-contained file (CSS inline, figures and full tables as data URIs, no
script).

The PDF is rendered from the same templates with ``for_pdf=True`` (A4 page rules, intervals
under the values instead of on hover, the appendix summarizing the tables it attaches); see
`nnaudit.reports.render_pdf`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from nnaudit.reports.comparison import Comparison
from nnaudit.reports.course_table import CourseTable
from nnaudit.reports.handout import handout
from nnaudit.reports.i18n import translator
from nnaudit.reports.view import ReportView

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


@lru_cache(maxsize=None)
def environment() -> Environment:
    # autoescape everywhere: group names and config text come from users' files
    env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["css_string"] = css_string
    return env


def css_string(text: str) -> Markup:
    """``text`` as a quoted CSS string: every character that is not plainly safe is a CSS escape,
    so it can neither close the string nor the ``<style>`` element."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in " -_.:/") else f"\\{ord(c):x} "
                   for c in str(text))
    return Markup(f'"{safe}"')


def _render(template: str, lang: str, for_pdf: bool, footer: str, **context) -> str:
    return environment().get_template(template).render(
        _=translator(lang), lang=lang, for_pdf=for_pdf, footer=footer, **context)


def report_html(view: ReportView, *, for_pdf: bool = False) -> str:
    """The report of one run as an HTML document."""
    footer = f"{view.card.title} · {view.run.name}"
    return _render("report.html.j2", view.lang, for_pdf, footer, view=view)


def handout_html(view: ReportView) -> str:
    """The two-page handout of one run (PDF only)."""
    footer = f"{view.card.subtitle} · {view.run.name}"
    return _render("handout.html.j2", view.lang, True, footer, view=view,
                   handout=handout(view))


def comparison_html(comparison: Comparison, *, for_pdf: bool = False) -> str:
    """Two runs side by side as an HTML document."""
    footer = f"{comparison.first.run.name} ↔ {comparison.second.run.name}"
    return _render("comparison.html.j2", comparison.lang, for_pdf, footer, cmp=comparison)


def course_table_html(table: CourseTable, lang: str) -> str:
    """One course table as an HTML fragment with its own styles (the dashboard shows it)."""
    return _render("course_table.html.j2", lang, False, "", table=table)
