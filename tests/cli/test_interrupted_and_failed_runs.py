"""What a user is told when a run is stopped (Ctrl-C) or fails half way, and what it leaves."""

from __future__ import annotations

import pytest

import nnaudit.pipeline as pipeline
from nnaudit.errors import UserInputError
from nnaudit.store import list_runs

from tests.cli.conftest import one_sentence_exit_2

QUICK = ["--quiet", "--epochs", "1", "--audits", "fairness", "--set", "energy.enabled=false",
         "--set", "report.html=false"]


def interrupt_in_training(monkeypatch, after_epochs: int):
    """Ctrl-C in the middle of training, after ``after_epochs`` checkpointed epochs."""
    real = pipeline.run_pipeline

    def run_pipeline(config, **kwargs):
        def on_epoch(stats):
            if stats["epoch"] > after_epochs:
                raise KeyboardInterrupt
        return real(config, on_epoch=on_epoch, **{k: v for k, v in kwargs.items()
                                                  if k != "on_epoch"})
    monkeypatch.setattr(pipeline, "run_pipeline", run_pipeline)


def test_ctrl_c_after_a_checkpoint_names_the_run_to_resume(cli, monkeypatch, tmp_path):
    interrupt_in_training(monkeypatch, after_epochs=1)
    result = cli("run", *QUICK, "--epochs", "3", "--out", tmp_path)
    [run] = list_runs(tmp_path)
    assert result.code == 130
    assert f"nnaudit run --resume {run.path}" in result.err and "RUN_DIR" not in result.err
    assert run.status == "incomplete"


def test_ctrl_c_before_any_checkpoint_does_not_offer_resume(cli, monkeypatch, tmp_path):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("nnaudit.train.train_model", interrupted)
    result = cli("run", *QUICK, "--out", tmp_path)
    [run] = list_runs(tmp_path)
    assert result.code == 130 and "--resume" not in result.err
    assert "cannot be resumed" in result.err and str(run.path) in result.err
    assert "run it again" in run.problem


def test_a_bad_input_met_half_way_fails_the_run_with_its_sentence(cli, monkeypatch, tmp_path):
    """An image that does not decode while training streams: the run is failed (never
    'resume it'), the reason is recorded, and the command exits 2 with the sentence."""
    def broken(*args, **kwargs):
        raise UserInputError("the image file 'faces/17.png' cannot be decoded (truncated).")

    monkeypatch.setattr("nnaudit.train.train_model", broken)
    result = cli("run", *QUICK, "--out", tmp_path)
    one_sentence_exit_2(result, "faces/17.png")
    [run] = list_runs(tmp_path)
    assert run.status == "failed" and "faces/17.png" in run.problem


@pytest.mark.parametrize("setting, sentence", [
    ("train.lr=inf", "train.lr must be a positive finite number"),
    ("train.weight_decay=nan", "train.weight_decay must be a finite number"),
    ("seed=-1", "seed must be an integer between 0 and 4294967295"),
    ("fairness.n_boot=0", "fairness.n_boot must be between 100"),
    ("fairness.min_group_size=-1", "fairness.min_group_size must be at least 1"),
])
def test_values_that_cannot_work_are_refused_before_any_run(cli, tmp_path, setting, sentence):
    one_sentence_exit_2(cli("run", "--set", setting, "--out", tmp_path), sentence)
    assert not tmp_path.exists() or list_runs(tmp_path) == []


def test_a_diverging_learning_rate_stops_with_one_sentence(cli, tmp_path):
    one_sentence_exit_2(cli("run", *QUICK, "--set", "train.lr=1e30", "--out", tmp_path),
                        "the training loss diverged")
    [run] = list_runs(tmp_path)
    assert run.status == "failed"  # never a "complete" run with a NaN loss
