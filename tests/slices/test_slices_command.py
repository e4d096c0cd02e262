"""`nnaudit slices`: a predictions file in, a normal run directory out; bad input, one sentence."""

import json

from nnaudit.store import Run, list_runs

from tests.cli.test_cli import assert_user_error, nnaudit
from tests.slices.test_slices import biased_predictions


def test_a_run_with_the_ranked_slices_and_their_findings(tmp_path):
    path = tmp_path / "preds.csv"
    biased_predictions(n=8000).to_csv(path, index=False)
    proc = nnaudit("slices", "--predictions", str(path), "--label", "y", "--pred", "pred",
                   "--sensitive", "region", "--out", str(tmp_path / "runs"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "complete"
    run = Run.open(list_runs(tmp_path / "runs")[0].path)
    table = run.table("slices", "slices")
    assert table["slice"].tolist() == list(range(1, len(table) + 1))
    assert table["description"].iloc[0] == "age ≤ 24 & region = 'north'"
    assert run.manifest["audits"]["slices"]["summary"]["slices_tested"] > 0
    assert "declared sensitive" in run.findings("slices")[0].template


def test_bad_input_exits_2_and_writes_nothing(tmp_path):
    path = tmp_path / "preds.csv"
    biased_predictions(n=300).to_csv(path, index=False)
    out = tmp_path / "runs"
    for args, fragment in [(["--pred", "pred", "--columns", "nope"], "'nope' not found"),
                           (["--pred", "pred", "--score", "age"], "not both"),
                           (["--pred", "pred", "--rate", "accuracy"], "not one of")]:
        proc = nnaudit("slices", "--predictions", str(path), "--label", "y", *args,
                       "--out", str(out))
        assert_user_error(proc, fragment)
    assert not out.exists()


def test_control_characters_in_the_data_reach_the_terminal_escaped(tmp_path):
    import re

    frame = biased_predictions(n=4000)
    frame["region"] = frame["region"].replace({"north": "n\x1b[2Jorth\x9b[red]x[/]"})
    path = tmp_path / "hostile.csv"
    frame.rename(columns={"job": "job\x1b]0;pwned\x07"}).to_csv(path, index=False)
    proc = nnaudit("slices", "--predictions", str(path), "--label", "y", "--pred", "pred",
                   "--out", str(tmp_path / "runs"))
    assert proc.returncode == 0, proc.stderr
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", proc.stdout + proc.stderr)
    assert "n\\x1b[2Jorth" in proc.stdout  # the top slice's finding names the value, escaped


def test_the_handout_names_the_worst_slice_nobody_named(tmp_path):
    from nnaudit.reports.render_html import handout_html
    from nnaudit.reports.view import build_report_view

    path = tmp_path / "preds.csv"
    biased_predictions(n=6000).to_csv(path, index=False)
    # declared job: the top slice is new; declared region: it is named, and the worst new one
    # is its part on age alone
    for sensitive, expected in (("job", "(age ≤ 24 &amp; region = &#39;north&#39;, "),
                                ("region", "(age ≤ 24, ")):
        out = tmp_path / sensitive
        proc = nnaudit("slices", "--predictions", str(path), "--label", "y", "--pred", "pred",
                       "--sensitive", sensitive, "--out", str(out), "--quiet")
        assert proc.returncode == 0, proc.stderr
        for lang, words in (("en", "The worst slice nobody named"),
                            ("fr", "La pire tranche que personne n&#39;avait nommée")):
            html = handout_html(build_report_view(Run.open(proc.stdout.strip()), lang))
            line = html.split('class="worst-slice"')[1].split("</p>")[0]
            assert words in line and expected in line


def test_the_dashboard_page_shows_the_slices_and_filters_the_significant(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    import nnaudit.dashboards.app as app

    path = tmp_path / "preds.csv"
    biased_predictions(n=6000).to_csv(path, index=False)
    proc = nnaudit("slices", "--predictions", str(path), "--label", "y", "--pred", "pred",
                   "--sensitive", "region", "--out", str(tmp_path / "runs"), "--quiet",
                   "--top", "20", "--alpha", "0.999", "--min-support", "30")
    assert proc.returncode == 0, proc.stderr
    run = Run.open(proc.stdout.strip())
    table = run.table("slices", "slices")
    assert 0 < table["significant"].sum() < len(table)  # the toggle has something to filter
    monkeypatch.setenv("NNAUDIT_RUNS", str(tmp_path / "runs"))
    for lang in ("en", "fr"):
        at = AppTest.from_file(app.__file__, default_timeout=60)
        at.query_params["page"] = "slices"
        at.query_params["run"] = [run.name]
        at.query_params["lang"] = lang
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        shown = at.dataframe[0].value
        assert len(shown) == len(table)
        at.toggle(key="slices_significant").set_value(True)
        at.run()
        assert len(at.dataframe[0].value) == int(table["significant"].sum())
    assert any("La tranche 1 " in e.value for e in [*at.warning, *at.error])
