"""Bad data files a user can hand a loader: each is one sentence naming the file, column or
class (`UserInputError`), never an internal error; a foreign cache file is never executed."""

from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from nnaudit.data import load_dataset
from nnaudit.errors import UserInputError


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    n = 120
    frame = pd.DataFrame({"x": rng.normal(size=n), "sex": rng.choice(["F", "M"], n),
                          "label": rng.choice(["no", "yes"], n)})
    return frame


def load_csv(path):
    return load_dataset("csv", path=str(path), target="label", sensitive=["sex"])


def one_line(error: pytest.ExceptionInfo) -> str:
    text = str(error.value)
    assert "\n" not in text and "weights_only" not in text
    return text


def test_a_missing_target_value_names_the_column(table, tmp_path):
    table.loc[7, "label"] = np.nan
    table.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(UserInputError) as error:
        load_csv(tmp_path / "t.csv")
    assert "target column 'label'" in one_line(error) and "1 missing" in one_line(error)


def test_a_class_with_a_single_row_names_the_class(table, tmp_path):
    table.loc[7, "label"] = "maybe"
    table.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(UserInputError) as error:
        load_csv(tmp_path / "t.csv")
    assert "class 'maybe'" in one_line(error) and "1 row(s)" in one_line(error)


def test_a_folder_given_as_a_csv_is_said_to_be_a_folder(tmp_path):
    (tmp_path / "data.csv").mkdir()
    with pytest.raises(UserInputError, match="is a folder, not a file") as error:
        load_csv(tmp_path / "data.csv")
    one_line(error)


@pytest.fixture
def images(tmp_path):
    rows = []
    for i in range(12):
        Image.fromarray(np.full((6, 6, 3), 40 * (i % 2), np.uint8)).save(tmp_path / f"{i}.png")
        rows.append({"file": f"{i}.png", "label": "ab"[i % 2], "sex": "FM"[i % 3 == 0]})
    pd.DataFrame(rows).to_csv(tmp_path / "meta.csv", index=False)
    return tmp_path / "meta.csv"


def load_images(csv):
    return load_dataset("image-folder", csv=str(csv), target_column="label",
                        sensitive_columns=["sex"], image_size=4, test_size=4, val_size=2)


def test_a_binary_metadata_csv_and_a_folder_are_one_sentence(images):
    images.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(UserInputError, match="metadata CSV .*meta.csv' cannot be read") as error:
        load_images(images)
    one_line(error)
    with pytest.raises(UserInputError, match="is a folder, not a file"):
        load_images(images.parent)


def test_a_foreign_cache_file_is_never_run_and_is_replaced(images):
    expected = load_images(images).train.x
    [cache] = images.parent.glob("meta.*.pt")
    marker = images.parent / "pickle-ran"

    class Payload:  # what a crafted pickle does when it is loaded without weights_only
        def __reduce__(self):
            return pathlib.Path.touch, (marker,)

    torch.save({"images": Payload()}, cache)
    again = load_images(images)  # weights_only refuses it: decoded again, no torch advice
    assert not marker.exists()
    assert torch.equal(again.train.x, expected)
    assert isinstance(torch.load(cache, weights_only=True), torch.Tensor)  # replaced
    torch.save(torch.zeros(2, 2), cache)  # a valid tensor file of the wrong shape
    assert torch.equal(load_images(images).train.x, expected)
