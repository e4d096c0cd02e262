"""PDF rendering with WeasyPrint from the same HTML templates (A4, table of contents with page
numbers, numbered pages). WeasyPrint repeats a table's ``<thead>`` on every page a long table
spans; the stylesheet fixes table layout and wraps words so nothing overflows. Full tables
travel inside the PDF as file attachments (`nnaudit.reports.attachments`)."""

from __future__ import annotations

from weasyprint import HTML, Attachment as PdfAttachment
from weasyprint.urls import URLFetcher

from nnaudit.reports.attachments import Attachment


def layout(html: str):
    """Lay out an HTML document produced with ``for_pdf=True`` into pages (a WeasyPrint Document).

    Everything is inline (CSS, figures as data: URIs), so the fetcher refuses any other scheme:
    rendering never touches the network or the file system.
    """
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    return HTML(string=html, url_fetcher=fetcher).render()


def html_to_pdf(html: str, attachments: list[Attachment] = ()) -> bytes:
    files = [PdfAttachment(string=a.data, name=a.file_name,
                           url_fetcher=URLFetcher(allowed_protocols={"data"}))
             for a in attachments]
    return layout(html).write_pdf(attachments=files)
