from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("no shared real data beside the repository")
    return SHARED_DATA


@pytest.fixture(scope="session")
def shades():
    from nnaudit.data import load_dataset

    return load_dataset("shades-mnist", seed=0)
