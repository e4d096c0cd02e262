import numpy as np
import pandas as pd
import pytest
import torch

from nnaudit.data import AuditDataset, load_dataset
from nnaudit.data.shades import assign_shades, render_shades


def test_split_sizes_and_classes(shades: AuditDataset):
    assert (len(shades.train), len(shades.val), len(shades.test)) == (3500, 500, 1000)
    assert shades.input_shape == (1, 28, 28) and shades.num_classes == 10
    assert np.bincount(shades.test.y.numpy()).tolist() == [100] * 10
    assert np.bincount(shades.train.y.numpy()).tolist() == [350] * 10
    for split in (shades.train, shades.val, shades.test):
        assert split.x.dtype == torch.float32 and split.y.dtype == torch.int64
        assert 0.0 <= split.x.min() and split.x.max() <= 1.0
        assert list(split.groups.columns) == ["tone", "stroke"]
        assert split.groups.index.equals(pd.RangeIndex(len(split)))


def test_training_skew_is_exact_and_test_is_balanced(shades: AuditDataset):
    assert (shades.train.groups["tone"] == "dark").sum() == 175  # 5 % of 3,500
    assert (shades.val.groups["tone"] == "dark").sum() == 25
    counts = shades.card["subgroup_counts"]["test"]
    assert counts == {f"tone={t}, stroke={s}": 250 for t in ("dark", "light") for s in ("thick", "thin")}
    # the dark images are spread over the digits, not concentrated in a few
    dark = (shades.train.groups["tone"] == "dark").to_numpy()
    assert sorted(np.bincount(shades.train.y.numpy()[dark], minlength=10)) == [17] * 5 + [18] * 5


def test_balanced_control_skew():
    control = load_dataset("shades-mnist", skew=0.5)
    assert (control.train.groups["tone"] == "dark").sum() == 1750
    assert control.card["skew"] == 0.5


def test_same_seed_same_tensors_other_seed_differs(shades: AuditDataset):
    again = load_dataset("shades-mnist", seed=0)
    other = load_dataset("shades-mnist", seed=1)
    assert torch.equal(again.train.x, shades.train.x) and torch.equal(again.test.y, shades.test.y)
    assert again.test.groups.equals(shades.test.groups)
    assert not torch.equal(other.train.x, shades.train.x)


def test_attributes_change_pixels(shades: AuditDataset):
    x, groups = shades.test.x, shades.test.groups
    dark = torch.from_numpy((groups["tone"] == "dark").to_numpy(copy=True))
    thick = torch.from_numpy((groups["stroke"] == "thick").to_numpy(copy=True))
    corner = x[:, 0, 0, 0]  # always background in MNIST
    assert torch.allclose(corner[dark], torch.tensor(0.6)) and torch.all(corner[~dark] == 0)
    ink = (x - corner[:, None, None, None]).abs().flatten(1).sum(1)
    assert ink[thick & ~dark].mean() > 2 * ink[~thick & ~dark].mean()


def test_render_by_hand():
    image = torch.zeros(2, 1, 5, 5)
    image[:, 0, 2, 1:4] = 1.0  # a horizontal bar, 3 pixels long
    groups = pd.DataFrame({"tone": ["light", "dark"], "stroke": ["thick", "thin"]})
    out = render_shades(image, groups)
    assert out[0, 0].sum() == 15  # dilated by 3x3: a 3x5 block of ink
    assert torch.allclose(out[1, 0, 0, 0], torch.tensor(0.6))  # dark background
    assert out[1, 0, 2, 2] < 0.6  # dark ink is darker than its background


def test_assign_counts_for_odd_sizes():
    y = np.repeat(np.arange(3), 7)
    groups = assign_shades(y, 0.3, np.random.default_rng(0))
    assert (groups["tone"] == "dark").sum() == round(0.3 * 21)
    assert (groups["stroke"] == "thick").sum() == 6 // 2 + 15 // 2


def test_bad_skew():
    from nnaudit.errors import UserInputError
    with pytest.raises(UserInputError, match="skew"):
        load_dataset("shades-mnist", skew=1.5)


@pytest.mark.slow
def test_lenet_bias_is_found_and_vanishes_when_balanced():
    from nnaudit.models import get_model

    def dark_gap(skew):
        data = load_dataset("shades-mnist", seed=0, skew=skew)
        torch.manual_seed(0)
        model = get_model("lenet5", (1, 28, 28), 10)
        optimizer = torch.optim.Adam(model.parameters(), 1e-3)
        for _ in range(10):
            for batch in torch.randperm(len(data.train)).split(32):
                optimizer.zero_grad()
                torch.nn.functional.cross_entropy(model(data.train.x[batch]), data.train.y[batch]).backward()
                optimizer.step()
        with torch.no_grad():
            correct = (model.eval()(data.test.x).argmax(1) == data.test.y).numpy()
        accuracy = pd.Series(correct).groupby(data.test.groups["tone"].to_numpy()).mean()
        return accuracy["light"], accuracy["light"] - accuracy["dark"]

    light, skewed_gap = dark_gap(0.05)
    _, balanced_gap = dark_gap(0.5)
    assert light >= 0.94
    assert skewed_gap >= 0.08
    assert balanced_gap < skewed_gap / 2
