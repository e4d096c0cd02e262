"""What the dashboard shows before anyone clicks: the run it opens, the Runs table's rates, the
Robustness page's order, the heatmap's text and the Compare page's tables (issue 26)."""

from __future__ import annotations

import json

from dashboard_run_folder import APP, MITIGATED, RUN_A, RUN_B
from streamlit.testing.v1 import AppTest


def open_app(runs_dir, monkeypatch, page: str = "runs", runs: tuple[str, ...] = ()) -> AppTest:
    monkeypatch.setenv("NNAUDIT_RUNS", str(runs_dir))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["page"] = page
    if runs:
        at.query_params["run"] = list(runs)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_with_no_run_named_it_opens_the_newest_trained_run_not_a_mitigation(runs_dir,
                                                                             monkeypatch):
    # MITIGATED is the newest complete run of the folder, RUN_B the newest trained one
    at = open_app(runs_dir, monkeypatch)
    assert at.sidebar.multiselect(key="selected_runs").value == [RUN_B]


def test_a_folder_of_mitigations_only_still_opens_its_newest_run(runs_dir, monkeypatch):
    import shutil

    for name in (RUN_A, RUN_B):
        shutil.rmtree(runs_dir / name)
    at = open_app(runs_dir, monkeypatch)
    assert at.sidebar.multiselect(key="selected_runs").value == [MITIGATED]


def test_runs_table_shows_rates_in_percent_and_the_numbers_first(runs_dir, monkeypatch):
    at = open_app(runs_dir, monkeypatch, runs=(RUN_A,))
    table = at.dataframe[0]
    config = json.loads(table.proto.columns)
    for column in ("Accuracy", "Worst-subgroup error"):
        assert config[column]["type_config"]["format"] == "percent", config[column]
    columns = list(table.value.columns)
    assert columns[:5] == ["Run", "Status", "Accuracy", "Worst-subgroup error", "Energy (kWh)"]
    assert columns[-2:] == ["Audits", "Notice"]


def test_robustness_leads_with_its_table_and_folds_its_findings(runs_dir, monkeypatch):
    at = open_app(runs_dir, monkeypatch, "robustness", runs=(RUN_A,))
    main = list(at.main)
    kinds = [element.type for element in main]
    first_table = next(i for i, e in enumerate(main) if e.type == "html")
    assert not any(kind in ("alert", "error", "warning", "info") for kind in kinds[:first_table])
    [folded] = [e for e in at.expander if e.label.startswith("Findings")]
    alerts = len(folded.error) + len(folded.warning) + len(folded.info)
    assert alerts >= 1 and f"({alerts})" in folded.label


def test_heatmap_text_is_white_on_dark_cells_and_black_on_light_ones(runs_dir, monkeypatch):
    at = open_app(runs_dir, monkeypatch, "fairness", runs=(RUN_A,))
    at.selectbox(key="fairness_attribute").set_value("race")
    at.run()
    specs = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    text_layers = [layer for spec in specs for layer in spec.get("layer", [])
                   if (layer.get("mark") or {}).get("type") == "text"]
    assert text_layers, specs
    color = text_layers[0]["encoding"]["color"]
    assert color["value"] == "black" and color["condition"]["value"] == "white", color
    # the threshold is the middle of the drawn error rates (a share): strictly between 0 and 1
    threshold = float(color["condition"]["test"].rsplit(">", 1)[1].strip(" )"))
    assert 0 < threshold < 1, color


def test_compare_tables_scroll_inside_their_column(runs_dir, monkeypatch):
    at = open_app(runs_dir, monkeypatch, "compare", runs=(RUN_A, RUN_B))
    tables = [element.proto.body for element in at.get("html")
              if "table-scroll" in element.proto.body]
    assert tables
    assert all(".table-scroll { overflow-x: auto; max-width: 100%; }" in body for body in tables)
