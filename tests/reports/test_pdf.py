"""PDF reports (WeasyPrint): text of key numbers, title page, table of contents, page numbers,
tables that stay inside the page. One PDF per scenario (WeasyPrint is slow on 2 cores)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from nnaudit.store import Run
from nnaudit.reports import render_report
from nnaudit.reports.i18n import format_finding, format_number
from nnaudit.reports.model_card import build_model_card
from nnaudit.reports.render_html import model_card_html
from nnaudit.reports.render_pdf import layout

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="pdftotext (poppler-utils) is not installed")


def pdf_pages(path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return text.split("\f")[:-1]


def flat(text: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", text)


@pytest.fixture(scope="module")
def full_pdf(full_run, tmp_path_factory):
    [path] = render_report(full_run, out_dir=tmp_path_factory.mktemp("pdf"), formats="pdf")
    assert path.name == "report.pdf" and path.read_bytes().startswith(b"%PDF")
    return pdf_pages(path)


def _worst_cell(run, lang):
    """The worst group's error rate cell of by_group, as the report prints it."""
    run = Run.open(run)
    by_group = run.table("fairness", "by_group")
    row = by_group[by_group["subgroup"] == run.audits["fairness"]["summary"]["worst_group"]].iloc[0]
    return "{} [{}, {}]".format(*(format_number(row[c], lang) for c in
                                  ("error_rate", "error_rate_low", "error_rate_high")))


def test_title_page_contents_and_page_numbers(full_pdf):
    n = len(full_pdf)
    assert n >= 6
    assert "Model card" in full_pdf[0] and "lenet5 · shades-mnist" in full_pdf[0]
    assert f"1 / {n}" not in full_pdf[0]                 # no footer on the title page
    contents = full_pdf[1]
    assert "Contents" in contents
    # each entry of the table of contents ends with the page where its heading really is
    for heading in ("Model details", "Quantitative analyses", "Questions for discussion"):
        page = int(re.search(rf"{heading}[ .]*?(\d+)\s*$", contents, re.M).group(1))
        assert heading in full_pdf[page - 1], heading
    for i, page in enumerate(full_pdf[1:], start=2):
        assert f"{i} / {n}" in page


def test_key_numbers_and_escaped_group_name(full_run, full_pdf):
    text = flat(" ".join(full_pdf))
    assert "85%" in text
    assert _worst_cell(full_run, "en") in text
    assert "<script>alert(1)</script>" in text           # shown as text, never run
    finding = format_finding(Run.open(full_run).findings("saliency")[0], "en")
    assert flat(finding)[:40] in text


def test_long_tables_repeat_their_header_on_each_page(full_pdf):
    # the per-step gradient norms table spans pages: its header row is printed on each
    pages = [p for p in full_pdf if re.search(r"^\s*\d+\s+features\.0\.weight", p, re.M)]
    assert len(pages) >= 2
    assert all(re.search(r"step\s+layer\s+depth\s+norm", p) for p in pages)


def test_blackbox_pdf(blackbox_run, tmp_path):
    [path] = render_report(blackbox_run, out_dir=tmp_path, formats=["pdf"], lang="fr")
    assert path.name == "report.pdf"
    text = flat(" ".join(pdf_pages(path)))
    assert "Fiche de modèle" in text and "Sommaire" in text
    assert _worst_cell(blackbox_run, "fr") in text


def test_comparison_pdf(full_run, balanced_run, tmp_path):
    [path] = render_report(full_run, out_dir=tmp_path, formats="pdf", compare=balanced_run)
    text = flat(" ".join(pdf_pages(path)))
    assert "Comparison of two runs" in text
    first, second = (Run.open(r).audits["fairness"]["summary"]["worst_group_error"]
                     for r in (full_run, balanced_run))
    assert format_number(first, "en", "percent") in text
    assert format_number(second, "en", "percent") in text
    assert f"−{format_number(abs(second - first) * 100, 'en')} pp" in text


def _boxes(box):
    yield box
    for child in getattr(box, "children", None) or []:
        yield from _boxes(child)


@pytest.mark.slow
def test_nothing_overflows_the_page_width(full_run):
    """Lay the full report out again and check every box ends inside the right margin."""
    document = layout(model_card_html(build_model_card(Run.open(full_run), "en"), for_pdf=True))
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        right_margin_edge = page.width - page_box.margin_right
        content = [b for child in page_box.children if type(child).__name__ != "MarginBox"
                   for b in _boxes(child) if hasattr(b, "margin_width")]
        widest = max(b.position_x + b.margin_width() for b in content)
        assert widest <= right_margin_edge + 0.5, f"page {number} overflows"


@pytest.mark.slow
def test_a_real_pipeline_run_renders_in_both_formats(tiny_run, tmp_path):
    """The lead's `tiny_run` (tests/conftest.py): every audit written by the real pipeline."""
    run = Run.open(tiny_run)
    html_path, pdf_path = render_report(tiny_run, out_dir=tmp_path, formats=("html", "pdf"),
                                        lang="fr")
    html = html_path.read_text(encoding="utf-8")
    text = flat(" ".join(pdf_pages(pdf_path)))
    accuracy = run.manifest["metrics"]["test_accuracy"]
    assert format_number(accuracy, "fr", "percent") in html
    for name in run.audits:
        if run.audit_ran(name):
            assert f'id="audit-{name}"' in html
            for finding in run.findings(name)[:2]:
                # the PDF wraps lines: compare the first words of each finding
                assert flat(format_finding(finding, "fr"))[:40] in text
