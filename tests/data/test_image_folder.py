import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from nnaudit.data import load_dataset
from nnaudit.errors import UserInputError


@pytest.fixture
def faces(tmp_path):
    """30 small PNGs: label 'bright' images are white squares, 'dim' ones black."""
    rows = []
    for i in range(30):
        label = "bright" if i % 2 else "dim"
        value = 255 if label == "bright" else 0
        Image.fromarray(np.full((20, 16, 3), value, dtype=np.uint8)).save(tmp_path / f"img{i}.png")
        rows.append({"file": f"img{i}.png", "smile": label, "age": 10 + 2 * i, "sex": "FM"[i % 3 == 0]})
    csv = tmp_path / "meta.csv"
    pd.DataFrame(rows).to_csv(csv, index=False)
    return csv


def load(csv, **options):
    base = dict(csv=str(csv), target_column="smile", sensitive_columns=["sex", "age"],
                bins={"age": [0, 30, 100]}, image_size=8)
    return load_dataset("image-folder", **{**base, **options})


def test_decoded_resized_cached_and_labelled(faces):
    data = load(faces)
    assert data.input_shape == (3, 8, 8) and data.classes == ["bright", "dim"]
    assert sum(len(s) for s in (data.train, data.val, data.test)) == 30
    bright = data.train.y == 0
    assert torch.all(data.train.x[bright] == 1.0) and torch.all(data.train.x[~bright] == 0.0)
    assert set(data.train.groups["age"]) <= {"0-30", "30-100"}
    assert len(list(faces.parent.glob("meta.*.pt"))) == 1  # cache written next to the CSV
    again = load(faces)
    assert torch.equal(again.test.x, data.test.x)
    grey = load(faces, grayscale=True, image_size=(4, 6))
    assert grey.input_shape == (1, 4, 6)


def test_streams_when_over_memory_budget(faces):
    data = load(faces, max_memory_mb=0.001)
    assert data.train.x is None and len(data.train.stream) == len(data.train)
    image, label = data.train.stream[0]
    assert image.shape == (3, 8, 8) and label == data.train.y[0]
    assert data.input_shape == (3, 8, 8)


def test_bad_image_files(faces):
    (faces.parent / "img3.png").write_bytes(b"not a png")
    with pytest.raises(UserInputError, match="img3.png"):
        load(faces)
    frame = pd.read_csv(faces)
    frame.loc[5, "file"] = "missing.png"
    frame.to_csv(faces, index=False)
    with pytest.raises(UserInputError, match="missing.png"):
        load(faces)


def test_bad_columns(faces):
    with pytest.raises(UserInputError, match="'gender'"):
        load(faces, sensitive_columns=["gender"])
    with pytest.raises(UserInputError, match="has no option 'size'"):
        load(faces, size=8)
