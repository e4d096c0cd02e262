"""Every page driven through Streamlit's AppTest over a folder with broken runs in it.

A page is opened as a shared link opens it: ``?page=NAME`` with the runs and the language in the
query string (the app switches to that page's URL through ``st.navigation``)."""

from __future__ import annotations

import re
from html import unescape

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from nnaudit.store import Run
from nnaudit.reports.formatting import format_number

from dashboard_run_folder import (ACCURACY, APP, CORRUPT, FAILED, INCOMPLETE, MITIGATED, RUN_A,
                                  RUN_B, TRAINING_KWH)


@pytest.fixture
def app(runs_dir, monkeypatch):
    monkeypatch.setenv("NNAUDIT_RUNS", str(runs_dir))

    def start(page: str = "runs", runs: tuple[str, ...] = (RUN_A,), lang: str = "en") -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.query_params["page"] = page
        at.query_params["run"] = list(runs)
        at.query_params["lang"] = lang
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return start


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def gender_shades(at: AppTest) -> str:
    """The HTML of the course tables on the page (drawn by the reports' template), entities
    decoded."""
    return unescape("\n".join(element.proto.body for element in at.get("html")))


def cell(html: str, row: str, column_index: int) -> str:
    """The text of one cell of a course table: the row labelled ``row``, its n-th value."""
    cells = re.search(rf"<th scope=\"row\">{re.escape(row)}</th>(.*?)</tr>", html, re.S).group(1)
    return re.findall(r"<td[^>]*>([^<]*)", cells)[column_index]


def test_runs_page_lists_every_run_and_flags_the_broken_ones(app, runs_dir):
    at = app()
    table = at.dataframe[0].value.set_index("Run")
    assert set(table.index) == {RUN_A, RUN_B, MITIGATED, FAILED, INCOMPLETE, CORRUPT}
    assert table.loc[RUN_A, "Accuracy"] == ACCURACY[RUN_A]
    assert table.loc[RUN_B, "Accuracy"] == ACCURACY[RUN_B]
    summary = Run(runs_dir / RUN_A).manifest["audits"]["fairness"]["summary"]
    assert table.loc[RUN_A, "Worst-subgroup error"] == pytest.approx(summary["worst_group_error"])
    assert "cannot be read" in table.loc[CORRUPT, "Notice"]
    assert "interrupted" in table.loc[INCOMPLETE, "Notice"]
    assert table.loc[FAILED, "Notice"] == "training diverged: loss is NaN"
    assert table.loc[RUN_A, "Notice"] == ""
    assert any(CORRUPT in w.value and INCOMPLETE in w.value for w in at.warning)


def test_runs_page_filters_and_sorts(app):
    at = app()
    at.multiselect(key="filter_status").set_value(["complete"])
    at.selectbox(key="sort_by").set_value("test_accuracy")
    at.toggle(key="sort_descending").set_value(False)
    table = rerun(at).dataframe[0].value
    assert table["Run"].tolist() == [MITIGATED, RUN_A, RUN_B]     # 75.3 %, 81.2 %, 84.5 %
    at.text_input(key="filter_text").set_value("balanced")
    assert rerun(at).dataframe[0].value["Run"].tolist() == [RUN_B]


def test_selected_run_shows_its_manifest_numbers(app, runs_dir):
    at = app(runs=(RUN_A,))
    manifest = Run(runs_dir / RUN_A).manifest
    assert metric(at, "Test accuracy") == format_number(
        manifest["metrics"]["test_accuracy"], "en", "percent")
    assert metric(at, "Worst-subgroup error") == format_number(
        manifest["audits"]["fairness"]["summary"]["worst_group_error"], "en", "percent")
    labels = [b.label for b in at.get("download_button")]
    assert "Download report (HTML)" in labels and not any("PDF" in b for b in labels)


def test_broken_runs_cannot_be_opened(app):
    at = app(runs=(CORRUPT, INCOMPLETE))  # names from the URL that are not openable are dropped
    options = at.sidebar.multiselect(key="selected_runs").options
    assert RUN_A in options and FAILED in options
    assert CORRUPT not in options and INCOMPLETE not in options


def test_fairness_table_attribute_metric_and_small_groups(app, runs_dir):
    at = app("fairness", runs=(RUN_A,))
    at.selectbox(key="fairness_attribute").set_value("sex")
    table = rerun(at).dataframe[0].value
    stored = Run(runs_dir / RUN_A).table("fairness", "by_group")
    assert table["error_rate"].max() == pytest.approx(
        stored[stored["attribute"] == "sex"]["error_rate"].max())
    assert {"error_rate_low", "error_rate_high"} <= set(table.columns)

    at.selectbox(key="fairness_metric").set_value("tpr")
    table = rerun(at).dataframe[0].value
    by_group = Run(runs_dir / RUN_A).table("fairness", "by_group").set_index("subgroup")
    assert table.set_index("subgroup").loc["male", "tpr"] == pytest.approx(by_group.loc["male", "tpr"])
    assert "error_rate" not in table.columns

    at.selectbox(key="fairness_attribute").set_value("race")
    rerun(at)
    assert any("too small" in w.value and "script" in w.value.split(":")[-1] for w in at.warning)
    # bar chart with intervals and the sex x race heatmap
    assert len(at.get("vega_lite_chart")) >= 2
    assert any("times the error rate" in e.value for e in at.error)


def tpr_by_group(at: AppTest) -> pd.Series:
    table = at.dataframe[0].value
    return table.set_index(table["subgroup"].astype(str))["tpr"]


def test_fairness_threshold_recomputes_the_table_from_predictions(app, runs_dir):
    if not hasattr(pytest.importorskip("nnaudit.fairness"), "fairness_audit"):
        pytest.skip("nnaudit.fairness.fairness_audit is not there yet")
    at = app("fairness", runs=(RUN_A,))
    at.toggle(key="fairness_live").set_value(True)
    at = rerun(at)
    at.selectbox(key="fairness_positive").set_value("yes")
    at.slider(key="fairness_threshold").set_value(0.7)
    at = rerun(at)
    at.selectbox(key="fairness_attribute").set_value("sex")
    at.selectbox(key="fairness_metric").set_value("tpr")
    shown = tpr_by_group(rerun(at))

    preds = Run(runs_dir / RUN_A).predictions()
    for sex in ("female", "male"):
        rows = preds[(preds["sex"] == sex) & (preds["label"] == "yes")]
        assert shown[sex] == pytest.approx((rows["score_yes"] >= 0.7).mean())
    at.slider(key="fairness_threshold").set_value(0.55)
    moved = tpr_by_group(rerun(at))
    assert (moved >= shown).all() and (moved > shown).any()


def test_fairness_page_shows_the_gender_shades_table_and_the_slider_recomputes_it(app,
                                                                                  runs_dir):
    at = app("fairness", runs=(RUN_A,))
    html = gender_shades(at)
    assert "Error rates by group (Gender Shades layout)" in html
    assert all(label in html for label in ("PPV (%)", "Error rate (%)", "TPR (%)", "FPR (%)"))
    by_group = Run(runs_dir / RUN_A).table("fairness", "by_group").set_index("subgroup")
    # columns: All, female, male, ...
    assert cell(html, "TPR (%)", 1) == format_number(by_group.loc["female", "tpr"], "en", "points")

    at.toggle(key="fairness_live").set_value(True)
    at = rerun(at)
    at.selectbox(key="fairness_positive").set_value("yes")
    at.slider(key="fairness_threshold").set_value(0.7)
    html = gender_shades(rerun(at))
    preds = Run(runs_dir / RUN_A).predictions()
    women = preds[(preds["sex"] == "female") & (preds["label"] == "yes")]
    assert cell(html, "TPR (%)", 1) == format_number((women["score_yes"] >= 0.7).mean(), "en",
                                                     "points")


def test_robustness_page_tables_severity_slider_and_adversarial_figure(app, runs_dir):
    at = app("robustness", runs=(RUN_A,))
    run = Run(runs_dir / RUN_A)
    adversarial = run.table("robustness", "adversarial")
    dark = adversarial[(adversarial["attack"] == "pgd") & (adversarial["radius"] == 0.1)
                       & (adversarial["subgroup"] == "dark")]["accuracy"].iloc[0]
    html = gender_shades(at)
    assert cell(html, "pgd (Linf), radius 0.1", 1) == format_number(dark, "en", "points")
    assert "Accuracy under corruption at severity 3, by group (%)" in html
    captions = [image.caption for element in at.get("image") for image in element.proto.imgs]
    assert "adversarial" in captions
    at.select_slider(key="robustness_severity").set_value(1)
    html = gender_shades(rerun(at))
    corruptions = run.table("robustness", "corruptions")
    contrast = corruptions[(corruptions["corruption"] == "contrast") & (corruptions["severity"] == 1)
                           & (corruptions["subgroup"] == "dark")]["accuracy"].iloc[0]
    assert "Accuracy under corruption at severity 1, by group (%)" in html
    assert cell(html, "contrast", 1) == format_number(contrast, "en", "points")


def test_compare_a_run_with_its_mitigated_run(app, runs_dir):
    # chosen in either order, the base run is A and the mitigated run B: B - A is the remedy's
    at = app("compare", runs=(MITIGATED, RUN_A))
    assert any(i.value == "B is run A after mitigation (` threshold (equalized_odds) `)."
               for i in at.info)
    accuracy = next(df.value for df in at.dataframe if "difference" in df.value)
    assert accuracy.set_index("metric").loc["test_accuracy", "A"] == ACCURACY[RUN_A]
    # both runs' table, each in two parts (12 columns)
    assert gender_shades(at).count("Error rates by group (Gender Shades layout)") == 4
    # the mitigation audit, which no page knows, is shown first, generically, for B
    assert at.selectbox(key="compare_audit").value == "mitigation"
    mitigation = Run(runs_dir / MITIGATED).table("mitigation", "by_group")
    shown = [df.value for df in at.dataframe if "subgroup" in df.value]
    assert any(len(df) == len(mitigation) and
               df["error_rate"].tolist() == pytest.approx(mitigation["error_rate"].tolist())
               for df in shown)
    assert any("did not run" in i.value for i in at.info)   # run A has no mitigation audit


def test_french_switches_numbers_and_findings(app, runs_dir):
    at = app(runs=(RUN_A,))
    at.sidebar.selectbox(key="lang").set_value("fr")
    at = rerun(at)
    value = at.metric[0].value
    accuracy = ACCURACY[RUN_A]
    assert value == format_number(accuracy, "fr", "percent") != format_number(accuracy, "en",
                                                                              "percent")
    assert at.query_params["lang"] == "fr"               # a link keeps the language
    at = app("fairness", runs=(RUN_A,), lang="fr")
    # the French sentence, a decimal comma, group names as literal text (code spans)
    worst = Run(runs_dir / RUN_A).manifest["audits"]["fairness"]["summary"]["worst_group"]
    errors = [e.value for e in at.error]
    assert any(e.startswith(f"` {worst} ` a un taux d'erreur") and "," in e for e in errors), errors
    assert "Taux d'erreur par groupe (présentation de Gender Shades)" in gender_shades(at)


def test_energy_projection_follows_the_slider(app, runs_dir):
    at = app("energy", runs=(RUN_A,))
    summary = Run(runs_dir / RUN_A).manifest["audits"]["energy"]["summary"]
    days = "Days until inference equals training"
    # training 0.044 kWh (RAM included) / (0.00011 kWh per 1,000 x 10 a day) = 40 days
    assert metric(at, days) == format_number(summary["days_to_match_training"], "en") == "40"
    at.select_slider(key="energy_per_day").set_value(100_000)
    at = rerun(at)
    # the same over 100 thousand-prediction batches a day: 4 days, worked by hand
    assert metric(at, days) == "4"
    assert metric(at, "Inference kWh per day") == format_number(0.011, "en")
    assert TRAINING_KWH[RUN_A] == 0.04
    assert len(at.get("vega_lite_chart")) >= 2  # energy and CO2 per phase


def test_generalization_and_interpretability_pages(app, runs_dir):
    at = app("generalization", runs=(RUN_A,))
    run = Run(runs_dir / RUN_A)
    mia = run.manifest["audits"]["membership"]["summary"]["mia_auc"]
    assert metric(at, "mia auc") == format_number(mia, "en")
    sweep = run.table("memorization", "noise_sweep")
    assert sweep["test_acc"].tolist() in [df.value["test_acc"].tolist() for df in at.dataframe
                                          if "fraction" in df.value]
    # the course's table of Zhang et al. as in the report, then its figure 1a
    html = gender_shades(at)
    assert "Fitting random labels (Zhang et al. layout)" in html
    conditions = run.table("memorization", "random_labels").set_index("condition")
    assert cell(html, "random labels", 4) == format_number(
        conditions.loc["random labels", "test_acc"], "en", "points")
    assert len(at.get("image")) >= 1    # st.pyplot: the training curves
    assert any("figure 1a" in caption.value for caption in at.caption)

    at = app("interpretability", runs=(RUN_A,))
    assert len(at.get("image")) == len(run.figures("saliency"))
    at.multiselect(key="saliency_methods").set_value(["saliency"])
    sanity = rerun(at).dataframe[0].value
    assert set(sanity["method"]) == {"saliency"} and len(sanity) == 1


def test_compare_shows_differences(app, runs_dir):
    at = app("compare", runs=(RUN_A, RUN_B))
    table = at.dataframe[0].value.set_index("metric")
    a, b = ACCURACY[RUN_A], ACCURACY[RUN_B]
    assert table.loc["test_accuracy", "difference"] == pytest.approx(b - a)
    worst = [Run(runs_dir / r).manifest["audits"]["fairness"]["summary"]["worst_group_error"]
             for r in (RUN_A, RUN_B)]
    assert worst[1] < worst[0]  # less injected bias in B
    assert table.loc["fairness.worst_group_error", "difference"] == pytest.approx(
        worst[1] - worst[0])
    accuracy = next(m for m in at.metric if m.label == "Test accuracy (B)")
    assert accuracy.value == format_number(b, "en", "percent")
    assert accuracy.delta == f"+{format_number((b - a) * 100, 'en')} pp"   # percentage points
    one = app("compare", runs=(RUN_A,))
    assert any("two runs" in i.value for i in one.info)


def test_runs_page_reads_no_parquet(app, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the Runs page must read manifests only")

    monkeypatch.setattr(pd, "read_parquet", refuse)
    at = app()
    assert len(at.dataframe[0].value) == 6


def test_empty_and_missing_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("NNAUDIT_RUNS", str(tmp_path))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception and any("No run directories" in i.value for i in at.info)
    monkeypatch.setenv("NNAUDIT_RUNS", str(tmp_path / "absent"))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception and "not a folder of runs" in at.error[0].value


@pytest.mark.parametrize("page", ["runs", "compare"])
def test_a_link_naming_a_run_twice_opens_it_once(app, page):
    at = app(page, runs=(RUN_A, RUN_A))       # app() asserts that no exception is shown
    assert at.sidebar.multiselect(key="selected_runs").value == [RUN_A]


def test_the_compare_page_reads_its_tables_once_not_on_every_rerun(app, monkeypatch):
    at = app("compare", runs=(RUN_A, MITIGATED))

    def refuse(*args, **kwargs):
        raise AssertionError("a rerun read a parquet file again")

    monkeypatch.setattr(pd, "read_parquet", refuse)
    rerun(at)                        # asserts that the page shows no exception
    assert gender_shades(at).count("Error rates by group (Gender Shades layout)") == 4
