"""A user's model, its trained weights and exported copies, made once per session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session", autouse=True)
def importable_user_module():
    """`my_models:small_cnn` imports as a user's own package would."""
    sys.path.insert(0, str(HERE))
    yield
    sys.path.remove(str(HERE))


@pytest.fixture(scope="session")
def shades():
    from nnaudit.data import load_dataset

    return load_dataset("shades-mnist", seed=0)


@pytest.fixture(scope="session")
def trained_cnn(shades, tmp_path_factory):
    """small_cnn trained 3 epochs on shades-mnist: (model, weights file)."""
    import torch
    from my_models import small_cnn

    from nnaudit.config import TrainConfig
    from nnaudit.train import train_model

    torch.manual_seed(0)
    model = train_model(small_cnn(), shades.train, None, TrainConfig(epochs=3), "cpu").model
    folder = tmp_path_factory.mktemp("weights")
    torch.save(model.state_dict(), folder / "weights.pt")
    return model.eval(), folder / "weights.pt"


@pytest.fixture(scope="session")
def exported(trained_cnn, tmp_path_factory):
    """The trained model as a torch.export program (.pt2) and as TorchScript (.pt)."""
    import torch

    model = trained_cnn[0].cpu().eval()
    folder = tmp_path_factory.mktemp("exported")
    example = (torch.zeros(2, 1, 28, 28),)
    program = torch.export.export(model, example,
                                  dynamic_shapes=({0: torch.export.Dim("batch")},))
    torch.export.save(program, folder / "model.pt2")
    torch.jit.save(torch.jit.trace(model, example), folder / "model.ts.pt")
    return {"pt2": folder / "model.pt2", "torchscript": folder / "model.ts.pt"}
