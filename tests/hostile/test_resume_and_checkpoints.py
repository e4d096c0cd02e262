"""`--resume` with other settings or a foreign checkpoint, and a full disk while a checkpoint is
written (issue 23, items 7 and 8): one sentence each, before any data is loaded."""

from __future__ import annotations

import errno

import pytest
import torch
from torch import nn

from hostile.conftest import one_sentence_exit_2


@pytest.fixture
def interrupted_run(tmp_path):
    """An interrupted run as the pipeline leaves one: its config.toml and a checkpoint."""
    from nnaudit.config import load_config
    from nnaudit.store import RunWriter

    config = load_config(None, {"out": str(tmp_path / "runs"), "train.epochs": 3,
                                "device": "cpu"})
    writer = RunWriter.create(config.out, "lenet5-shades-mnist", config.to_dict())
    (writer.path / "checkpoint.pt").write_bytes(b"not read: the settings are refused first")
    return writer.path


@pytest.fixture
def no_data(monkeypatch):
    import nnaudit.pipeline

    def never(*_args, **_kwargs):
        raise AssertionError("the dataset was loaded before the resumed run was checked")

    monkeypatch.setattr(nnaudit.pipeline, "load_configured_dataset", never)


@pytest.mark.parametrize("args, key", [
    (["--skew", "0.95"], "data.options.skew"),
    (["--set", "model.options.dropout=0.5"], "model.options.dropout"),
    (["--set", "fairness.n_boot=500"], "fairness.n_boot"),
    (["--audits", "fairness"], "audits.run"),
    (["--set", "robustness.severities=[1]"], "robustness.severities"),
    (["--seed", "7"], "seed"),
    (["--dataset", "mnist"], "data.name"),
])
def test_resuming_with_a_setting_that_changes_data_model_or_audits_is_refused(
        cli, interrupted_run, no_data, args, key):
    result = cli("run", "--resume", interrupted_run, *args)
    one_sentence_exit_2(result, key, "same settings")
    assert not (interrupted_run / "manifest.json").exists()


def test_resuming_with_other_speed_or_output_settings_is_allowed(interrupted_run):
    from nnaudit.config import load_config
    from nnaudit.pipeline import check_resumed_settings
    from nnaudit.store import Run

    run = Run.open(interrupted_run)
    config = load_config(interrupted_run / "config.toml",
                         {"train.amp": False, "report.pdf": True, "compute.cpu_threads": 2,
                          "energy.enabled": False})
    check_resumed_settings(run, config)  # no error


def test_a_plain_state_dict_as_checkpoint_is_refused_in_one_sentence(cli, interrupted_run,
                                                                      no_data):
    torch.save(nn.Linear(3, 2).state_dict(), interrupted_run / "checkpoint.pt")
    result = cli("run", "--resume", interrupted_run)
    one_sentence_exit_2(result, "not an nnaudit training checkpoint")


def test_a_full_disk_while_a_checkpoint_is_written_is_one_sentence_and_leaves_no_file(
        tmp_path, monkeypatch):
    """torch writing to a path fails with RuntimeError('[enforce fail at inline_container.cc]');
    writing through the store's file object, the fault is the OSError a full disk raises."""
    from nnaudit.config import TrainConfig
    from nnaudit.errors import environment_error
    from nnaudit.train._checkpoint import save_checkpoint

    real_save = torch.save

    def full_disk(obj, f, *args, **kwargs):
        if isinstance(f, (str, bytes)) or hasattr(f, "__fspath__"):
            raise RuntimeError("[enforce fail at inline_container.cc:672] . PytorchStreamWriter")
        real_save(obj, f, *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    model = nn.Linear(3, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1)
    with pytest.raises(OSError) as raised:
        save_checkpoint(tmp_path / "checkpoint.pt", TrainConfig(), 1, [], {}, False, model,
                        optimizer, scheduler, torch.Generator(), torch.Generator(),
                        torch.device("cpu"))
    assert environment_error(raised.value).startswith("No space left on the device")
    assert list(tmp_path.iterdir()) == []  # no checkpoint, no temporary file
