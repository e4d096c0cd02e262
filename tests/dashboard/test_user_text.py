"""User strings (group names, run names, errors) are shown as text on every page, never as
Markdown: a group named like a link is no link; and files that lead outside a run are never
offered for download."""

from __future__ import annotations

import re
from html import escape

import pandas as pd
import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from nnaudit.audits import table_schemas
from nnaudit.dashboards.text import literal
from nnaudit.store import RunWriter

from dashboard_run_folder import APP
from real_results import predictions_frame

LINK = "[evil link](https://evil.example/phish)"
BARE = "see https://evil.example/x or mail phish@evil.example"
STYLED = "**bold** :red[red] $x^2$ :smile: <b>html</b> `tick` ``two``"
# Streamlit's Markdown: CommonMark, then GFM's autolink literals found again in the text nodes
# (the second algorithm of mdast-util-gfm-autolink-literal, in Streamlit's frontend bundle), so
# a URL that is merely backslash-escaped would still become a link.
AUTOLINK = [re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.I),
            re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)")]


def links_and_code(markdown: str) -> tuple[list[str], list[str]]:
    """What Streamlit would turn into links in ``markdown``, and its code spans' text."""
    links, code = [], []
    for block in MarkdownIt("commonmark").parse(markdown):
        for token in block.children or []:
            if token.type in ("link_open", "image"):
                links.append(token.attrGet("href") or token.attrGet("src"))
            elif token.type == "text":
                links += [m.group(0) for pattern in AUTOLINK for m in pattern.finditer(token.content)]
            elif token.type == "code_inline":
                code.append(token.content)
    return links, code


def test_raw_or_backslash_escaped_user_strings_would_become_links():
    assert links_and_code(LINK)[0] == ["https://evil.example/phish"]
    escaped = re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", BARE)  # every punctuation escaped
    assert links_and_code(escaped)[0] == ["https://evil.example/x", "phish@evil.example"]


@pytest.mark.parametrize("text, shown", [
    (LINK, LINK), (BARE, BARE), (STYLED, STYLED), ("`", "`"), (" padded ", " padded "),
    ("a\n\n# heading", "a # heading"),  # a blank line would end the span: line breaks are spaces
])
def test_literal_markdown_shows_the_text_and_no_link(text, shown):
    assert links_and_code(literal(text)) == ([], [shown])
    assert literal("") == ""


def hostile_runs(root) -> list[str]:
    """Two complete runs whose group, dataset and model names are a Markdown link, a bare URL
    and styled text, and a failed run whose error quotes such a name."""
    runs = [hostile_run(root, "hostile"), hostile_run(root, "hostile-too")]
    failed = RunWriter.create(root, "failed", {})
    failed.finish({"error": f"UserInputError: no group {LINK}"}, status="failed")
    return [path.name for path in (*runs, failed.path)]


def hostile_run(root, slug):
    """A complete run whose group names are a Markdown link, a bare URL and styled text: the
    real fairness audit of 105 predictions, 40 % wrong for the link, 10 % for the URL."""
    from nnaudit.fairness import fairness_audit

    groups = pd.DataFrame({"g": [LINK] * 50 + [BARE] * 50 + [STYLED] * 5})
    y_true = [0, 1] * 52 + [0]
    wrong = set(range(20)) | set(range(50, 55)) | {100}
    y_pred = [1 - y if i in wrong else y for i, y in enumerate(y_true)]
    writer = RunWriter.create(root, slug, {})
    writer.write_table("predictions.parquet", predictions_frame())
    writer.write_audit(fairness_audit(y_true, y_pred, groups, classes=["no", "yes"], n_boot=200),
                       table_schemas("fairness"))
    writer.record_skipped("saliency", f"skipped for {LINK}")
    (writer.path / "report.html").write_text("<html>report</html>")
    writer.finish({"kind": "blackbox", "dataset": {"name": LINK}, "model": {"name": BARE},
                   "metrics": {"test_accuracy": 0.75}})
    return writer.path


def markdown_bodies(at: AppTest) -> list[str]:
    """Every string of the page that Streamlit renders as Markdown."""
    bodies = []
    for kind in ("error", "warning", "info", "success", "caption", "markdown", "subheader",
                 "header", "title"):
        bodies += [element.value for element in at.get(kind)]
    bodies += [m.value for m in at.metric] + [m.label for m in at.metric]
    return bodies


@pytest.mark.parametrize("page, selected", [("runs", [0, 2]), ("fairness", [0]),
                                            ("interpretability", [0]), ("compare", [0, 1])])
def test_no_user_string_becomes_a_link_on_any_page(tmp_path, monkeypatch, page, selected):
    root = tmp_path / "runs"
    names = hostile_runs(root)
    monkeypatch.setenv("NNAUDIT_RUNS", str(root))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update({"page": page, "run": [names[i] for i in selected], "lang": "en"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    bodies = markdown_bodies(at)
    for body in bodies:
        assert links_and_code(body)[0] == [], body
    shown = [code for body in bodies for code in links_and_code(body)[1]]
    expected = {"runs": [f"UserInputError: no group {LINK}"], "fairness": [LINK, BARE, STYLED],
                "interpretability": [f"skipped for {LINK}"], "compare": [LINK, BARE]}[page]
    assert set(expected) <= set(shown), shown
    if page == "fairness":  # the Gender Shades table is HTML from the reports' template
        html = "".join(element.proto.body for element in at.get("html"))
        assert "<a " not in html and escape(LINK) in html and escape(STYLED) in html
        finding = next(e.value for e in at.error if "times the error rate" in e.value)
        assert finding.startswith(f"{literal(LINK)} has 4 times the error rate of "
                                  f"{literal(BARE)} (95% CI")


def test_a_report_linked_outside_the_run_is_not_offered(tmp_path, monkeypatch):
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0")
    root = tmp_path / "runs"
    run = hostile_run(root, "hostile")
    (run / "report.html").unlink()
    (run / "report.html").symlink_to(secret)
    monkeypatch.setenv("NNAUDIT_RUNS", str(root))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update({"page": "runs", "run": [run.name], "lang": "en"})
    at.run()
    assert not at.exception
    assert not [b for b in at.get("download_button") if "report" in b.label.lower()]
    assert any("'report.html' leads outside the run directory" in c.value for c in at.caption)
