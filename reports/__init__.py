"""Reports: a run directory rendered as a model card (Mitchell et al. 2019) in HTML and PDF.

``render_report(run_path, formats=("html", "pdf"), lang="fr")`` reads the run only through
`nnaudit.store.Run`, never recomputes an audit, and writes each file atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from nnaudit.errors import UserInputError
from nnaudit.store import atomic_write, require_complete
from nnaudit.reports.comparison import build_comparison
from nnaudit.reports.i18n import LANGUAGES, check_language, format_finding, format_number, translator
from nnaudit.reports.model_card import build_model_card

FORMATS = ("html", "pdf")

__all__ = ["render_report", "translator", "format_finding", "format_number", "LANGUAGES",
           "FORMATS", "report_name"]


def report_name(fmt: str, compare_name: str | None = None) -> str:
    """``report.html`` / ``report.pdf`` in any language (the names the CLI summary and the
    dashboard look for); ``compare-<other run>.html`` for a comparison."""
    return f"compare-{compare_name}.{fmt}" if compare_name else f"report.{fmt}"


def _check_formats(formats: Iterable[str] | str) -> list[str]:
    if isinstance(formats, str):
        formats = formats.split(",")
    chosen = [f.strip().lower() for f in formats if f.strip()]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise UserInputError(
            f"Report format {', '.join(unknown) or '(none)'!s} is not available; "
            f"choose from {', '.join(FORMATS)}.")
    return list(dict.fromkeys(chosen))


def render_report(run_path: Path | str, out_dir: Path | str | None = None,
                  formats: Iterable[str] | str = ("html",), lang: str = "en",
                  compare: Path | str | None = None) -> list[Path]:
    """Render the report of a complete run; return the files written.

    Parameters
    ----------
    run_path : a complete run directory (`nnaudit.errors.UserInputError` otherwise).
    out_dir : where to write; the run directory by default (the comparison goes in the first run).
    formats : "html" and/or "pdf" (a list or a comma-separated string).
    lang : "en" or "fr".
    compare : a second complete run: write a side-by-side comparison instead of a model card.
    """
    from nnaudit.reports.render_html import comparison_html, model_card_html
    from nnaudit.reports.render_pdf import html_to_pdf

    formats = _check_formats(formats)
    lang = check_language(lang)
    run = require_complete(run_path)
    card = build_model_card(run, lang)
    comparison, compare_name = None, None
    if compare is not None:
        other = require_complete(compare)
        comparison = build_comparison(card, build_model_card(other, lang), lang)
        compare_name = other.name

    def render(for_pdf: bool) -> str:
        if comparison is not None:
            return comparison_html(comparison, for_pdf=for_pdf)
        return model_card_html(card, for_pdf=for_pdf)

    out = Path(out_dir) if out_dir is not None else run.path
    # render everything in memory first: a failure leaves no file, not even a half one
    documents = {fmt: render(False).encode("utf-8") if fmt == "html" else html_to_pdf(render(True))
                 for fmt in formats}
    written = []
    for fmt, data in documents.items():
        path = out / report_name(fmt, compare_name)
        written.append(atomic_write(path, lambda p, data=data: p.write_bytes(data)))
    return written
