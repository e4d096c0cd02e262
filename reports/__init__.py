"""Reports: a run directory rendered for a class or a review board, in HTML and PDF.

``render_report(run_path, formats=("html", "pdf", "handout"), lang="fr")`` reads the run only
through `nnaudit.store.Run`, builds its view once (`nnaudit.reports.view`), never recomputes an
audit, and writes each file atomically: ``report.html``, ``report.pdf``, ``handout.pdf`` (two A4
pages for a class), or ``compare-<other run>.html|pdf`` for two runs side by side.

May import: nnaudit.store, nnaudit.results, nnaudit.headline, nnaudit.config, nnaudit.audits
(the registry: skip reasons), nnaudit.messages, nnaudit.errors, nnaudit.atomic (it reads run
directories); never the pipeline, an audit or the CLI (tests/packaging checks it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from nnaudit.errors import UserInputError
from nnaudit.atomic import atomic_write
from nnaudit.store import require_complete
from nnaudit.reports.i18n import LANGUAGES, check_language

FORMATS = ("html", "pdf", "handout")

__all__ = ["render_report", "LANGUAGES", "FORMATS", "report_name"]


def report_name(fmt: str, compared: tuple[str, str] | None = None) -> str:
    """``report.html`` / ``report.pdf`` / ``handout.pdf`` in any language (the names the CLI
    summary and the dashboard look for); ``compare-<run>-vs-<other run>.html`` for a comparison
    (both names: comparisons written to one ``--out`` folder must not replace each other)."""
    if fmt == "handout":
        return "handout.pdf"
    return f"compare-{compared[0]}-vs-{compared[1]}.{fmt}" if compared else f"report.{fmt}"


def _check_formats(formats: Iterable[str] | str, comparing: bool) -> list[str]:
    if isinstance(formats, str):
        formats = formats.split(",")
    chosen = [f.strip().lower() for f in formats if f.strip()]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise UserInputError(
            f"Report format {', '.join(map(repr, unknown)) or '(none)'} is not available; "
            f"choose from {', '.join(FORMATS)}.")
    if comparing and "handout" in chosen:
        raise UserInputError("The handout is written for one run: leave out --compare, or "
                             "choose html or pdf.")
    return list(dict.fromkeys(chosen))


def render_report(run_path: Path | str, out_dir: Path | str | None = None,
                  formats: Iterable[str] | str = ("html",), lang: str = "en",
                  compare: Path | str | None = None) -> list[Path]:
    """Render the report of a complete run; return the files written.

    Parameters
    ----------
    run_path : a complete run directory (`nnaudit.errors.UserInputError` otherwise).
    out_dir : where to write; the run directory by default (the comparison goes in the first run).
    formats : "html", "pdf" and/or "handout" (a list or a comma-separated string).
    lang : "en" or "fr".
    compare : a second complete run: write a side-by-side comparison instead of the report.
    """
    from nnaudit.reports.comparison import base_first, build_comparison
    from nnaudit.reports.render_html import comparison_html, handout_html, report_html
    from nnaudit.reports.render_pdf import html_to_pdf
    from nnaudit.reports.view import build_report_view

    formats = _check_formats(formats, compare is not None)
    lang = check_language(lang)
    run = require_complete(run_path)
    other = require_complete(compare) if compare is not None else None
    if other is None:
        view, comparison = build_report_view(run, lang), None
    else:  # a mitigated run goes after its base run: B - A is what the remedy changed
        view, comparison = None, build_comparison(*(build_report_view(r, lang)
                                                    for r in base_first(run, other)))

    def render(fmt: str) -> bytes:
        if comparison is not None:
            html = comparison_html(comparison, for_pdf=fmt == "pdf")
            return html.encode("utf-8") if fmt == "html" else html_to_pdf(html)
        if fmt == "handout":
            return html_to_pdf(handout_html(view))
        if fmt == "pdf":
            return html_to_pdf(report_html(view, for_pdf=True), view.attachments)
        return report_html(view).encode("utf-8")

    out = Path(out_dir) if out_dir is not None else run.path
    # render everything in memory first: a failure leaves no file, not even a half one
    documents = {fmt: render(fmt) for fmt in formats}
    written = []
    for fmt, data in documents.items():
        path = out / report_name(fmt, (run.name, other.name) if other else None)
        written.append(atomic_write(path, lambda p, data=data: p.write_bytes(data)))
    return written
