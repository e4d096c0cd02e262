"""The trainer: determinism, resume, early stopping, learning, schedules, prediction."""

import math
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F

from nnaudit.errors import UserInputError
from nnaudit.train import (HISTORY_COLUMNS, TrainConfig, predict_proba, resolve_device,
                         seed_everything, train_model)

NUMBERS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr"]  # not "seconds"


def small(**overrides):
    settings = dict(epochs=3, batch_size=32, lr=0.01, seed=0)
    settings.update(overrides)
    return TrainConfig(**settings)


def test_same_seed_same_history_and_weights(task, make_lenet):
    train, val = task
    config = small(augment=True)
    a = train_model(make_lenet(dropout=0.3), train, val, config, "cpu")
    b = train_model(make_lenet(dropout=0.3), train, val, config, "cpu")
    assert list(a.history.columns) == HISTORY_COLUMNS
    assert a.history[NUMBERS].equals(b.history[NUMBERS])
    for (name, wa), wb in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        assert torch.equal(wa, wb), name
    c = train_model(make_lenet(dropout=0.3), train, val, small(augment=True, seed=1), "cpu")
    assert not a.history[NUMBERS].equals(c.history[NUMBERS])


def test_lenet_learns_a_separable_task_and_not_shuffled_labels(task, make_lenet, make_split):
    train, val = task
    result = train_model(make_lenet(), train, val, small(epochs=4), "cpu")
    assert result.history["val_acc"].iloc[-1] >= 0.95
    assert result.history["train_loss"].iloc[-1] < result.history["train_loss"].iloc[0]
    assert result.epochs_run == 4 and not result.stopped_early
    assert result.images_per_second > 0
    # Control: labels unrelated to the images cannot be predicted on held-out data.
    shuffled = make_split(train.x, train.y[torch.randperm(len(train.y), generator=torch.Generator().manual_seed(1))])
    control = train_model(make_lenet(), shuffled, val, small(epochs=4), "cpu")
    assert control.history["val_acc"].iloc[-1] < 0.5


def test_resume_after_interrupt_equals_uninterrupted_run(task, make_lenet, tmp_path):
    train, val = task
    config = small(epochs=4, optimizer="sgd", lr=0.05, schedule="step", augment=True)
    full = train_model(make_lenet(dropout=0.3), train, val, config, "cpu")

    checkpoint = tmp_path / "checkpoint.pt"

    def interrupt_after_second_epoch(stats):
        if stats["epoch"] == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_model(make_lenet(dropout=0.3), train, val, config, "cpu",
                    checkpoint_path=checkpoint, on_epoch=interrupt_after_second_epoch)
    saved = torch.load(checkpoint, weights_only=True)
    assert saved["epoch"] == 2 and len(saved["history"]) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]  # no temporary leftovers

    # A fresh model with other initial weights: everything must come from the checkpoint.
    seen = []
    resumed = train_model(make_lenet(dropout=0.3, seed=99), train, val, config, "cpu",
                          checkpoint_path=checkpoint, resume=True,
                          on_epoch=lambda stats: seen.append(stats["epoch"]))
    assert seen == [3, 4]
    assert resumed.history[NUMBERS].equals(full.history[NUMBERS])
    for (name, wa), wb in zip(full.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(wa, wb), name


def test_channels_last_is_a_layout_not_a_result(task, make_lenet):
    train, val = task
    nhwc = train_model(make_lenet(), train, val, small(channels_last=True), "cpu")
    nchw = train_model(make_lenet(), train, val, small(channels_last=False), "cpu")
    conv = nhwc.model.features[3].weight  # 6 input channels: the two layouts differ
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()
    assert nchw.model.features[3].weight.is_contiguous()
    # Same seed, other summation order: the same training within float tolerance.
    assert nhwc.history["val_acc"].to_list() == pytest.approx(nchw.history["val_acc"].to_list(), abs=0.02)


def test_resume_without_checkpoint_starts_afresh(task, make_lenet, tmp_path):
    train, val = task
    result = train_model(make_lenet(), train, val, small(epochs=1), "cpu",
                         checkpoint_path=tmp_path / "none-yet.pt", resume=True)
    assert result.epochs_run == 1 and (tmp_path / "none-yet.pt").exists()


def test_resume_with_other_settings_is_refused(task, make_lenet, tmp_path):
    train, val = task
    checkpoint = tmp_path / "checkpoint.pt"
    train_model(make_lenet(), train, val, small(epochs=1), "cpu", checkpoint_path=checkpoint)
    with pytest.raises(UserInputError, match="batch_size=32"):
        train_model(make_lenet(), train, val, small(epochs=1, batch_size=64), "cpu",
                    checkpoint_path=checkpoint, resume=True)


def test_early_stopping_stops_and_restores_best_weights(task, make_lenet, make_split):
    train, val = task
    # Validation labels contradict the training labels on the training images themselves,
    # so the better the model fits train, the worse its validation loss gets.
    contradicting = make_split(train.x[:64], (train.y[:64] + 1) % 4)
    patience = 2
    result = train_model(make_lenet(), train, contradicting,
                         small(epochs=12, patience=patience), "cpu")
    losses = result.history["val_loss"].tolist()
    best_epoch = losses.index(min(losses)) + 1
    assert result.stopped_early
    assert result.epochs_run == best_epoch + patience < 12
    probs = predict_proba(result.model, contradicting, "cpu")
    restored_loss = F.nll_loss(probs.log(), contradicting.y).item()
    assert restored_loss == pytest.approx(min(losses), rel=1e-4)
    assert restored_loss < losses[-1]
    # Control: on a consistent validation split the same budget runs to the end.
    plain = train_model(make_lenet(), train, val, small(epochs=4, patience=patience), "cpu")
    assert plain.epochs_run == 4 and not plain.stopped_early


@pytest.mark.parametrize("schedule, factors", [
    ("none", [1, 1, 1, 1]),
    ("step", [1, 1, 0.1, 0.01]),            # milestones at 50 % and 75 % of 4 epochs
    ("cosine", [1, 0.853553, 0.5, 0.146447]),  # (1 + cos(pi * t / T)) / 2, t = 0, 8, 16, 24 of 32 steps
])
def test_learning_rate_schedules(task, make_lenet, schedule, factors):
    train, _ = task
    result = train_model(make_lenet(), train, None, small(epochs=4, schedule=schedule),
                         "cpu")
    assert result.history["lr"].tolist() == pytest.approx([0.01 * f for f in factors], rel=1e-5)
    assert result.history["val_loss"].isna().all()


def test_streamed_split_trains_like_a_resident_one(task, make_lenet):
    train, val = task
    stream = SimpleNamespace(x=None, y=train.y, groups=None,
                             stream=torch.utils.data.TensorDataset(train.x, train.y))
    result = train_model(make_lenet(), stream, val, small(epochs=6), "cpu")
    assert result.history["val_acc"].iloc[-1] >= 0.95


def test_predict_proba_is_batched_float32_cpu_probabilities(task, make_lenet):
    train, val = task
    model = make_lenet()
    whole = predict_proba(model, val, "cpu")
    assert whole.shape == (64, 4) and whole.dtype == torch.float32 and whole.device.type == "cpu"
    assert torch.allclose(whole.sum(dim=1), torch.ones(64), atol=1e-5)
    in_pieces = predict_proba(model, val.x, "cpu", batch_size=7)
    assert torch.allclose(whole, in_pieces, atol=1e-6)
    assert model.training  # the caller's mode is restored


@pytest.mark.parametrize("settings, message", [
    ({"optimizer": "rmsprop"}, "train.optimizer must be one of adam, sgd, not 'rmsprop'"),
    ({"schedule": "linear"}, "train.schedule"),
    ({"epochs": 0}, "train.epochs must be at least 1"),
    ({"patience": -1}, "train.patience"),
    ({"lr": float("inf")}, "train.lr must be a positive finite number"),
    ({"weight_decay": float("nan")}, "train.weight_decay"),
    ({"seed": -1}, "seed must be between 0 and 4294967295"),
    ({"seed": 2**32}, "seed must be between"),
])
def test_config_rejects_bad_values_with_one_sentence(settings, message):
    with pytest.raises(UserInputError, match=message):
        TrainConfig(**settings)


def test_a_diverging_loss_stops_training_with_one_sentence(task, make_lenet):
    from nnaudit.train import TrainingDiverged

    train, _ = task
    with pytest.raises(TrainingDiverged, match="diverged .* in epoch 1: lower train.lr"):
        train_model(make_lenet(), train, None, TrainConfig(epochs=2, lr=1e30, batch_size=32),
                    "cpu")


def test_patience_without_validation_split_is_refused(task, make_lenet):
    with pytest.raises(UserInputError, match="validation"):
        train_model(make_lenet(), task[0], None, small(patience=2), "cpu")


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(UserInputError, match="'tpu'"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(UserInputError, match="no CUDA GPU"):
            resolve_device("cuda")


def test_seed_everything_repeats_torch_and_python_draws():
    import random

    seed_everything(7)
    first = (torch.rand(3), random.random())
    seed_everything(7)
    second = (torch.rand(3), random.random())
    assert torch.equal(first[0], second[0]) and first[1] == second[1]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_graph_path_learns_and_matches_eager_quality(task, make_lenet):
    train, val = task
    graphed = train_model(make_lenet(), train, val, small(epochs=4), "cuda")
    eager = train_model(make_lenet(), train, val, small(epochs=4, cuda_graphs=False), "cuda")
    for result in (graphed, eager):
        assert result.history["val_acc"].iloc[-1] >= 0.95
        assert math.isfinite(result.history["train_loss"].iloc[-1])
    probs = predict_proba(graphed.model, val, "cuda")
    assert probs.device.type == "cpu" and probs.dtype == torch.float32


def test_trains_on_the_real_split_type_and_reports_each_epoch(task, make_lenet):
    dataset = pytest.importorskip("nnaudit.data.dataset")
    import pandas as pd

    train, val = (dataset.Split(s.x, s.y, pd.DataFrame(index=range(len(s.y)))) for s in task)
    seen = []
    result = train_model(make_lenet(), train, val, small(epochs=2), "cpu", on_epoch=seen.append)
    assert [s["epoch"] for s in seen] == [1, 2] and all(s["epochs"] == 2 for s in seen)
    assert seen[-1]["val_acc"] == result.history["val_acc"].iloc[-1]
    assert seen[-1]["images_per_second"] > 0
