import numpy as np
import pandas as pd
import pytest
import torch

from nnaudit.data import load_dataset
from nnaudit.data.dataset import stratified_indices
from nnaudit.errors import UserInputError


@pytest.fixture
def people_csv(tmp_path):
    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame({
        "income": rng.normal(50, 10, n).round(1),
        "city": rng.choice(["Lyon", "Paris", "Nantes"], n),
        "sex": rng.choice(["F", "M"], n),
        "age": rng.integers(18, 80, n),
        "label": np.where(rng.random(n) < 0.4, "yes", "no"),
    })
    path = tmp_path / "people.csv"
    frame.to_csv(path, index=False)
    return path, frame


def load(path, **options):
    return load_dataset("csv", path=str(path), target="label", **{"sensitive": ["sex"], **options})


def test_scaling_is_fitted_on_train_only(people_csv):
    path, frame = people_csv
    data = load(path)
    features = data.card["features"]
    assert features[0] == "income" and "sex_F" not in features and "age" in features
    assert torch.allclose(data.train.x[:, 0].mean(), torch.tensor(0.0), atol=1e-5)
    # The same seeded split, by hand: test rows are scaled with the training mean and std only.
    y = np.searchsorted(data.classes, frame["label"].to_numpy())
    train_rows, _, test_rows = stratified_indices(y, 0.2, 0.1, seed=0)
    income = frame["income"].to_numpy()
    expected = (income[test_rows] - income[train_rows].mean()) / income[train_rows].std()
    assert np.allclose(data.test.x[:, 0].numpy(), expected, atol=1e-5)
    all_rows_scaled = (income[test_rows] - income.mean()) / income.std()
    assert not np.allclose(data.test.x[:, 0].numpy(), all_rows_scaled, atol=1e-3)


def test_groups_categories_and_include_sensitive(people_csv):
    path, _ = people_csv
    data = load(path, bins={"age": [0, 40, 120]}, sensitive=["sex", "age"])
    assert data.sensitive == ["sex", "age"]
    assert set(data.test.groups["age"]) == {"0-40", "40-120"}
    assert data.classes == ["no", "yes"] and data.num_classes == 2
    assert data.input_shape == (4,)  # income, city x 3 (age and sex stay out)
    with_sensitive = load(path, include_sensitive=True)
    assert "sex_F" in with_sensitive.card["features"]
    assert sum(len(s) for s in (data.train, data.val, data.test)) == 200


def test_a_numeric_sensitive_column_is_cut_at_its_quantiles_never_one_group_per_value(people_csv):
    path, frame = people_csv
    data = load(path, sensitive=["sex", "age"])
    groups = pd.concat([data.train.groups, data.val.groups, data.test.groups])
    assert groups["age"].nunique() == 4  # quartiles, not 62 ages
    quartiles = np.quantile(frame["age"], [0.25, 0.5, 0.75])
    edges = [int(edge.split("-")[0]) for edge in sorted(groups["age"].unique(),
                                                        key=lambda b: int(b.split("-")[0]))]
    assert edges == [18, *np.floor(quartiles).astype(int)]
    counts = groups["age"].value_counts()
    assert counts.min() > 30  # quantile bands share the rows
    assert "quantiles" in data.card["attributes"]["age"]
    three = load(path, sensitive=["age"], bins={"age": 3})
    assert three.test.groups["age"].nunique() == 3 and "3 bands" in three.card["attributes"]["age"]
    with pytest.raises(UserInputError, match="bins for 'age' must be a list of edges or a number"):
        load(path, sensitive=["age"], bins={"age": "many"})


def test_bad_inputs(people_csv, tmp_path):
    path, frame = people_csv
    with pytest.raises(UserInputError, match="'salary'"):
        load_dataset("csv", path=str(path), target="salary")
    with pytest.raises(UserInputError, match="single class"):
        frame.assign(label="yes").to_csv(tmp_path / "one.csv", index=False)
        load_dataset("csv", path=str(tmp_path / "one.csv"), target="label")
    with pytest.raises(UserInputError, match="'income'"):
        frame.assign(income=frame["income"].where(frame.index != 3)).to_csv(tmp_path / "nan.csv", index=False)
        load_dataset("csv", path=str(tmp_path / "nan.csv"), target="label")
    with pytest.raises(UserInputError, match="does not exist"):
        load_dataset("csv", path=str(tmp_path / "absent.csv"), target="label")
    with pytest.raises(UserInputError, match="positive"):
        load(path, positive="maybe")


def test_adult_and_german_presets(shared_data):
    adult = load_dataset("adult", data_dir=shared_data)
    assert len(adult.test) == 16281 and len(adult.train) + len(adult.val) == 32561
    assert adult.classes == ["<=50K", ">50K"] and adult.positive_class == ">50K"
    assert set(adult.test.groups["sex"]) == {"Female", "Male"}
    assert not any(f.startswith("sex_") for f in adult.card["features"])
    german = load_dataset("german", data_dir=shared_data)
    assert sum(len(s) for s in (german.train, german.val, german.test)) == 1000
    assert german.classes == ["bad", "good"]
    total_good = sum(int((s.y == 1).sum()) for s in (german.train, german.val, german.test))
    assert total_good == 700  # UCI: 700 good, 300 bad
    assert set(german.train.groups["age"]) == {"0-26", "26-120"}
