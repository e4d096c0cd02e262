"""The pieces of the saliency audit on hand-worked numbers, and tabular feature importances."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from nnaudit.saliency import saliency_audit
from nnaudit.saliency._faithfulness import _rank, curve_aucs, deletion_insertion_curves
from nnaudit.saliency._findings import FOREGROUND_GAP, compute
from nnaudit.saliency._sanity import _cascade_steps, _spearman_rows, map_similarity
from nnaudit.saliency._subgroups import foreground_mask, foreground_share_table
from nnaudit.models import get_model


def test_spearman_rows_hand_worked():
    a = np.array([[1.0, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]])
    b = np.array([[10.0, 20, 30, 40], [4, 3, 2, 1], [5, 5, 5, 5], [1, 3, 2, 4]])
    # last row: rank differences 0, 1, 1, 0 -> 1 - 6 * 2 / (4 * 15) = 0.8
    assert _spearman_rows(a, b) == pytest.approx([1.0, -1.0, 0.0, 0.8])


def test_map_similarity_abs_and_signed_differ_on_a_sign_flip():
    a = torch.arange(1.0, 17.0).view(1, 1, 4, 4)
    similarity = map_similarity(a, -a)
    assert similarity["spearman_abs"][0] == pytest.approx(1.0)
    assert similarity["spearman_signed"][0] == pytest.approx(-1.0)
    assert similarity["ssim"][0] == pytest.approx(1.0)
    assert np.isnan(map_similarity(a.flatten(1), a.flatten(1))["ssim"]).all()


def test_cascade_steps_bound_the_cost_but_always_end_fully_randomized():
    layers = [(name, None) for name in ["fc3", "fc2", "fc1", "conv2", "conv1"]]
    assert _cascade_steps(layers, 3) == [("fc3", ["fc3"]), ("fc2", ["fc2"]),
                                         ("all remaining layers", ["fc1", "conv2", "conv1"])]
    assert [label for label, _ in _cascade_steps(layers, None)] == [n for n, _ in layers]


def test_rank_puts_the_most_important_position_first():
    assert _rank(torch.tensor([[0.1, 0.9, 0.5]])).tolist() == [[2, 0, 1]]


class _FeatureZeroModel(nn.Module):
    """Logits (ln 3 * x0, 0): class 0 has probability 3/4 when x0 = 1 and 1/2 when x0 = 0."""

    def forward(self, x):
        return torch.stack([np.log(3.0) * x[:, 0], torch.zeros(len(x))], dim=1)


def test_deletion_curve_and_auc_hand_worked():
    x, target = torch.ones(1, 2), torch.zeros(1, dtype=torch.int64)
    curves = deletion_insertion_curves(_FeatureZeroModel(), x, target,
                                       {"right": torch.tensor([[1.0, 0.0]]),
                                        "wrong": torch.tensor([[0.0, 1.0]])}, steps=2)
    deletion = curves[curves["curve"] == "deletion"].groupby("method")["probability"].apply(list)
    assert deletion["right"] == pytest.approx([0.75, 0.5, 0.5])
    assert deletion["wrong"] == pytest.approx([0.75, 0.75, 0.5])
    aucs = curve_aucs(curves).set_index("method")
    # trapezoids of width 0.5: (0.75 + 0.5) / 4 + (0.5 + 0.5) / 4 = 0.5625
    assert aucs.loc["right", "deletion_auc"] == pytest.approx(0.5625)
    assert aucs.loc["wrong", "deletion_auc"] == pytest.approx(0.6875)
    assert aucs.loc["right", "insertion_auc"] == pytest.approx(0.6875)


def test_foreground_mask_follows_a_tinted_background():
    image = torch.full((1, 3, 5, 5), 0.6)       # dark-tone style: bright-ish background
    image[0, :, 1:4, 2] = 0.0                   # a dark vertical stroke
    mask = foreground_mask(image)[0]
    expected = np.zeros((5, 5), dtype=bool)
    expected[1:4, 2] = True
    assert (mask == expected).all()


def test_background_reliance_of_one_group_is_reported():
    x = torch.zeros(4, 1, 4, 4)
    x[:, :, 1:3, 1:3] = 1.0                     # 4 digit pixels out of 16
    maps = torch.zeros_like(x)
    maps[:2, :, 1:3, 1:3] = 1.0                 # group "light": all mass on the digit
    maps[2:, :, 0, :] = 1.0                     # group "dark": all mass on the background
    groups = pd.DataFrame({"tone": ["light", "light", "dark", "dark"]})
    table = foreground_share_table({"saliency": maps}, foreground_mask(x), groups)
    shares = table.set_index("subgroup")["foreground_share"]
    assert shares.to_dict() == pytest.approx({"all": 0.5, "dark": 0.0, "light": 1.0})
    assert table["foreground_pixel_share"].tolist() == pytest.approx([0.25] * 3)
    verdicts = pd.DataFrame({"method": ["saliency"], "full_randomization_spearman_abs": [0.1],
                             "full_randomization_spearman_signed": [0.0], "passes": [True]})
    aucs = pd.DataFrame({"method": ["saliency", "random order"], "deletion_auc": [0.1, 0.5],
                         "insertion_auc": [0.9, 0.5]})
    gaps = [f for f in compute(verdicts, aucs, table, None) if f.template == FOREGROUND_GAP]
    assert len(gaps) == 1
    assert gaps[0].params["group"] == "dark" and gaps[0].params["share_pct"] == 0.0


def test_no_background_finding_when_groups_look_alike():
    x = torch.zeros(4, 1, 4, 4)
    x[:, :, 1:3, 1:3] = 1.0
    maps = x.clone()                            # every example: all mass on the digit
    groups = pd.DataFrame({"tone": ["light", "light", "dark", "dark"]})
    table = foreground_share_table({"saliency": maps}, foreground_mask(x), groups)
    verdicts = pd.DataFrame({"method": ["saliency"], "full_randomization_spearman_abs": [0.1],
                             "full_randomization_spearman_signed": [0.0], "passes": [True]})
    aucs = pd.DataFrame({"method": ["saliency", "random order"], "deletion_auc": [0.1, 0.5],
                         "insertion_auc": [0.9, 0.5]})
    assert not [f for f in compute(verdicts, aucs, table, None) if f.template == FOREGROUND_GAP]


def test_tabular_importances_rank_the_informative_feature_first():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(800, 5, generator=generator)
    y = (x[:, 2] + 0.2 * torch.randn(800, generator=generator) > 0).long()
    torch.manual_seed(0)
    model = get_model("mlp", (5,), 2, widths=(16,))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(150):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x[:600]), y[:600]).backward()
        optimizer.step()
    names = ["noise_a", "noise_b", "signal", "noise_c", "noise_d"]
    groups = pd.DataFrame({"sex": np.where(np.arange(200) % 2 == 0, "female", "male")})
    dataset = SimpleNamespace(name="synthetic", classes=["no", "yes"],
                              card={"feature_names": names},
                              test=SimpleNamespace(x=x[600:], y=y[600:], groups=groups))
    result = saliency_audit(model, dataset, "cpu", n_examples=64)
    table = result.tables["feature_importance"]
    top = table[table["rank"] == 1]
    assert set(top["method"]) == {"integrated_gradients", "input_x_gradient"}
    assert set(top["feature"]) == {"signal"}    # overall and in both groups
    assert set(top["subgroup"]) == {"all", "female", "male"}
    assert "feature_importance" in result.figures
    assert result.summary["deletion_auc"]["integrated_gradients"] < result.summary[
        "random_order_deletion_auc"]


@pytest.mark.slow
def test_full_protocol_adds_captum_infidelity_and_sensitivity():
    x, y = torch.rand(12, 1, 12, 12), torch.randint(0, 10, (12,))
    groups = pd.DataFrame({"tone": ["light", "dark"] * 6})
    dataset = SimpleNamespace(name="tiny", classes=[str(d) for d in range(10)], card={},
                              test=SimpleNamespace(x=x, y=y, groups=groups))
    result = saliency_audit(get_model("lenet5", (1, 12, 12), 10), dataset, "cpu", n_examples=4,
                            protocol="full")
    scores = result.tables["faithfulness"].set_index("method").drop(index="random order")
    assert np.isfinite(scores[["infidelity", "sensitivity_max"]].to_numpy()).all()
    assert result.tables["cascade"]["step"].max() == 5   # one step per LeNet-5 layer
