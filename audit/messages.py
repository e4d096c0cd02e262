"""Message ids: English strings that the reports' catalog (reports/locales) translates.

`N_` marks such a string where it is defined, in the engine as in the renderers; it is
translated where it is shown (`nnaudit.reports.i18n.translator`). The tests check that every
marked string has a French translation.
"""


def N_(msgid: str) -> str:
    """Mark ``msgid`` for the catalog; returns it unchanged."""
    return msgid
