import tomllib

import pytest

from nnaudit.config import DEFAULTS, load_config, parse_assignment
from nnaudit.errors import UserInputError
from nnaudit.store import RunWriter


def test_defaults_are_the_embedded_offline_run():
    config = load_config()
    assert config["data"]["name"] == "shades-mnist" and config["model"]["name"] == "lenet5"
    assert config["audits"]["run"] == ["fairness", "generalization", "saliency"]


def test_file_then_overrides_win_in_order(tmp_path):
    path = tmp_path / "audit.toml"
    path.write_text('seed = 4\n[train]\nepochs = 2\nlr = 0.1\n[data.options]\nskew = 0.5\n')
    config = load_config(path, {"train.epochs": "3", "audits.run": "fairness,saliency"})
    assert config["seed"] == 4 and config["train"]["lr"] == 0.1
    assert config["train"]["epochs"] == 3  # command-line string coerced to int
    assert config["audits"]["run"] == ["fairness", "saliency"]
    assert config["data"]["options"] == {"skew": 0.5}
    assert DEFAULTS["train"]["epochs"] == 15  # defaults never mutated


@pytest.mark.parametrize("text, message", [
    ("[train]\nepoch = 2\n", "'train.epoch'.*does not exist"),
    ("colour = 1\n", "'colour'.*does not exist"),
    ("[train]\nepochs = 'many'\n", "must be int"),
    ("[audits]\nrun = ['fairness', 'astrology']\n", "unknown audit 'astrology'"),
    ("device = 'tpu'\n", "device must be"),
    ("[fairness]\nthreshold = 2.0\n", "threshold must lie"),
    ("[train\n", "not valid TOML"),
])
def test_bad_config_is_one_clear_sentence(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(UserInputError, match=message):
        load_config(path)


def test_saved_config_repeats_the_run(tmp_path):
    config = load_config(None, {"train.epochs": 2, "data.options.skew": 0.5, "seed": 9})
    writer = RunWriter.create(tmp_path, "x", config)
    assert load_config(writer.path / "config.toml") == config
    with (writer.path / "config.toml").open("rb") as fh:
        assert tomllib.load(fh)["data"]["options"]["skew"] == 0.5


def test_set_assignments_parse_toml_values():
    assert parse_assignment("train.lr=0.01") == ("train.lr", 0.01)
    assert parse_assignment("model.options.widths=[64, 32]") == ("model.options.widths", [64, 32])
    assert parse_assignment("energy.country=FRA") == ("energy.country", "FRA")
    with pytest.raises(UserInputError, match="KEY=VALUE"):
        parse_assignment("train.lr")
