import pytest
import torch

from nnaudit.errors import UserInputError
from nnaudit.models import describe_model, get_model, list_models


@pytest.mark.parametrize("name, shape", [
    ("perceptron", (1, 28, 28)), ("mlp", (1, 28, 28)), ("mlp", (14,)), ("perceptron", (14,)),
    ("lenet5", (1, 28, 28)), ("lenet5", (3, 32, 32)), ("cifar_cnn", (3, 32, 32)),
    ("resnet18", (1, 64, 64)),
])
def test_every_model_maps_inputs_to_class_scores(name, shape):
    model = get_model(name, shape, num_classes=7)
    out = model(torch.rand(2, *shape))
    assert out.shape == (2, 7) and torch.isfinite(out).all()


def test_lenet5_has_the_papers_layer_sizes():
    model = get_model("lenet5", (1, 32, 32), 10)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [c.out_channels for c in convs] == [6, 16]
    assert [(f.in_features, f.out_features) for f in linears] == [(400, 120), (120, 84), (84, 10)]


def test_switches_add_the_layers_they_name():
    plain = get_model("cifar_cnn", (3, 32, 32), 10)
    regularized = get_model("cifar_cnn", (3, 32, 32), 10, batch_norm=True, dropout=0.5)
    kinds = lambda m: {type(x).__name__ for x in m.modules()}  # noqa: E731
    assert "BatchNorm2d" not in kinds(plain) and "BatchNorm2d" in kinds(regularized)
    sigmoid = get_model("mlp", (4,), 2, widths=[8, 8], activation="sigmoid")
    assert sum(isinstance(m, torch.nn.Sigmoid) for m in sigmoid.modules()) == 2


def test_unknown_or_mismatched_models_are_user_errors():
    with pytest.raises(UserInputError, match="unknown model 'gpt'"):
        get_model("gpt", (1, 28, 28), 10)
    with pytest.raises(UserInputError, match="needs image inputs"):
        get_model("lenet5", (14,), 2)
    assert set(list_models()) == {"perceptron", "mlp", "lenet5", "cifar_cnn", "resnet18"}
    assert "LeNet-5" in describe_model("lenet5")
