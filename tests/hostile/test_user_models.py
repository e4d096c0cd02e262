"""A factory whose model uses lazy modules (`nn.LazyLinear`): materialized with one dry pass on
the dataset's input shape instead of an internal error (issue 23)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nnaudit.errors import UserInputError


def lazy_mlp(hidden: int = 16) -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.LazyLinear(hidden), nn.ReLU(), nn.Dropout(0.5),
                         nn.LazyLinear(3))


def test_a_lazy_factory_is_materialized_on_the_datasets_shape_with_its_weights(tmp_path):
    from nnaudit.user_model import load_user_model

    torch.manual_seed(0)
    trained = lazy_mlp()
    trained(torch.zeros(1, 1, 4, 5))
    torch.save(trained.state_dict(), tmp_path / "w.pt")

    loaded = load_user_model(lazy_mlp, input_shape=(1, 4, 5), num_classes=3,
                             weights=tmp_path / "w.pt")
    assert loaded.record["parameters"] == 20 * 16 + 16 + 16 * 3 + 3
    x = torch.rand(7, 1, 4, 5)
    assert torch.equal(loaded.model(x), trained.eval()(x))
    fresh = loaded.factory(hidden=8)  # the audits that retrain build fresh, sized copies
    assert fresh.training and fresh[1].weight.shape == (8, 20)


def test_a_lazy_model_that_cannot_take_the_datasets_shape_is_one_sentence():
    from nnaudit.user_model import load_user_model

    def wrong() -> nn.Module:
        return nn.Sequential(nn.LazyLinear(4), nn.Unflatten(1, (2, 2)), nn.LazyConv2d(3, 5))

    with pytest.raises(UserInputError, match="lazy modules cannot be sized from inputs of shape"):
        load_user_model(wrong, input_shape=(6,), num_classes=3)
