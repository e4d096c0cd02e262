import tomllib

import pytest

from nnaudit.config import DEFAULTS, TrainConfig, load_config, parse_assignment
from nnaudit.errors import UserInputError
from nnaudit.store import RunWriter


def test_defaults_are_the_embedded_offline_run():
    config = load_config()
    assert config.data.name == "shades-mnist" and config.model.name == "lenet5"
    assert config.audits.run == ["fairness", "generalization", "saliency", "robustness"]


def test_one_source_of_defaults_for_the_toml_keys_the_cli_and_the_trainer():
    from nnaudit.train import TrainConfig as TrainerConfig

    assert TrainerConfig is TrainConfig  # the trainer takes the [train] section itself
    assert TrainConfig().epochs == load_config().train.epochs == DEFAULTS.train.epochs == 15
    assert TrainConfig().batch_size == load_config().train.batch_size == 32
    assert "seed" not in load_config().to_dict()["train"]  # the run's one seed drives training
    assert load_config(None, {"seed": 7}).train.seed == 7


def test_file_then_overrides_win_in_order(tmp_path):
    path = tmp_path / "audit.toml"
    path.write_text('seed = 4\n[train]\nepochs = 2\nlr = 0.1\n[data.options]\nskew = 0.5\n')
    config = load_config(path, {"train.epochs": "3", "audits.run": "fairness,saliency"})
    assert config.seed == 4 and config.train.lr == 0.1
    assert config.train.epochs == 3  # command-line string coerced to int
    assert config.audits.run == ["fairness", "saliency"]
    assert config.data.options == {"skew": 0.5}
    assert DEFAULTS.train.epochs == 15  # defaults never mutated


@pytest.mark.parametrize("text, message", [
    ("[train]\nepoch = 2\n", "'train.epoch'.*does not exist"),
    ("colour = 1\n", "'colour'.*does not exist"),
    ("[train]\nepochs = 'many'\n", "must be int"),
    ("[audits]\nrun = ['fairness', 'astrology']\n", "unknown audit 'astrology'"),
    ("device = 'tpu'\n", "device must be"),
    ("[fairness]\nthreshold = 2.0\n", "fairness.threshold must be a number in"),
    ("seed = -1\n", "seed must be an integer between 0 and"),
    ("[fairness]\nn_boot = 0\n", "fairness.n_boot must be between 100"),
    ("[fairness]\nn_boot = 100000000000\n", "and 100000 .more change no interval"),
    ("[fairness]\nmin_group_size = -3\n", "fairness.min_group_size must be at least 1"),
    ("[train]\nweight_decay = nan\n", "train.weight_decay must be a finite number"),
    ("[train]\nlr = inf\n", "train.lr must be a positive finite number"),
    ("[train\n", "not valid TOML"),
])
def test_bad_config_is_one_clear_sentence(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(UserInputError, match=message):
        load_config(path)


def test_saved_config_repeats_the_run(tmp_path):
    config = load_config(None, {"train.epochs": 2, "data.options.skew": 0.5, "seed": 9})
    writer = RunWriter.create(tmp_path, "x", config.to_dict())
    assert load_config(writer.path / "config.toml") == config
    with (writer.path / "config.toml").open("rb") as fh:
        assert tomllib.load(fh)["data"]["options"]["skew"] == 0.5


def test_set_assignments_parse_toml_values():
    assert parse_assignment("train.lr=0.01") == ("train.lr", 0.01)
    assert parse_assignment("model.options.widths=[64, 32]") == ("model.options.widths", [64, 32])
    assert parse_assignment("energy.country=FRA") == ("energy.country", "FRA")
    with pytest.raises(UserInputError, match="KEY=VALUE"):
        parse_assignment("train.lr")
