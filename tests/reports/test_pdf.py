"""PDF reports (WeasyPrint): a main body a class reads in ten minutes (at most 12 A4 pages, in
English and in French), the course's tables in the text, nothing printed as JSON or "undefined",
French headings, every table attached, the two-page handout, the comparison. One PDF per
scenario (WeasyPrint is slow on 2 cores)."""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape

import pytest

from nnaudit.store import Run
from nnaudit.reports import render_report
from nnaudit.reports.formatting import format_finding, format_number
from nnaudit.reports.render_html import handout_html, report_html
from nnaudit.reports.render_pdf import layout
from nnaudit.reports.view import build_report_view

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="pdftotext (poppler-utils) is not installed")

MAX_PAGES = 12
# The headings of every section and table of the report, in French.
FRENCH_HEADINGS = (
    "Fiche de modèle", "Sommaire", "Constats principaux", "Questions pour la discussion",
    "Les tableaux et figures du cours", "Taux d'erreur par groupe (présentation de Gender Shades)",
    "Apprendre des étiquettes aléatoires (présentation de Zhang et al.)",
    "Énergie et CO2e face aux modèles publiés (présentation de Strubell et al.)",
    "Exactitude sous attaque, par groupe (%)", "Détails du modèle", "Usage prévu", "Facteurs",
    "Données d'entraînement et d'évaluation", "Considérations éthiques",
    "Mises en garde et recommandations", "Analyses quantitatives",
    "Annexe : protocoles et tableaux complets", "Protocoles des audits", "Tableaux complets",
    "Lectures")


def pdf_pages(path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return text.split("\f")[:-1]


def flat(text: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", text)


def pdf_attachments(path) -> list[str]:
    listing = subprocess.run(["pdfdetach", "-list", str(path)], check=True, capture_output=True,
                             text=True).stdout
    return re.findall(r"^\d+: (.+)$", listing, re.M)


@pytest.fixture(scope="module")
def full_pdf(full_run, tmp_path_factory):
    [path] = render_report(full_run, out_dir=tmp_path_factory.mktemp("pdf"), formats="pdf")
    assert path.name == "report.pdf" and path.read_bytes().startswith(b"%PDF")
    return path


@pytest.fixture(scope="module")
def french_pdf(full_run, tmp_path_factory):
    [path] = render_report(full_run, out_dir=tmp_path_factory.mktemp("pdf-fr"), formats="pdf",
                           lang="fr")
    return path


def check_main_body(path, lang: str) -> str:
    """The checks of the issue on one report PDF; returns its flattened text."""
    pages = pdf_pages(path)
    assert len(pages) <= MAX_PAGES, f"{len(pages)} pages"
    text = flat(" ".join(pages))
    assert "undefined" not in text and "non défini" not in text
    assert '{"' not in text and "{'" not in text
    rows = ("PPV (%)", "Error rate (%)", "TPR (%)", "FPR (%)") if lang == "en" else \
        ("VPP (%)", "Taux d'erreur (%)", "TVP (%)", "TFP (%)")
    assert all(row in text for row in rows), rows
    return text


def gender_shades_columns(run) -> list[str]:
    by_group = Run.open(run).table("fairness", "by_group")
    return [str(g) for g in by_group["subgroup"]]


def test_the_report_is_at_most_twelve_pages_with_the_course_tables(full_run, full_pdf):
    text = check_main_body(full_pdf, "en")
    columns = gender_shades_columns(full_run)
    assert "All" in text and all(flat(c) in text for c in columns[:5])
    for title in ("Error rates by group (Gender Shades layout)",
                  "Fitting random labels (Zhang et al. layout)",
                  "Energy and CO2e against published models (Strubell et al. layout)"):
        assert title in text
    assert "656,347" in text and "626,155" in text       # Strubell et al. Table 3, NAS


def test_the_french_report_has_french_headings_for_every_section_and_table(french_pdf):
    text = check_main_body(french_pdf, "fr")
    missing = [h for h in FRENCH_HEADINGS if h not in text]
    assert not missing, missing
    for english in ("Key findings", "Questions for discussion", "Model details",
                    "Error rates by group", "Appendix"):
        assert english not in text


def test_title_contents_and_page_numbers(full_pdf):
    pages = pdf_pages(full_pdf)
    n = len(pages)
    assert "Model card" in pages[0] and "lenet5 · shades-mnist" in pages[0]
    assert not re.search(rf"\b1 ?/ ?{n}\b", pages[0])     # no footer on the first page
    # each entry of the table of contents ends with the page where its heading really is
    for heading in ("Key findings", "Model card", "Quantitative analyses"):
        page = int(re.search(rf"{heading}[ .]*?(\d+)\s*$", pages[0], re.M).group(1))
        assert heading in pages[page - 1], heading
    for i, page in enumerate(pages[1:], start=2):
        assert re.search(rf"\b{i} ?/ ?{n}\b", page)


def test_key_numbers_and_escaped_group_name(full_run, full_pdf):
    text = flat(" ".join(pdf_pages(full_pdf)))
    run = Run.open(full_run)
    assert "85%" in text
    by_group = run.table("fairness", "by_group")
    worst = by_group[by_group["subgroup"] == run.audits["fairness"]["summary"]["worst_group"]]
    low, high = (format_number(worst[c].iloc[0], "en", "points")
                 for c in ("error_rate_low", "error_rate_high"))
    assert f"[{low}, {high}]" in text                    # the interval under the value
    assert "<script>alert(1)</script>" in text           # shown as text, never run
    finding = format_finding(run.findings("saliency")[0], "en")
    assert flat(finding)[:40] in text


def test_every_table_is_attached_to_the_pdf(full_run, full_pdf):
    run = Run.open(full_run)
    expected = {f"{audit}-{name}.csv" for audit in run.audits if run.audit_ran(audit)
                for name in run.tables(audit)}
    assert set(pdf_attachments(full_pdf)) == expected


def test_the_handout_is_two_pages_with_the_tables_findings_and_five_questions(full_run,
                                                                              tmp_path):
    run = Run.open(full_run)
    for lang, title in (("en", "Handout"), ("fr", "Fiche de cours")):
        [path] = render_report(full_run, out_dir=tmp_path / lang, formats="handout", lang=lang)
        assert path.name == "handout.pdf"
        pages = pdf_pages(path)
        assert len(pages) <= 2
        text = flat(" ".join(pages))
        assert title in text
        view = build_report_view(run, lang)
        for table in view.course_tables:
            assert table.title in text
        assert flat(view.key_findings[0].text)[:40] in text
        questions = handout_html(view).split('<ol class="questions">')[1].split("</ol>")[0]
        assert questions.count("<li>") == 5
        assert flat(unescape(re.sub("<[^>]+>", " ", questions)))[:60] in text


def test_blackbox_pdf(blackbox_run, tmp_path):
    [path] = render_report(blackbox_run, out_dir=tmp_path, formats=["pdf"], lang="fr")
    assert path.name == "report.pdf"
    text = flat(" ".join(pdf_pages(path)))
    assert "Fiche de modèle" in text and "Sommaire" in text
    assert "Taux d'erreur par groupe" in text


def test_comparison_pdf(full_run, balanced_run, tmp_path):
    [path] = render_report(full_run, out_dir=tmp_path, formats="pdf", compare=balanced_run)
    text = flat(" ".join(pdf_pages(path)))
    assert "Comparison of two runs" in text
    assert text.count("Error rates by group (Gender Shades layout)") >= 2   # A and B
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
    document = layout(report_html(build_report_view(Run.open(full_run), "en"), for_pdf=True))
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        right_margin_edge = page.width - page_box.margin_right
        content = [b for child in page_box.children if type(child).__name__ != "MarginBox"
                   for b in _boxes(child) if hasattr(b, "margin_width")]
        widest = max(b.position_x + b.margin_width() for b in content)
        assert widest <= right_margin_edge + 0.5, f"page {number} overflows"


@pytest.mark.slow
def test_a_real_pipeline_run_is_at_most_twelve_pages_in_both_languages(tiny_run, tmp_path):
    """The lead's `tiny_run` (tests/conftest.py): every default audit written by the real
    pipeline, so the page count holds for what `nnaudit run` writes, not only for test runs."""
    run = Run.open(tiny_run)
    for lang in ("en", "fr"):
        html_path, pdf_path = render_report(tiny_run, out_dir=tmp_path / lang,
                                            formats=("html", "pdf"), lang=lang)
        text = check_main_body(pdf_path, lang)
        html = unescape(html_path.read_text(encoding="utf-8"))
        accuracy = run.manifest["metrics"]["test_accuracy"]
        assert format_number(accuracy, lang, "percent") in html
        for name in run.audits:
            if run.audit_ran(name):
                assert f'id="audit-{name}"' in html
                for finding in run.findings(name)[:2]:
                    # the PDF wraps lines: compare the first words of each finding
                    assert flat(format_finding(finding, lang))[:40] in text
        if lang == "fr":
            assert all(h in text for h in FRENCH_HEADINGS[:5])


MIN_PRINTED_PT = 7.0


@pytest.mark.slow
def test_no_text_is_printed_below_seven_points(full_run):
    """Every box that holds text is laid out at 7 pt or more (CSS px are 1/96 in, pt 1/72 in)."""
    document = layout(report_html(build_report_view(Run.open(full_run), "en"), for_pdf=True))
    smallest = {}
    for number, page in enumerate(document.pages, start=1):
        for box in _boxes(page._page_box):
            text = getattr(box, "text", None)
            if text and text.strip():
                points = box.style["font_size"] * 72 / 96
                if points < smallest.get(number, (99, ""))[0]:
                    smallest[number] = (points, text[:40])
    assert smallest and all(points >= MIN_PRINTED_PT - 1e-6 for points, _ in smallest.values()), \
        smallest
