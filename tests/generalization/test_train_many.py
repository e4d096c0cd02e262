"""train_many: K models trained together behave like K separate trainings."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
import torch

from nnaudit.data.dataset import Split
from nnaudit.train import TrainConfig, train_model
from nnaudit.train import train_many
from nnaudit.models import factory, get_model

SMALL_MLP = {"widths": (64,)}


def mlp(shape=(1, 8, 8), classes=4, **options):
    return factory("mlp", shape, classes, **{**SMALL_MLP, **options})


def _toy(n=300, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 8, 8, generator=g), torch.randint(0, 4, (n,), generator=g)


def test_one_model_matches_train_model():
    x, y = _toy()
    config = TrainConfig(epochs=2, batch_size=50, seed=3)
    torch.manual_seed(3)
    reference = get_model("mlp", (1, 8, 8), 4, **SMALL_MLP)
    plain = train_model(reference, Split(x, y, pd.DataFrame(index=range(len(y)))), None,
                        config, "cpu")
    stacked = train_many(mlp(), x, y, config=config, device="cpu", seeds=[3])
    for name, value in reference.state_dict().items():
        torch.testing.assert_close(stacked.model(0).state_dict()[name], value,
                                   atol=1e-4, rtol=1e-4)
    assert stacked.history.train_loss.tolist() == pytest.approx(
        plain.history.train_loss.tolist(), rel=1e-4)


def test_model_k_of_a_stack_is_the_model_trained_alone():
    x, y = _toy()
    other = torch.roll(y, 1)
    config = TrainConfig(epochs=2, batch_size=50)
    stack = train_many(mlp(), x, torch.stack([y, other]), config=config, device="cpu",
                       seeds=[5, 6])
    alone = train_many(mlp(), x, other, config=config, device="cpu", seeds=[6])
    torch.testing.assert_close(stack.predict_proba(x)[1], alone.predict_proba(x)[0],
                               atol=1e-4, rtol=1e-4)
    # Asking for some models of the stack gives exactly their rows of the whole stack.
    torch.testing.assert_close(stack.predict_proba(x, models=[1]), stack.predict_proba(x)[1:])


def test_same_seed_gives_identical_results_on_cpu():
    x, y = _toy()
    config = TrainConfig(epochs=2, batch_size=50)
    runs = [train_many(mlp(dropout=0.3), x, torch.stack([y, y.flip(0)]), config=config,
                       device="cpu", seeds=[1, 2])
            for _ in range(2)]
    pd.testing.assert_frame_equal(runs[0].history.drop(columns="seconds"),
                                  runs[1].history.drop(columns="seconds"))
    for name in runs[0].params:
        assert torch.equal(runs[0].params[name], runs[1].params[name])


@pytest.mark.slow
def test_models_with_different_labels_learn_different_things(shades):
    rows = torch.randperm(len(shades.train), generator=torch.Generator().manual_seed(0))[:500]
    x, y = shades.train.x[rows], shades.train.y[rows]
    shuffled = y[torch.randperm(len(y), generator=torch.Generator().manual_seed(1))]
    result = train_many(factory("mlp", shades.input_shape, 10), x,
                        torch.stack([y, shuffled]), config=TrainConfig(epochs=60, batch_size=32),
                        device="cpu", x_test=shades.test.x, y_test=shades.test.y)
    last = result.history[result.history.epoch == result.epochs_run].set_index("model")
    predicted = result.predict_proba(x).argmax(-1)
    # Each model agrees with its own labels far more than with the other model's.
    assert (predicted[0] == y).float().mean() > (predicted[0] == shuffled).float().mean() + 0.5
    assert (predicted[1] == shuffled).float().mean() > (predicted[1] == y).float().mean() + 0.3
    # The true-label model in the stack generalizes; the shuffled one does not.
    # Read on light-tone digits: training holds 5% dark ones (the injected bias).
    light = torch.as_tensor((shades.test.groups["tone"] == "light").to_numpy())
    on_test = result.predict_proba(shades.test.x).argmax(-1)
    assert (on_test[0][light] == shades.test.y[light]).float().mean() > 0.8
    assert last.test_acc[1] < 0.25
    # result.model(k) is the same network as row k of the stack.
    torch.testing.assert_close(torch.softmax(result.model(1)(x[:50]), 1),
                               result.predict_proba(x[:50])[1], atol=1e-5, rtol=1e-4)


def test_stop_at_train_acc_stops_before_the_budget():
    x, y = _toy()
    result = train_many(mlp(widths=(256,)), x, y,
                        config=TrainConfig(epochs=200, batch_size=50, lr=3e-3), device="cpu",
                        stop_at_train_acc=0.9)
    assert result.epochs_run < 200
    assert result.history.train_acc.iloc[-1] >= 0.9


def test_a_model_that_reached_the_target_leaves_the_stack():
    """Each model stops at its own fit and the others train on without it: every model of the
    stack ends as it ends trained alone (the survivors keep their optimizer state)."""
    x, _ = _toy()
    easy = (x[:, 0, 0, 0] > 0.5).long()  # read off one pixel: fitted in a few epochs
    hard = torch.randint(0, 4, (len(x),), generator=torch.Generator().manual_seed(7))
    config = TrainConfig(epochs=40, batch_size=50, lr=3e-3)
    stack = train_many(mlp(widths=(256,)), x, torch.stack([easy, hard]), config=config,
                       device="cpu", seeds=[1, 2], stop_at_train_acc=0.95)
    epochs = stack.history.groupby("model").epoch.max()
    assert epochs[0] < epochs[1]
    last = stack.history.groupby("model").tail(1).set_index("model")
    assert last.train_acc[0] >= 0.95
    assert (stack.history[stack.history.model == 0].train_acc.iloc[:-1] < 0.95).all()
    for k, (labels, seed) in enumerate([(easy, 1), (hard, 2)]):
        alone = train_many(mlp(widths=(256,)), x, labels, config=config, device="cpu",
                           seeds=[seed], stop_at_train_acc=0.95)
        assert alone.epochs_run == epochs[k]
        torch.testing.assert_close(stack.predict_proba(x)[k], alone.predict_proba(x)[0],
                                   atol=1e-4, rtol=1e-4)


def test_batch_norm_is_refused():
    x, y = _toy()
    with pytest.raises(ValueError, match="BatchNorm"):
        train_many(mlp(batch_norm=True), x, y,
                   config=TrainConfig(epochs=1), device="cpu")


def test_test_accuracy_every_epoch_only_where_asked():
    x, y = _toy()
    config = TrainConfig(epochs=3, batch_size=50)
    every = train_many(mlp(), x, torch.stack([y, y.flip(0)]), config=config, device="cpu",
                       seeds=[1, 2], x_test=x[:60], y_test=y[:60])
    some = train_many(mlp(), x, torch.stack([y, y.flip(0)]), config=config, device="cpu",
                      seeds=[1, 2], x_test=x[:60], y_test=y[:60], test_every_epoch=[1])
    curve = some.history.pivot(index="epoch", columns="model", values="test_acc")
    assert curve[0].isna().tolist() == [True, True, False]  # measured after its last epoch only
    assert curve[1].notna().all()
    pd.testing.assert_frame_equal(curve.iloc[-1:], every.history.pivot(
        index="epoch", columns="model", values="test_acc").iloc[-1:])


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_graph_stack_matches_eager_steps_and_survives_a_shrinking_stack():
    """The stacked step replayed as a CUDA graph trains what the eager step trains, and is
    captured again when a fitted model leaves the stack."""
    x, _ = _toy()
    easy = (x[:, 0, 0, 0] > 0.5).long()
    hard = torch.randint(0, 4, (len(x),), generator=torch.Generator().manual_seed(7))
    ys = torch.stack([easy, hard])
    config = TrainConfig(epochs=30, batch_size=50, lr=3e-3, amp=False)
    graphed, eager = (train_many(mlp(widths=(256,)), x, ys, config=replace(config, cuda_graphs=on),
                                 device="cuda", seeds=[1, 2], stop_at_train_acc=0.95)
                      for on in (True, False))
    for result in (graphed, eager):
        assert result.history.groupby("model").epoch.max()[0] < 30  # the stack shrank
    fitted = [(r.predict_proba(x).argmax(-1) == ys).float().mean(1) for r in (graphed, eager)]
    torch.testing.assert_close(fitted[0], fitted[1], atol=0.05, rtol=0)
