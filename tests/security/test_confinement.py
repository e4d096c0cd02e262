"""One confinement rule (`nnaudit.store.is_inside`) for every reader (issue 23, item 3).

A run folder linked out of the runs folder, or a file linked out of its run, is refused by
list, show, reports, mitigate and the run-directory model loader alike (`nnaudit query`:
tests/security/test_query.py); links that stay inside are followed.
"""

from __future__ import annotations

import pytest
from nnaudit.errors import UserInputError
from nnaudit.store import Run, is_inside, list_runs

from tests.security.conftest import one_sentence_exit_2
from tests.store.test_confinement import complete_run


def test_is_inside_resolves_links_and_dots(tmp_path):
    root = tmp_path / "runs"
    (root / "a").mkdir(parents=True)
    (tmp_path / "out").mkdir()
    (root / "in").symlink_to(root / "a", target_is_directory=True)
    (root / "away").symlink_to(tmp_path / "out", target_is_directory=True)
    assert is_inside(root / "a", root) and is_inside(root / "in", root)
    assert not is_inside(root / "away", root)
    assert not is_inside(root / "a" / ".." / ".." / "out", root)
    assert not is_inside(root, root)  # the root itself is not inside it


@pytest.fixture
def runs(tmp_path):
    """A runs folder with a good run, a run linked from outside and a run whose model.pt,
    predictions and history are linked outside it."""
    runs = tmp_path / "runs"
    complete_run(runs, "mine")
    outside = complete_run(tmp_path / "elsewhere", "private")
    (outside / "model.pt").write_bytes(b"outside")
    (runs / "borrowed").symlink_to(outside, target_is_directory=True)
    linked = complete_run(runs, "linked")
    for name in ("model.pt", "predictions.parquet", "history.parquet"):
        (linked / name).unlink(missing_ok=True)
        (linked / name).symlink_to(outside / name)
    return runs


def test_every_reader_refuses_a_run_linked_out_of_its_folder(cli, runs):
    statuses = {run.name: run.status for run in list_runs(runs)}
    assert statuses["borrowed"] == "corrupt"
    one_sentence_exit_2(cli("show", runs / "borrowed"), "leaves its runs folder")
    one_sentence_exit_2(cli("report", runs / "borrowed"), "leaves its runs folder")
    one_sentence_exit_2(cli("mitigate", runs / "borrowed", "--method", "thresholds"),
                        "leaves its runs folder")


def test_every_reader_refuses_a_file_linked_out_of_its_run(runs):
    from nnaudit.mitigation._base import open_base
    from nnaudit.user_model import load_user_model

    [linked] = [run for run in list_runs(runs) if run.name.endswith("linked")]
    with pytest.raises(UserInputError, match="predictions.parquet' leads outside"):
        linked.predictions()
    with pytest.raises(UserInputError, match="model.pt' leads outside"):
        load_user_model(str(linked.path), input_shape=(2,), num_classes=2)
    with pytest.raises(UserInputError, match="model.pt' leads outside"):
        open_base(Run.open(linked.path))
