"""The trainer's two group remedies: per-example loss weights and group-balanced draws."""

import copy
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nnaudit.errors import UserInputError
from nnaudit.train import TrainConfig, train_model


class IndexRecorder(nn.Module):
    """A linear classifier over one feature, the example's index, which it records when
    training: the indices it saw are the examples the trainer drew."""

    def __init__(self, classes: int = 2):
        super().__init__()
        self.linear = nn.Linear(1, classes)
        self.seen: list[torch.Tensor] = []

    def forward(self, x):
        if self.training:
            self.seen.append(x[:, 0].detach().long().clone())
        return self.linear(x / 1000.0)


def indexed_split(groups: torch.Tensor):
    n = len(groups)
    return SimpleNamespace(x=torch.arange(n, dtype=torch.float32)[:, None],
                           y=groups.long() % 2, groups=None, stream=None)


def config(**overrides):
    return TrainConfig(**{"epochs": 1, "batch_size": 50, "lr": 0.01, "seed": 0, **overrides})


def test_balanced_draw_gives_each_group_an_equal_share():
    # 900 examples of group 0, 80 of group 1, 20 of group 2: a 45:4:1 imbalance.
    groups = torch.cat([torch.zeros(900), torch.ones(80), torch.full((20,), 2)]).long()
    model = IndexRecorder()
    train_model(model, indexed_split(groups), None, config(epochs=20), "cpu",
                balance_groups=groups)
    drawn = groups[torch.cat(model.seen)]
    shares = torch.bincount(drawn, minlength=3) / len(drawn)
    # 20 epochs x 1,000 draws: a share's standard error is 0.0033; 4 of them allowed.
    assert torch.allclose(shares, torch.full((3,), 1 / 3), atol=0.014), shares
    assert len(drawn) == 20 * 1000
    # Each of the 20 rare examples is drawn about 1000/3/20 = 17 times per epoch.
    rare = torch.bincount(torch.cat(model.seen), minlength=1000)[980:]
    assert rare.float().mean() / 20 == pytest.approx(1000 / 3 / 20, rel=0.1)


def test_without_balancing_an_epoch_is_a_permutation():
    groups = torch.cat([torch.zeros(900), torch.ones(100)]).long()
    model = IndexRecorder()
    train_model(model, indexed_split(groups), None, config(epochs=2), "cpu")
    first_epoch = torch.cat(model.seen)[:1000]
    assert torch.equal(first_epoch.sort().values, torch.arange(1000))


def test_sample_weights_give_the_weighted_mean_loss_and_its_gradient():
    torch.manual_seed(0)
    n = 40
    x = torch.randn(n, 3)
    y = (x[:, 0] > 0).long()
    split = SimpleNamespace(x=x, y=y, groups=None, stream=None)
    weights = torch.where(y == 1, 4.0, 1.0)
    model = nn.Linear(3, 2)
    before = copy.deepcopy(model)
    # One SGD step on one batch of all examples: the history holds the loss before the step.
    result = train_model(model, split, None, config(batch_size=n, optimizer="sgd", momentum=0.0,
                                                    lr=0.5, schedule="none"), "cpu",
                         sample_weights=weights)

    by_hand = copy.deepcopy(before)
    per_example = F.cross_entropy(by_hand(x), y, reduction="none")
    loss = (per_example * weights / weights.mean()).mean()
    loss.backward()
    assert result.history["train_loss"].iloc[0] == pytest.approx(loss.item(), rel=1e-5)
    for trained, start in zip(model.parameters(), by_hand.parameters()):
        assert torch.allclose(trained.detach(), start.detach() - 0.5 * start.grad, atol=1e-6)
    # The weights matter: unweighted, the loss and the step differ.
    assert loss.item() != pytest.approx(per_example.mean().item(), rel=1e-3)


def test_equal_weights_train_exactly_as_no_weights():
    torch.manual_seed(0)
    x, y = torch.randn(64, 3), torch.randint(0, 2, (64,))
    split = SimpleNamespace(x=x, y=y, groups=None, stream=None)
    torch.manual_seed(1)
    plain = train_model(nn.Linear(3, 2), split, None, config(epochs=3, batch_size=16), "cpu")
    torch.manual_seed(1)
    weighted = train_model(nn.Linear(3, 2), split, None, config(epochs=3, batch_size=16), "cpu",
                           sample_weights=torch.full((64,), 7.0))
    assert plain.history["train_loss"].tolist() == pytest.approx(
        weighted.history["train_loss"].tolist(), rel=1e-6)


@pytest.mark.parametrize("arguments, message", [
    ({"sample_weights": torch.ones(5)}, "sample_weights has 5 values for 10 training examples"),
    ({"sample_weights": torch.tensor([-1.0] + [1.0] * 9)}, "finite and non-negative"),
    ({"sample_weights": torch.zeros(10)}, "not all 0"),
    ({"balance_groups": torch.rand(10)}, "one integer group code per training example"),
])
def test_bad_remedy_arguments_are_refused_in_one_sentence(arguments, message):
    split = SimpleNamespace(x=torch.randn(10, 3), y=torch.randint(0, 2, (10,)), groups=None,
                            stream=None)
    with pytest.raises(UserInputError, match=message):
        train_model(nn.Linear(3, 2), split, None, config(), "cpu", **arguments)


def test_a_streamed_split_cannot_be_balanced():
    data = torch.utils.data.TensorDataset(torch.randn(10, 3), torch.randint(0, 2, (10,)))
    split = SimpleNamespace(x=None, y=torch.zeros(10), groups=None, stream=data)
    with pytest.raises(UserInputError, match="need the training split in memory"):
        train_model(nn.Linear(3, 2), split, None, config(), "cpu",
                    balance_groups=torch.zeros(10, dtype=torch.long))
