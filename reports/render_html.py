"""HTML rendering: one self-contained file (CSS inline, figures as data URIs, no script).

The PDF is rendered from the same templates with ``for_pdf=True`` (title page, table of contents
with page numbers, A4 page rules); see `nnaudit.reports.render_pdf`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from nnaudit.reports.comparison import Comparison
from nnaudit.reports.i18n import translator
from nnaudit.reports.model_card import ModelCard

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


def model_card_html(card: ModelCard, *, for_pdf: bool = False) -> str:
    """The model card of one run as an HTML document."""
    footer = f"{card.title} · {card.run.name}"
    return _render("model_card.html.j2", card.lang, for_pdf, footer, card=card)


def comparison_html(comparison: Comparison, *, for_pdf: bool = False) -> str:
    """Two runs side by side as an HTML document."""
    footer = f"{comparison.first.run.name} ↔ {comparison.second.run.name}"
    return _render("comparison.html.j2", comparison.lang, for_pdf, footer, cmp=comparison)
