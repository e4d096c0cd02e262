"""A remedy that cannot apply is refused in one sentence, exit 2, with no run directory made."""

import errno
import shutil
from types import SimpleNamespace

import pytest

import nnaudit
from nnaudit.errors import UserInputError
from nnaudit.mitigation._base import choose_attributes, choose_methods
from nnaudit.pipeline import run_pipeline

from tests.cli.conftest import one_sentence_exit_2
from tests.mitigation.conftest import csv_config, run_dirs, simulated_csv


def refused(run, out, match: str, **arguments) -> str:
    """Mitigate, expect one sentence matching ``match``, and no run directory in ``out`` or
    beside the base run."""
    beside = run_dirs(run.parent) if hasattr(run, "parent") else None
    with pytest.raises(UserInputError, match=match) as raised:
        nnaudit.mitigate(run, out=out, **arguments)
    message = str(raised.value)
    assert "\n" not in message and message.endswith("."), message
    assert run_dirs(out) == []
    if beside is not None:
        assert run_dirs(run.parent) == beside
    return message


@pytest.mark.parametrize("arguments, match", [
    ({"method": "fix"}, "unknown method 'fix'; choose from: threshold, resample, reweight, all"),
    ({"constraint": "equal_opportunity"}, "unknown constraint 'equal_opportunity'; choose from"),
    ({"attribute": "race"}, "attribute 'race' is not a sensitive attribute of run .*"
                            r"\(its attributes: group\)"),
    ({"method": "resample", "constraint": "demographic_parity"},
     "--constraint demographic_parity applies to the threshold method only, not to resample"),
])
def test_bad_choices_on_a_trained_run(trained_base, tmp_path, arguments, match):
    refused(trained_base, tmp_path / "out", match, **arguments)


def test_a_blackbox_run_needs_its_file_back(blackbox_base, tmp_path):
    refused(blackbox_base, tmp_path / "out", "is a black-box run, which keeps counts, not rows: "
            r"give the predictions file it was made from \(--predictions FILE\)")


def test_a_blackbox_run_has_no_model_to_retrain(blackbox_base, scored_file, tmp_path):
    refused(blackbox_base, tmp_path / "out", "resample retrains the model, and black-box run .* "
            "has none: use --method threshold", method="resample", predictions=scored_file)


def test_thresholds_need_scores(scored_file, tmp_path):
    from nnaudit.config import load_config
    from nnaudit.pipeline import run_blackbox

    labelled = tmp_path / "labelled.csv"
    frame = __import__("pandas").read_csv(scored_file)
    frame["decision"] = (frame["risk"] >= 0.5).map({True: "granted", False: "refused"})
    frame.to_csv(labelled, index=False)
    base = run_blackbox(labelled, label="truth", pred="decision", groups=["group"],
                        config=load_config(None, {"out": str(tmp_path / "runs"),
                                                  "report.html": False, "fairness.n_boot": 100}))
    refused(base, tmp_path / "out", "thresholds need scores, and black-box run .* was audited "
            r"from predicted labels \(column 'decision'\) without a score column",
            predictions=labelled)


def test_another_file_than_the_runs_is_refused(blackbox_base, scored_file, tmp_path):
    other = tmp_path / "other.csv"
    __import__("pandas").read_csv(scored_file).iloc[:3000].to_csv(other, index=False)
    refused(blackbox_base, tmp_path / "out", "does not hold the predictions run .* counted "
            r"\(3000 rows against 4000", predictions=other)


def test_an_incomplete_run_is_refused(trained_base, tmp_path):
    copy = tmp_path / "runs" / trained_base.name
    shutil.copytree(trained_base, copy)
    (copy / "manifest.json").unlink()
    refused(copy, tmp_path / "out", r"is not a complete run \(interrupted: .*\); only a finished "
            "run can be mitigated")


def test_a_mitigated_run_is_not_mitigated_again(trained_base, tmp_path):
    mitigated = nnaudit.mitigate(trained_base, out=tmp_path / "first")
    refused(mitigated.path, tmp_path / "out", f"is itself a mitigated run \\(of "
            f"{trained_base.name}\\); mitigate its base run instead")


def test_a_folder_that_is_no_run_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    refused(tmp_path / "empty", tmp_path / "out", "is not a run directory")


def test_a_group_without_positives_in_the_validation_split_is_refused(tmp_path):
    csv = simulated_csv(tmp_path / "sim.csv", n=3000, negatives_only="c")
    base = run_pipeline(csv_config(tmp_path / "runs", csv))
    refused(base, tmp_path / "out", "group 'c' has no positive example in the validation split, "
            "and equalized_odds thresholds need positives and negatives in every group")


def test_data_changed_since_the_run_is_refused(tmp_path):
    csv = simulated_csv(tmp_path / "sim.csv", n=2000)
    base = run_pipeline(csv_config(tmp_path / "runs", csv))
    simulated_csv(csv, n=2000, seed=5)  # the same file name, other rows
    refused(base, tmp_path / "out", "dataset 'csv' no longer gives the test split of run")


def test_thresholds_need_a_binary_decision():
    base = SimpleNamespace(kind="trained", run=SimpleNamespace(name="r"))
    with pytest.raises(UserInputError, match="threshold needs a binary decision, and run r has "
                                             "more than two classes and no positive class"):
        choose_methods("threshold", base, binary=False)
    # "all" runs what applies and says why the rest does not
    methods, skipped = choose_methods("all", base, binary=False)
    assert methods == ["resample", "reweight"] and list(skipped) == ["threshold"]
    blackbox = SimpleNamespace(kind="blackbox", run=SimpleNamespace(name="b"))
    assert choose_methods("all", blackbox, binary=True)[0] == ["threshold"]


def test_attributes_are_checked_and_kept_in_the_runs_order():
    assert choose_attributes("stroke, tone", ["tone", "stroke"], "r") == ["tone", "stroke"]
    assert choose_attributes(None, ["tone", "stroke"], "r") == ["tone", "stroke"]
    with pytest.raises(UserInputError, match="run r has no sensitive attribute"):
        choose_attributes(None, [], "r")


def test_the_command_exits_2_with_one_sentence(cli, trained_base, blackbox_base, tmp_path):
    out = tmp_path / "out"
    one_sentence_exit_2(cli("mitigate", trained_base, "--constraint", "parity", "--out", out,
                            "--quiet"), "unknown constraint 'parity'")
    one_sentence_exit_2(cli("mitigate", blackbox_base, "--out", out, "--quiet"),
                        "--predictions FILE")
    assert run_dirs(out) == []


def test_the_command_writes_a_mitigated_run(cli, trained_base, tmp_path):
    result = cli("mitigate", trained_base, "--method", "threshold", "--constraint",
                 "demographic_parity", "--out", tmp_path, "--quiet")
    assert result.code == 0, result.err
    [made] = run_dirs(tmp_path)
    assert result.out.strip() == str(tmp_path / made)


def test_predictions_are_refused_for_a_trained_run(trained_base, scored_file, tmp_path):
    refused(trained_base, tmp_path / "out", "--predictions is for black-box runs; run .* was "
            "trained by nnaudit", predictions=scored_file)


def test_ctrl_c_during_a_retraining_leaves_no_run(trained_base, tmp_path):
    from nnaudit.pipeline import RunInterrupted

    def interrupt(stats):
        raise KeyboardInterrupt

    with pytest.raises(RunInterrupted) as raised:
        nnaudit.mitigate(trained_base, method="resample", out=tmp_path / "out",
                         on_epoch=interrupt)
    assert raised.value.path is None and not raised.value.resumable
    assert run_dirs(tmp_path / "out") == []


def test_ctrl_c_after_the_mitigated_run_was_made_removes_it(trained_base, tmp_path):
    """A mitigated run is never resumed: interrupted in its audits, it is removed, not left
    for the user to delete."""
    from nnaudit.pipeline import RunInterrupted

    def interrupt_the_audits(stage):
        if stage.startswith("audit:"):
            raise KeyboardInterrupt

    with pytest.raises(RunInterrupted) as raised:
        nnaudit.mitigate(trained_base, method="threshold", out=tmp_path / "out",
                         on_stage=interrupt_the_audits)
    assert raised.value.path is None and not raised.value.resumable
    assert list((tmp_path / "out").iterdir()) == []


def test_a_full_disk_while_writing_a_mitigated_run_leaves_nothing(trained_base, tmp_path,
                                                                  monkeypatch):
    from nnaudit.store import RunWriter

    def disk_full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(RunWriter, "write_audit", disk_full)
    monkeypatch.setattr(RunWriter, "finish", disk_full)     # the failure cannot be written either
    with pytest.raises(OSError, match="No space left"):
        nnaudit.mitigate(trained_base, method="threshold", out=tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []
