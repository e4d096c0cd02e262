"""HTML reports: content from the run, findings first, escaping, self-containment with the full
tables attached, French, skip reasons, comparison, errors, atomicity."""

from __future__ import annotations

import base64
import io
import re
from html import unescape

import pandas as pd
import pytest

import nnaudit.reports.render_pdf
from nnaudit.errors import UserInputError
from nnaudit.store import Run
from nnaudit.reports import render_report
from nnaudit.reports.formatting import format_finding, format_number

from real_results import SCRIPT_GROUP as SCRIPT  # a subgroup name in the conftest runs


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


def _cell(row, column, lang="en"):
    """A generic table cell as the report writes it: value [low, high]."""
    return "{} [{}, {}]".format(*(format_number(row[c], lang)
                                  for c in (column, f"{column}_low", f"{column}_high")))


def _worst(run):
    summary = Run.open(run).audits["fairness"]["summary"]
    by_group = Run.open(run).table("fairness", "by_group")
    return summary, by_group[by_group["subgroup"] == summary["worst_group"]].iloc[0]


def test_key_numbers_of_every_audit_are_shown(full_run, full_html):
    text = text_of(full_html)
    run = Run.open(full_run)
    summary, worst = _worst(full_run)
    assert summary["worst_group"].startswith("female")   # the injected disparity was found
    assert "Test accuracy 85%" in text                    # the headline registry
    assert "Epochs trained 3 Training time (s) 30" in text   # from history.parquet
    assert _cell(worst, "error_rate") in text            # value [95 % interval] from by_group
    assert f"Worst group error {format_number(summary['worst_group_error'], 'en', 'percent')}" in text
    assert f"Mia auc {format_number(run.audits['membership']['summary']['mia_auc'], 'en')}" in text
    for audit in ("fairness", "memorization", "saliency", "robustness", "energy"):
        assert format_finding(run.findings(audit)[0], "en") in text, audit
    assert "1,500" in text                               # grouped integers (fairness rows)


def test_the_worst_cell_of_the_gender_shades_table_holds_its_interval_on_hover(full_run,
                                                                                full_html):
    _, worst = _worst(full_run)
    value = format_number(worst["error_rate"], "en", "points")
    interval = "[{}, {}]".format(*(format_number(worst[c], "en", "points")
                                   for c in ("error_rate_low", "error_rate_high")))
    table = full_html[full_html.index('id="course-fairness"'):]
    table = table[:table.index("</section>")]
    cell = re.search(r'<td class="num worst"[^>]*>' + re.escape(value) + "</td>", table)
    assert cell and f'title="95% interval {interval}"' in cell.group(0)


def test_findings_come_first_then_questions_then_tables(full_run, full_html):
    main = full_html[full_html.index("<main>"):]
    first = format_finding(Run.open(full_run).findings("fairness")[0], "en")
    findings = main.index(first.split(" (")[0])
    tables = [main.index(f'class="course-table {key}"')
              for key in ("gender_shades", "zhang", "strubell")]
    assert findings < main.index('id="questions"') < tables[0] < tables[1] < tables[2]


def test_key_findings_are_the_most_severe_from_several_audits(full_run, full_html):
    section = full_html[full_html.index('id="findings"'):full_html.index('id="questions"')]
    severities = re.findall(r'<li class="(alert|warning|info)">', section)
    assert 1 <= len(severities) <= 8
    order = {"alert": 0, "warning": 1, "info": 2}
    assert [order[s] for s in severities] == sorted(order[s] for s in severities)
    audits = re.findall(r'<span class="audit">([^<]+)</span>', section)
    assert max(audits.count(a) for a in set(audits)) <= 2 and len(set(audits)) >= 3


def test_a_subgroup_named_script_is_shown_as_text(full_html):
    assert SCRIPT not in full_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in full_html
    assert "<script" not in full_html.lower()


def test_small_groups_are_flagged_and_nothing_reads_undefined(full_html):
    fairness = full_html[full_html.index('id="audit-fairness"'):
                         full_html.index('id="audit-memorization"')]
    flagged = re.findall(r'<tr class="flagged">(.*?)</tr>', fairness, re.S)
    assert flagged and all("&lt;script&gt;" in row for row in flagged)
    # the Gender Shades column of the 15-row group is marked, its cells never best or worst
    assert re.search(r'<th scope="col" class="small">⚑ &lt;script&gt;', full_html)
    assert not re.search(r'<td class="num (best|worst) small', full_html)
    text = text_of(full_html)
    assert "undefined" not in text and '{"' not in text


def test_the_file_is_self_contained_with_every_table_attached(full_run, full_html):
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in full_html
    assert "<link" not in full_html and "@import" not in full_html
    sources = re.findall(r'(?:src|href)="([^"#][^"]*)"', full_html)
    assert sources and all(s.startswith(("data:image/png;base64,", "data:text/csv;base64,"))
                           for s in sources)
    run = Run.open(full_run)
    stored = sum(len(run.figures(audit)) for audit in run.audits)
    assert len(re.findall(r"<img ", full_html)) >= stored   # every figure, embedded
    links = {name: data for data, name in re.findall(
        r'<a href="data:text/csv;base64,([^"]+)" download="([^"]+)">', full_html)}
    for audit in run.audits:
        for name, df in run.tables(audit).items():
            attached = pd.read_csv(io.BytesIO(base64.b64decode(links[f"{audit}-{name}.csv"])))
            assert len(attached) == len(df) and list(attached.columns) == list(df.columns)
    assert "overflow-x: auto" in full_html               # wide tables scroll sideways


def test_model_card_sections_and_unknown_fields(full_html):
    text = text_of(full_html)
    html = unescape(full_html)
    for heading in ("Key findings", "Questions for discussion", "The course's tables and figures",
                    "Model card", "Quantitative analyses", "Appendix: protocols and full tables"):
        assert f">{heading}</h2>" in html, heading
    for heading in ("Model details", "Intended use", "Factors", "Training and evaluation data",
                    "Ethical considerations", "Caveats and recommendations", "Reading list"):
        assert f">{heading}</h3>" in html, heading
    assert "Teaching fairness auditing in a course." in text
    assert "Owners to be completed" in text              # never invented
    assert "rendering" in text                           # shades-mnist's attribute definitions
    assert "Buolamwini" in text and "Strubell" in text
    assert "Positive class: yes." in text                 # the binary table says which


def test_protocols_are_key_value_lists(full_run, full_html):
    appendix = text_of(full_html[full_html.index('id="appendix"'):])
    protocol = Run.open(full_run).audits["memorization"]["protocol"]
    assert f"Train config epochs: {protocol['train_config']['epochs']};" in appendix
    assert "{'" not in appendix and '{"' not in appendix


def test_questions_are_derived_from_the_numbers(full_run, full_html):
    text = text_of(full_html)
    summary, _ = _worst(full_run)
    # shades-mnist's training split holds 2.5 % dark, thick digits (the dataset card's counts)
    assert "tone=dark, stroke=thick makes up 2.5% of the examples" in text
    assert (f"The error rate for {summary['worst_group']} is "
            f"{format_number(summary['worst_group_error'], 'en', 'percent')}") in text
    membership = Run.open(full_run).audits["membership"]["summary"]
    assert f"AUC of {format_number(membership['mia_auc'], 'en')}" in text
    assert "(not measured)" in text                      # energy from a power model


def test_french_report_translates_headings_and_formats_numbers(full_run, french_html):
    text = text_of(french_html)
    _, worst = _worst(full_run)
    assert '<html lang="fr">' in french_html
    assert ">Questions pour la discussion</h2>" in french_html
    assert ">Taux d'erreur par groupe (présentation de Gender Shades)</caption>" in \
        unescape(french_html)
    assert "Exactitude en test 85\xa0%" in text
    assert _cell(worst, "error_rate", "fr") in text
    assert "à compléter" in text
    assert "(non mesurée)" in text                       # the energy question, translated
    assert "Questions for discussion" not in text


def test_blackbox_run_lists_the_model_audits_as_skipped(blackbox_run, tmp_path):
    [path] = render_report(blackbox_run, out_dir=tmp_path)
    text = text_of(path.read_text(encoding="utf-8"))
    _, worst = _worst(blackbox_run)
    assert "black-box predictions" in text
    assert "Intended use to be completed" in text
    assert "the random-label test needs the model itself" in text
    assert _cell(worst, "error_rate") in text


def test_skip_reasons_are_translated(blackbox_run, tmp_path):
    [path] = render_report(blackbox_run, out_dir=tmp_path, lang="fr")
    not_run = text_of(path.read_text(encoding="utf-8").split('id="not-run"')[1])
    assert ("le test des étiquettes aléatoires nécessite le modèle lui-même, qu'un fichier de "
            "prédictions ne contient pas") in not_run
    assert "needs the model" not in not_run


def test_run_with_missing_audits_renders_and_says_which(missing_audits_run, tmp_path):
    [path] = render_report(missing_audits_run, out_dir=tmp_path)
    html = path.read_text(encoding="utf-8")
    not_run = text_of(html[html.index('id="not-run"'):html.index('id="appendix"')])
    assert "Saliency maps and their sanity checks captum is not installed" in not_run
    assert "Fairness across subgroups not requested in this run" in not_run
    assert "Energy and emissions" not in not_run         # it ran
    assert 'id="audit-energy"' in html and 'class="course-table strubell"' in html
    assert "gender_shades" not in html                   # no fairness audit, no table


def test_comparison_shows_both_runs_tables_and_the_differences(full_run, balanced_run, tmp_path):
    [path] = render_report(full_run, out_dir=tmp_path, compare=balanced_run)
    assert path.name == f"compare-{full_run.name}-vs-{balanced_run.name}.html"
    [other] = render_report(balanced_run, out_dir=tmp_path, compare=full_run)
    assert other != path and path.exists()  # one --out folder keeps both comparisons
    html = path.read_text(encoding="utf-8")
    rows = {text_of(r).strip() for r in re.findall(r"<tr>(.*?)</tr>", html, re.S)}
    first, second = (_worst(run)[0]["worst_group_error"] for run in (full_run, balanced_run))
    assert "Model Test accuracy 85% 86.1% +1.1 pp" in rows        # percentage points
    change = format_number(abs(second - first) * 100, "en")
    assert any(r.startswith("Fairness across subgroups Worst group error") and
               r.endswith(f"−{change} pp") for r in rows)
    assert any(r.startswith("Membership inference Mia auc") and r.endswith("— —")
               for r in rows)                            # only the first run has it
    # the same table for both runs, each cut in two parts (12 columns)
    assert html.count('class="course-table gender_shades"') == 4
    assert "Run B has no such table." in html            # B has no memorization audit


def test_a_mitigated_run_is_compared_after_its_base_run(full_run, remedied_run, tmp_path):
    """Asked from the mitigated run, the comparison still puts the base run first, so B - A is
    what the remedy changed; the mitigation audit, which has no view of its own, is shown."""
    [path] = render_report(remedied_run, out_dir=tmp_path, compare=full_run)
    html = path.read_text(encoding="utf-8")
    text = text_of(html)
    assert "A: full" in text and "B: remedied" in text
    assert "B is run A after mitigation (threshold (equalized_odds))." in text
    rows = {text_of(r).strip() for r in re.findall(r"<tr>(.*?)</tr>", html, re.S)}
    assert "Kind trained by nnaudit remedied by nnaudit mitigate" in rows
    assert "Mitigates run — full" in rows
    accuracy = Run.open(remedied_run).table("mitigation", "methods")["accuracy_after"][0]
    assert (f"Model Test accuracy 85% {format_number(accuracy, 'en', 'percent')} "
            f"−{format_number((0.85 - accuracy) * 100, 'en')} pp") in rows
    gap = Run.open(remedied_run).audits["mitigation"]["summary"]
    assert (f"Mitigation Gap change — {format_number(gap['gap_change_pct'], 'en', 'percent')}"
            f" [{format_number(gap['gap_change_low_pct'], 'en', 'percent')}, "
            f"{format_number(gap['gap_change_high_pct'], 'en', 'percent')}] —") in rows
    assert not any(r.startswith("Mitigation Gap change low") for r in rows)
    assert html.count('class="course-table gender_shades"') == 4
    finding = next(f for f in Run.open(remedied_run).findings("mitigation"))
    assert text_of(format_finding(finding, "en")) in text


def test_options_are_validated(full_run, balanced_run, tmp_path):
    with pytest.raises(UserInputError, match="docx"):
        render_report(full_run, out_dir=tmp_path, formats="html,docx")
    with pytest.raises(UserInputError, match="'de'"):
        render_report(full_run, out_dir=tmp_path, lang="de")
    with pytest.raises(UserInputError, match="handout is written for one run"):
        render_report(full_run, out_dir=tmp_path, formats="handout", compare=balanced_run)
    assert list(tmp_path.iterdir()) == []


def test_incomplete_or_missing_run_is_a_user_error(incomplete_run, tmp_path):
    with pytest.raises(UserInputError, match="not a complete run.*interrupted"):
        render_report(incomplete_run)
    with pytest.raises(UserInputError, match="not a directory"):
        render_report(tmp_path / "nowhere")
    assert not any(p.name.startswith(("report", ".report")) for p in incomplete_run.iterdir())


def test_a_failure_leaves_no_report_file(full_run, tmp_path, monkeypatch):
    def broken(html, attachments=()):
        raise RuntimeError("WeasyPrint crashed")

    monkeypatch.setattr(nnaudit.reports.render_pdf, "html_to_pdf", broken)
    with pytest.raises(RuntimeError, match="crashed"):
        render_report(full_run, out_dir=tmp_path, formats=("html", "pdf"))
    assert list(tmp_path.iterdir()) == []
