"""Every setting is checked when the config is read, before any training (issue 23, item 10),
and a config file or `--set` nested thousands deep is one sentence, not a RecursionError."""

from __future__ import annotations

import errno

import numpy as np
import pandas as pd
import pytest

from hostile.conftest import one_sentence_exit_2

BAD_SETTINGS = [
    ('robustness.corruptions=["nope"]', "robustness.corruptions"),
    ("robustness.severities=[99]", "robustness.severities"),
    ('robustness.attacks=["nope"]', "robustness.attacks"),
    ('saliency.methods=["nope"]', "saliency.methods"),
    ('data.options.skew="abc"', "data.options.skew"),
    ("data.options.skew=[0.5]", "data.options.skew"),
    ("data.options.skew=2", "data.options.skew"),
    ("model.options.dropout=5", "model.options.dropout"),
    ('model.options.dropout="abc"', "model.options.dropout"),
    ('model.options.batch_norm="maybe"', "model.options.batch_norm"),
    ("model.options.nope=1", "model.options.nope"),
]


@pytest.mark.parametrize("setting, key", BAD_SETTINGS)
def test_a_bad_setting_is_refused_before_any_data_or_training(cli, tmp_path, monkeypatch,
                                                                setting, key):
    import nnaudit.pipeline

    def never(*_args, **_kwargs):
        raise AssertionError("the dataset was loaded: the setting was not checked first")

    monkeypatch.setattr(nnaudit.pipeline, "load_configured_dataset", never)
    result = cli("run", "--set", setting, "--device", "cpu", "--out", tmp_path / "runs")
    one_sentence_exit_2(result, key)
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("setting", ['robustness.attacks=["none"]', 'saliency.methods=["grad_cam"]',
                                     "data.options.skew=0.5", "model.options.dropout=0.25",
                                     "model.options.batch_norm=true"])
def test_good_settings_still_load(setting):
    from nnaudit.config import load_config, parse_assignment

    key, value = parse_assignment(setting)
    load_config(None, {key: value})


DEEP_CONFIGS = {
    "array": "a = " + "[" * 5_000 + "]" * 5_000,
    "inline_table": "a = " + "{b = " * 5_000 + "1" + "}" * 5_000,
    "dotted_key": ".".join(f"k{i}" for i in range(3_000)) + " = 1\n",
}


@pytest.mark.parametrize("case", sorted(DEEP_CONFIGS))
def test_a_config_nested_thousands_deep_is_one_sentence(cli, tmp_path, case):
    path = tmp_path / "deep.toml"
    path.write_text(DEEP_CONFIGS[case])
    one_sentence_exit_2(cli("run", "--config", path), "nested more than")


def test_a_set_key_of_thousands_of_parts_is_one_sentence(cli):
    one_sentence_exit_2(cli("run", "--set", ".".join(["a"] * 3_000) + "=1"), "nested more than")


@pytest.fixture
def scored_run(tmp_path):
    from nnaudit.config import load_config
    from nnaudit.pipeline import run_blackbox

    rng = np.random.default_rng(1)
    n = 400
    pd.DataFrame({"y": rng.integers(0, 2, n), "s": rng.random(n),
                  "grp": rng.choice(["a", "b"], n)}).to_csv(tmp_path / "p.csv", index=False)
    config = load_config(None, {"out": str(tmp_path / "runs"), "fairness.n_boot": 100,
                                "energy.enabled": False, "report.html": False})
    return run_blackbox(tmp_path / "p.csv", label="y", score="s", groups=["grp"],
                        config=config), tmp_path / "p.csv"


def test_a_read_only_out_for_mitigate_is_refused_before_it_fits_anything(cli, tmp_path,
                                                                         monkeypatch, scored_run):
    import nnaudit.mitigation._blackbox
    import nnaudit.store

    run, predictions = scored_run

    def read_only(path, _text):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    def never(*_args, **_kwargs):
        raise AssertionError("the remedy was fitted before the output folder was checked")

    monkeypatch.setattr(nnaudit.store, "atomic_write_text", read_only)
    monkeypatch.setattr(nnaudit.mitigation._blackbox, "blackbox_outcomes", never)
    result = cli("mitigate", run, "--predictions", predictions, "--out", tmp_path / "ro")
    one_sentence_exit_2(result, "read-only")


def test_an_out_below_a_file_for_mitigate_is_refused_before_it_fits_anything(
        cli, tmp_path, monkeypatch, scored_run):
    import nnaudit.mitigation._blackbox

    run, predictions = scored_run
    monkeypatch.setattr(nnaudit.mitigation._blackbox, "blackbox_outcomes",
                        lambda *a, **k: pytest.fail("fitted before the folder was checked"))
    (tmp_path / "a-file").write_text("")
    result = cli("mitigate", run, "--predictions", predictions, "--out", tmp_path / "a-file")
    one_sentence_exit_2(result, "is a file")
