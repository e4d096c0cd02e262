"""The dashboard's words come from the reports' message catalog (`nnaudit.reports.i18n`) and its
numbers from the reports' formatting rules (`nnaudit.reports.formatting`), so a finding reads the
same on screen and on paper. Strings from the data (group, column, class and
run names, error messages) go through `literal` wherever Streamlit reads Markdown."""

from __future__ import annotations

import re
from typing import Any

from nnaudit.reports.formatting import format_finding, format_number
from nnaudit.reports.i18n import LANGUAGES, translator

LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


def literal(text: Any) -> str:
    """``text`` as Markdown that Streamlit shows character for character: an inline code span.

    Backslash escapes are not enough: Streamlit's GFM autolinker also runs on the parsed text,
    so a group named ``https://evil.example`` would still become a link; it leaves code spans
    alone, as do emoji shortcodes, colour directives and formulas. The fence is one backtick
    longer than any run of backticks in ``text``; line breaks become spaces (a blank line would
    end the span).
    """
    text = re.sub(r"[\r\n]+", " ", str(text))
    if not text:
        return ""
    fence = "`" * (max(map(len, re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}"


__all__ = ["LANGUAGES", "LANGUAGE_NAMES", "format_finding", "format_number", "literal",
           "translator"]
