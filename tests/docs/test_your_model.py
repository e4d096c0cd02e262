"""docs/your-model.md is run as written, in a folder with a small synthetic image folder."""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "your-model.md"


def make_faces(folder: Path, n: int = 200) -> None:
    """``n`` 32x32 colour images and a metadata CSV: file, smiling, sex, age."""
    import torch
    import torchvision.io

    rng = np.random.default_rng(0)
    folder.mkdir()
    rows = ["file,smiling,sex,age"]
    for i in range(n):
        smiling = i % 2
        image = torch.from_numpy(rng.integers(0, 256, (3, 32, 32), dtype=np.uint8))
        image[:, 20:24, 8:24] = 255 if smiling else 0  # a mouth, visible to a model
        torchvision.io.write_png(image, str(folder / f"{i}.png"))
        rows.append(f"{i}.png,{'yes' if smiling else 'no'},{'female' if i % 3 else 'male'},"
                    f"{'young' if i % 5 else 'old'}")
    (folder / "metadata.csv").write_text("\n".join(rows) + "\n")


@pytest.mark.slow
def test_the_page_runs_as_written(tmp_path, monkeypatch):
    make_faces(tmp_path / "faces")
    monkeypatch.chdir(tmp_path)
    failures, tried = doctest.testfile(str(DOC), module_relative=False, verbose=False,
                                       optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert tried > 15 and failures == 0
