"""HTML reports: content from the run, escaping, self-containment, French, errors, atomicity."""

from __future__ import annotations

import re
from html import unescape

import pytest

import nnaudit.reports.render_pdf
from nnaudit.errors import UserInputError
from nnaudit.store import Run
from nnaudit.reports import render_report
from nnaudit.reports.i18n import format_finding, format_number

SCRIPT = "<script>alert(1)</script>"  # a subgroup name in the conftest runs


@pytest.fixture(scope="module")
def full_html(full_run, tmp_path_factory):
    [path] = render_report(full_run, out_dir=tmp_path_factory.mktemp("html"))
    assert path.name == "report.html"
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def french_html(full_run, tmp_path_factory):
    [path] = render_report(full_run, out_dir=tmp_path_factory.mktemp("fr"), lang="fr")
    assert path.name == "report.html"
    return path.read_text(encoding="utf-8")


def text_of(html: str) -> str:
    """Visible text: tags removed, entities decoded, spaces collapsed (no-break spaces kept)."""
    return re.sub(r"[ \t\r\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_key_numbers_of_every_audit_are_shown(full_html):
    text = text_of(full_html)
    assert "Test accuracy 85.3%" in text
    assert "Epochs trained 3 Training time (s) 30" in text   # from history.parquet
    assert "0.21 [0.18, 0.25]" in text                   # value [95 % interval] from by_group
    assert "Worst group error 21%" in text               # summary fraction as a percentage
    assert "Mia auc 0.61" in text
    assert "GuidedBackprop fails the randomization sanity check." in text
    assert "Training used 0.012 kWh." in text           # two significant digits, not 0.01
    assert "3,000" in text                               # grouped integers


def test_findings_come_before_tables_and_figures_in_each_audit(full_html):
    section = full_html[full_html.index('id="audit-fairness"'):
                        full_html.index('id="audit-generalization"')]
    assert section.index("is 4.2 times that of male") < section.index("<table")
    assert section.index("<table") < section.index("<img")


def test_a_subgroup_named_script_is_shown_as_text(full_html):
    assert SCRIPT not in full_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in full_html
    assert "<script" not in full_html.lower()


def test_small_groups_are_flagged_and_nan_is_undefined(full_html):
    flagged = re.findall(r'<tr class="flagged">(.*?)</tr>', full_html, re.S)
    assert len(flagged) == 1 and "&lt;script&gt;" in flagged[0]
    assert "undefined" in flagged[0]
    assert "small group" in full_html


def test_the_file_is_self_contained_and_readable_on_a_phone(full_html):
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in full_html
    assert "<link" not in full_html and "@import" not in full_html
    sources = re.findall(r'(?:src|href)="([^"#][^"]*)"', full_html)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert len(re.findall(r"<img ", full_html)) == 3     # fairness, generalization, saliency
    assert "overflow-x: auto" in full_html               # wide tables scroll sideways


def test_model_card_sections_and_unknown_fields(full_html):
    text = text_of(full_html)
    for heading in ("Model details", "Intended use", "Factors", "Metrics",
                    "Training and evaluation data", "Quantitative analyses",
                    "Ethical considerations", "Caveats and recommendations",
                    "Questions for discussion", "Reading list"):
        assert f">{heading}</h2>" in full_html or f">{heading}</h4>" in full_html, heading
    assert "Teaching fairness auditing in a course." in text
    assert "Owners to be completed" in text              # never invented
    assert "recorded as male/female in the 1994 census" in text
    assert "Buolamwini" in text and "Strubell" in text


def test_questions_are_derived_from_the_numbers(full_html):
    text = text_of(full_html)
    # train counts 1,000 female / 9,000 male in the dataset card
    assert "female makes up 10% of the examples against 90% for male, 9 times fewer" in text
    assert "The error rate for female is 21% against 5% for the best-served group" in text
    assert "Teaching fairness auditing in a course." in text
    assert "AUC of 0.61" in text
    assert "The maps of GuidedBackprop barely change" in text
    assert "an estimated 0.017 kWh (not measured)" in text


def test_french_report_translates_headings_and_formats_numbers(french_html):
    text = text_of(french_html)
    assert '<html lang="fr">' in french_html
    assert ">Questions pour la discussion</h2>" in french_html
    assert "Exactitude en test 85,3\xa0%" in text
    assert "0,21 [0,18, 0,25]" in text
    assert "non défini" in text
    assert "à compléter" in text
    assert "Questions for discussion" not in text


def test_blackbox_run_lists_the_weight_audits_as_not_run(blackbox_run, tmp_path):
    [path] = render_report(blackbox_run, out_dir=tmp_path)
    text = text_of(path.read_text(encoding="utf-8"))
    assert "black-box predictions" in text
    assert "Intended use to be completed" in text
    assert "Generalization and memorization needs the model's weights" in text
    assert "0.21 [0.18, 0.25]" in text


def test_run_with_missing_audits_renders_and_says_which(missing_audits_run, tmp_path):
    [path] = render_report(missing_audits_run, out_dir=tmp_path)
    html = path.read_text(encoding="utf-8")
    not_run = text_of(html[html.index('id="not-run"'):html.index('id="ethics"')])
    assert "Saliency maps and their sanity checks captum is not installed" in not_run
    assert "Fairness across subgroups not requested in this run" in not_run
    assert "Energy and emissions" not in not_run         # it ran
    assert 'id="audit-energy"' in html


def test_comparison_shows_both_runs_and_the_differences(full_run, balanced_run, tmp_path):
    [path] = render_report(full_run, out_dir=tmp_path, compare=balanced_run)
    assert path.name.startswith("compare-") and path.name.endswith("-balanced.html")
    html = path.read_text(encoding="utf-8")
    rows = {text_of(r).strip() for r in re.findall(r"<tr>(.*?)</tr>", html, re.S)}
    # test accuracy 85.3 % -> 86.1 %; worst group error 21 % [18, 25] -> 9 % [6, 13]
    assert "Model Test accuracy 85.3% 86.1% +0.8 pp" in rows        # percentage points
    assert "Fairness across subgroups Worst group error 21% [18%, 25%] 9% [6%, 13%] −12 pp" in rows
    assert "Fairness across subgroups Error ratio 4.2 1.5 −2.7" in rows
    assert "Generalization and memorization Mia auc 0.61 — —" in rows


def test_options_are_validated(full_run, tmp_path):
    with pytest.raises(UserInputError, match="docx"):
        render_report(full_run, out_dir=tmp_path, formats="html,docx")
    with pytest.raises(UserInputError, match="'de'"):
        render_report(full_run, out_dir=tmp_path, lang="de")
    assert list(tmp_path.iterdir()) == []


def test_incomplete_or_missing_run_is_a_user_error(incomplete_run, tmp_path):
    with pytest.raises(UserInputError, match="not a complete run.*interrupted"):
        render_report(incomplete_run)
    with pytest.raises(UserInputError, match="not a directory"):
        render_report(tmp_path / "nowhere")
    assert not any(p.name.startswith(("report", ".report")) for p in incomplete_run.iterdir())


def test_a_failure_leaves_no_report_file(full_run, tmp_path, monkeypatch):
    def broken(html):
        raise RuntimeError("WeasyPrint crashed")

    monkeypatch.setattr(nnaudit.reports.render_pdf, "html_to_pdf", broken)
    with pytest.raises(RuntimeError, match="crashed"):
        render_report(full_run, out_dir=tmp_path, formats=("html", "pdf"))
    assert list(tmp_path.iterdir()) == []


def test_a_real_fairness_result_renders_with_its_intervals(real_fairness_run, tmp_path):
    run = Run.open(real_fairness_run)
    summary = run.audits["fairness"]["summary"]
    by_group = run.table("fairness", "by_group")
    women = by_group[by_group["group"] == "female"].iloc[0]
    assert summary["worst_group"] == "female"          # the injected disparity was found
    [path] = render_report(real_fairness_run, out_dir=tmp_path, lang="fr")
    text = text_of(path.read_text(encoding="utf-8"))
    cell = "{} [{}, {}]".format(*(format_number(women[c], "fr")
                                  for c in ("error_rate", "error_rate_low", "error_rate_high")))
    assert cell in text
    for finding in run.findings("fairness"):
        assert format_finding(finding, "fr") in text
    assert "nécessite les poids du modèle" in text      # black-box: no saliency, no memorization
