"""The dashboard's words and numbers come from the reports' message catalog (`nnaudit.reports.i18n`), so
a finding reads the same on screen and on paper."""

from __future__ import annotations

from nnaudit.reports.i18n import LANGUAGES, format_finding, format_number, translator

LANGUAGE_NAMES = {"en": "English", "fr": "Français"}

__all__ = ["LANGUAGES", "LANGUAGE_NAMES", "format_finding", "format_number", "translator"]
