"""The one message catalog of the reports and the dashboard (English and French).

English strings are the message ids; ``locales/fr/LC_MESSAGES/nnaudit.po`` translates them. The
catalog is read with Babel at run time, so a fresh editable install needs no compile step.
Finding templates (`nnaudit.results.Finding.template`) are message ids too: a test checks that every
template written in ``audit/`` has a French translation. Numbers and sentences with numbers are
formatted by `nnaudit.reports.formatting`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Callable

from babel.messages.pofile import read_po

from nnaudit.config import LANGUAGES
from nnaudit.errors import UserInputError
from nnaudit.messages import N_  # noqa: F401  (re-exported for the renderers)

DOMAIN = "nnaudit"
LOCALE_DIR = Path(__file__).resolve().parent / "locales"

Gettext = Callable[[str], str]


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise UserInputError(
            f"Language {lang!r} is not available; choose one of {', '.join(LANGUAGES)}.")
    return lang


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def _messages(lang: str) -> dict[str, str]:
    """msgid -> translation for ``lang``; empty for English (the ids are English)."""
    path = catalog_path(lang)
    if lang == "en" or not path.exists():
        return {}
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    return {m.id: m.string for m in catalog
            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def translator(lang: str) -> Gettext:
    """A ``gettext(msgid) -> str`` for ``lang``; untranslated ids come back unchanged."""
    messages = _messages(check_language(lang))

    def gettext(msgid: str) -> str:
        return messages.get(msgid, msgid)

    return gettext


def has_translation(msgid: str, lang: str) -> bool:
    return msgid in _messages(check_language(lang))


def translate_reason(reason: str, lang: str) -> str:
    """Why an audit did not run, in ``lang``.

    The manifest records the English sentence (`nnaudit.audits.AuditSpec.missing`: the audit's
    ``what`` and a `nnaudit.audits.WHY_MISSING` phrase), so runs written before this function
    read the same: a sentence built from those parts is translated part by part, any other is
    looked up whole, and one the catalog does not know (a model's own error message) is shown
    as it was written.
    """
    from nnaudit.audits import AUDITS, WHY_MISSING

    _ = translator(lang)
    for spec in AUDITS:
        for why in WHY_MISSING.values():
            if reason == f"{spec.what} {why}":
                return f"{_(spec.what)} {_(why)}"
    return _(reason)
