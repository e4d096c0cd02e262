"""Model options are validated against the builder's signature: no key is silently ignored."""

import pytest

from nnaudit.errors import UserInputError
from nnaudit.generalization._ablation import with_dropout
from nnaudit.models import ModelFactory, factory, get_model, list_models, model_options


def test_a_misspelled_option_is_refused_by_name():
    with pytest.raises(UserInputError, match=r"model 'lenet5' has no option 'dropuot'; "
                                             r"its options are: dropout, batch_norm\."):
        get_model("lenet5", (1, 28, 28), 10, dropuot=0.5)


@pytest.mark.parametrize("name, shape", [("perceptron", (4,)), ("resnet18", (1, 32, 32))])
def test_models_without_options_refuse_dropout(name, shape):
    with pytest.raises(UserInputError, match=r"has no option 'dropout'; its options are: none\."):
        get_model(name, shape, 2, dropout=0.5)


def test_every_model_lists_its_options():
    assert model_options("mlp") == ["widths", "activation", "dropout", "batch_norm"]
    assert model_options("cifar_cnn") == ["widths", "dropout", "batch_norm"]
    assert model_options("lenet5") == ["dropout", "batch_norm"]
    assert model_options("perceptron") == model_options("resnet18") == []
    with pytest.raises(UserInputError, match="unknown model"):
        model_options("gpt")
    assert set(list_models()) == {"perceptron", "mlp", "lenet5", "cifar_cnn", "resnet18"}


def test_valid_options_still_build():
    model = get_model("lenet5", (1, 28, 28), 10, dropout=0.5, batch_norm=True)
    kinds = {type(m).__name__ for m in model.modules()}
    assert {"Dropout", "BatchNorm2d"} <= kinds
    mlp = get_model("mlp", (6,), 3, widths=(8,), activation="tanh", dropout=0.1)
    assert any(type(m).__name__ == "Tanh" for m in mlp.modules())


def test_the_ablation_gives_dropout_only_to_models_that_take_it():
    def build(**options):  # a user's factory without a dropout option
        return get_model("perceptron", (4,), 2)

    mlp = factory("mlp", (6,), 2, widths=(8,))
    assert with_dropout(mlp, 0.5).options == {"widths": (8,), "dropout": 0.5}
    assert with_dropout(factory("lenet5", (1, 28, 28), 10, dropout=0.1), 0.5).options == {
        "dropout": 0.5}
    for name, shape in (("perceptron", (4,)), ("resnet18", (1, 32, 32))):
        plain = factory(name, shape, 2)
        assert with_dropout(plain, 0.5) is plain
        with_dropout(plain, 0.5)()  # and what it gives builds
    users = ModelFactory("mine", build)
    assert with_dropout(users, 0.5) is users
    assert mlp.options == {"widths": (8,)}  # the original factory is not changed
    assert any(type(m).__name__ == "Dropout" for m in with_dropout(mlp, 0.5)().modules())
