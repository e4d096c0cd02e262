"""The dashboard reads only run directories of its folder, and only files inside them."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from nnaudit.dashboards import data, server_command
from dashboard_run_folder import ACCURACY, CORRUPT, RUN_A


def test_open_run_accepts_only_names_listed_in_the_folder(runs_dir):
    assert data.open_run(runs_dir, RUN_A).manifest["metrics"]["test_accuracy"] == ACCURACY[RUN_A]
    for name in ("..", "../runs", str(runs_dir / RUN_A), "absent"):
        with pytest.raises(KeyError):
            data.open_run(runs_dir, name)


def test_a_manifest_pointing_outside_its_run_is_not_followed(runs_dir):
    secret = runs_dir.parent / "secret.parquet"
    pd.DataFrame({"password": ["hunter2"]}).to_parquet(secret)
    manifest_file = runs_dir / RUN_A / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["audits"]["fairness"]["tables"]["stolen"] = "../../secret.parquet"
    manifest_file.write_text(json.dumps(manifest))
    tables = data.audit_tables(str(runs_dir / RUN_A), data.manifest_mtime(runs_dir / RUN_A),
                               "fairness")
    assert "stolen" not in tables and "by_group" in tables


def test_a_figure_pointing_outside_its_run_is_skipped(runs_dir):
    from nnaudit.store import Run

    secret = runs_dir.parent / "secret.png"
    secret.write_bytes(b"not yours")
    manifest_file = runs_dir / RUN_A / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    figures = manifest["audits"]["saliency"].setdefault("figures", {})
    figures["stolen"] = "../../secret.png"
    figures["gone"] = "figures/absent.png"
    (runs_dir / RUN_A / "notes.txt").write_text("not an image")
    figures["text"] = "notes.txt"
    figures["folder"] = "."
    manifest_file.write_text(json.dumps(manifest))
    shown = data.audit_figures(Run(runs_dir / RUN_A), "saliency")
    assert not {"stolen", "gone", "text", "folder"} & set(shown)
    assert "cascade" in shown


def test_threshold_classes_and_ranges_come_from_the_stored_histograms(runs_dir):
    from nnaudit.store import Run

    ranges = data.score_ranges(str(runs_dir / RUN_A), data.manifest_mtime(runs_dir / RUN_A))
    preds = Run(runs_dir / RUN_A).predictions()
    assert list(ranges) == ["no", "yes"]
    assert ranges["yes"] == (preds["score_yes"].min(), preds["score_yes"].max())


def test_runs_table_rows_come_from_manifests(runs_dir):
    table = data.runs_table(runs_dir).set_index("run")
    # training 0.04 kWh, inference 0.0002, fairness 0.0004 (CPU), each + 10 % for the RAM
    assert table.loc[RUN_A, "energy_kwh"] == pytest.approx((0.04 + 0.0002 + 0.0004) * 1.1)
    assert table.loc[CORRUPT, "status"] == "corrupt"
    assert pd.isna(table.loc[CORRUPT, "test_accuracy"])


def test_server_command_serves_the_folder_on_localhost(runs_dir):
    command = server_command(runs_dir, 8600)
    assert command[command.index("--server.port") + 1] == "8600"
    assert command[command.index("--server.address") + 1] == "localhost"
    assert command[-2:] == ["--runs", str(runs_dir.resolve())]


def test_the_threshold_moves_on_the_stored_counts_exactly(runs_dir):
    from nnaudit.store import Run

    moved = data.fairness_at_threshold(str(runs_dir / RUN_A), data.manifest_mtime(runs_dir / RUN_A),
                                       "yes", 0.7, 30, n_boot=0)
    assert moved["unsure"] == 0  # scores of 3 decimals: one value per bin
    preds = Run(runs_dir / RUN_A).predictions()
    overall = moved["tables"]["overall"].iloc[0]
    assert overall["tp"] == ((preds["score_yes"] >= 0.7) & (preds["label"] == "yes")).sum()
    assert overall["fp"] == ((preds["score_yes"] >= 0.7) & (preds["label"] == "no")).sum()
