"""The generalization audit on real digits, and its pieces on hand-worked numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from nnaudit.generalization._gradients import gradient_health, gradient_norms
from nnaudit.generalization._membership import example_losses, loss_threshold_attack
from nnaudit.generalization._noise_sweep import (corrupt_labels, noise_sweep_job,
                                                 noise_sweep_table)
from nnaudit.generalization._subsets import draw_subsets
from nnaudit.models import factory
from nnaudit.train import TrainConfig

CHANCE = 0.1


def test_corrupt_labels_replaces_the_asked_share():
    y = torch.arange(10).repeat(2000)
    assert torch.equal(corrupt_labels(y, 0.0, 10, torch.Generator().manual_seed(0)), y)
    random = corrupt_labels(y, 1.0, 10, torch.Generator().manual_seed(0))
    half = corrupt_labels(y, 0.5, 10, torch.Generator().manual_seed(0))
    # A replaced label keeps the true class with probability 1/10.
    assert (random == y).float().mean().item() == pytest.approx(0.1, abs=0.01)
    assert (half == y).float().mean().item() == pytest.approx(0.55, abs=0.015)


def test_attack_on_separated_losses_is_perfect_and_on_equal_ones_is_chance():
    rng = np.random.default_rng(0)
    perfect = loss_threshold_attack(np.array([0.1, 0.2, 0.3]), np.array([1.0, 2.0]),
                                    n_boot=50, rng=rng)
    assert perfect["auc"] == 1.0 and perfect["advantage"] == 1.0
    same = loss_threshold_attack(rng.exponential(size=500), rng.exponential(size=500),
                                 n_boot=200, rng=rng)
    assert same["auc_low"] < 0.5 < same["auc_high"]


def test_attack_equals_sklearn_roc_with_ties():
    from sklearn.metrics import roc_auc_score, roc_curve

    rng = np.random.default_rng(1)
    members = np.round(rng.exponential(0.7, 400), 1)  # rounded: many tied losses
    nonmembers = np.round(rng.exponential(1.0, 300), 1)
    stats = loss_threshold_attack(members, nonmembers, n_boot=50, rng=rng)
    truth = np.r_[np.ones(len(members)), np.zeros(len(nonmembers))]
    score = -np.r_[members, nonmembers]
    fpr, tpr, _ = roc_curve(truth, score)
    assert stats["auc"] == pytest.approx(roc_auc_score(truth, score), abs=1e-12)
    assert stats["advantage"] == pytest.approx(np.max(tpr - fpr), abs=1e-12)
    assert stats["auc_low"] < stats["auc"] < stats["auc_high"]


def test_example_losses_are_minus_log_probability():
    probs = torch.tensor([[0.5, 0.5], [0.9, 0.1]])
    np.testing.assert_allclose(example_losses(probs, torch.tensor([0, 1])),
                               [np.log(2), -np.log(0.1)], rtol=1e-6)


def test_gradient_health_flags_a_tiny_ratio_and_a_nan():
    norms = pd.DataFrame({"step": [1, 1, 1, 2, 2, 2], "layer": ["a", "b", "out"] * 2,
                          "depth": [1, 2, 3] * 2,
                          "norm": [1e-6, 0.5, 1.0, 2e-6, float("nan"), 2.0]})
    health = gradient_health(norms).set_index("layer")
    assert health.ratio_to_output["a"] == pytest.approx(1e-6)
    assert health.status.to_dict() == {"a": "vanishing", "b": "exploding", "out": "healthy"}


def test_subsets_keep_members_and_heldout_disjoint(shades):
    data = draw_subsets(shades, 400, seed=0)
    assert len(data.y_train) == len(data.y_heldout) == 400
    members = {row.tobytes() for row in data.x_train.flatten(1).numpy()}
    heldout = {row.tobytes() for row in data.x_heldout.flatten(1).numpy()}
    assert len(members) == 400 and not members & heldout


@pytest.mark.slow
def test_deep_sigmoid_mlp_vanishes_and_relu_does_not(shades):
    x, y = shades.train.x[:512], shades.train.y[:512]
    config = TrainConfig(batch_size=64)
    status = {act: gradient_health(gradient_norms(
        factory("mlp", shades.input_shape, 10, widths=(128,) * 8, activation=act), x, y, config,
        "cpu", steps=20, seed=0)).set_index("depth").status for act in ("sigmoid", "relu")}
    assert status["sigmoid"][1] == "vanishing"
    assert (status["relu"] == "healthy").all()


@pytest.fixture(scope="module")
def sweep(shades):
    data = draw_subsets(shades, 500, seed=0)
    job, labels = noise_sweep_job(data, factory("mlp", shades.input_shape, 10), 10,
                                  TrainConfig(batch_size=32), (0.0, 0.5, 1.0), budget=60,
                                  target=0.99, seed=0)
    result = job.run("cpu")
    return data, result, labels, noise_sweep_table(result, (0.0, 0.5, 1.0), 0.99).set_index(
        "fraction")


@pytest.mark.slow
def test_mlp_memorizes_random_labels_but_generalizes_from_true_ones(sweep):
    _, result, _, table = sweep
    assert table.train_acc[1.0] >= 0.95
    assert abs(table.test_acc[1.0] - CHANCE) <= 0.05
    # Generalization from true labels, read on the light-tone digits: the training subset holds
    # 5% dark ones, so the balanced test split's dark half measures the injected bias instead.
    data = sweep[0]
    light = torch.as_tensor((data.groups_test["tone"] == "light").to_numpy())
    true_model = result.predict_proba(data.x_test)[0].argmax(-1)
    assert (true_model[light] == data.y_test[light]).float().mean() >= 0.8
    fitted = result.history[result.history.train_acc >= 0.95].groupby("model").epoch.min()
    assert fitted[2] > fitted[0]  # random labels take longer to fit than true ones


@pytest.mark.slow
def test_test_accuracy_falls_as_label_noise_rises(sweep):
    _, _, _, table = sweep
    assert table.test_acc[0.0] > table.test_acc[0.5] > table.test_acc[1.0]


@pytest.mark.slow
def test_attack_finds_random_label_members_and_control_finds_nothing(sweep):
    data, result, labels, _ = sweep
    rng = np.random.default_rng(0)
    random_k = 2
    members = example_losses(result.predict_proba(data.x_train)[random_k], labels[random_k])
    heldout_labels = corrupt_labels(data.y_heldout, 1.0, 10, torch.Generator().manual_seed(9))
    nonmembers = example_losses(result.predict_proba(data.x_heldout)[random_k], heldout_labels)
    assert loss_threshold_attack(members, nonmembers, n_boot=100, rng=rng)["auc"] >= 0.8
    half = len(nonmembers) // 2
    control = loss_threshold_attack(nonmembers[:half], nonmembers[half:], n_boot=300, rng=rng)
    assert abs(control["auc"] - 0.5) < 0.07
    assert control["auc_low"] < 0.5 < control["auc_high"]


@pytest.mark.slow
def test_default_audits_run_and_are_reproducible_on_cpu(shades):
    from nnaudit.generalization import memorization_audit, seed_stability_audit

    make = factory("mlp", shades.input_shape, 10, widths=(128,))
    for audit in (memorization_audit, seed_stability_audit):
        first, second = (audit(shades, make, TrainConfig(epochs=3), "cpu", seed=1)
                         for _ in range(2))
        assert first.protocol["name"] == "default"
        for name, table in first.tables.items():
            timing = ["seconds", "seconds_to_target"]
            pd.testing.assert_frame_equal(table.drop(columns=timing, errors="ignore"),
                                          second.tables[name].drop(columns=timing,
                                                                   errors="ignore"))
        assert [f.text for f in first.findings] == [f.text for f in second.findings]
    assert set(first.summary) >= {"seed_test_acc_mean", "seed_test_acc_std"}


def test_membership_attack_on_a_model_that_saw_its_members(shades):
    """A model fitted hard to 200 training digits leaks them; the control attack does not."""
    from nnaudit.data.dataset import AuditDataset, Split
    from nnaudit.generalization import membership_audit
    from nnaudit.generalization._protocol import make_protocol
    from nnaudit.models import get_model
    from nnaudit.train import train_model
    from dataclasses import replace

    rows = slice(0, 200)
    train = Split(shades.train.x[rows], shades.train.y[rows], shades.train.groups.iloc[rows])
    dataset = AuditDataset("small", train, shades.val, shades.test, shades.classes,
                           shades.sensitive, {})
    torch.manual_seed(0)
    model = train_model(get_model("mlp", shades.input_shape, 10), train, None,
                        TrainConfig(epochs=40, batch_size=20, schedule="none"), "cpu").model
    plan = replace(make_protocol("default", torch.device("cpu")), n_members=200, n_boot=100)
    result = membership_audit(model, dataset, "cpu", protocol=plan)
    table = result.tables["membership"].set_index(["model", "attribute"])
    assert table.loc[("audited model", "all"), "auc_low"] > 0.6
    control = table.loc[("control", "all")]
    assert control.auc_low < 0.5 < control.auc_high
    assert result.summary["train_test_gap"] > 0.1
