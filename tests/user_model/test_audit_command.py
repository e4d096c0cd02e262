"""`nnaudit audit` and `nnaudit.audit`: a model the user brings, audited like a trained one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import nnaudit
from nnaudit.errors import UserInputError
from nnaudit.store import Run, list_runs

HERE = Path(__file__).resolve().parent
QUICK = {"energy.enabled": False, "report.html": False, "saliency.n_examples": 4,
         "fairness.n_boot": 200}


def audit(model, tmp_path, audits=("fairness", "membership", "gradient_health"), **kwargs):
    return nnaudit.audit(model, "shades-mnist", audits=audits, out=tmp_path,
                         settings={**QUICK, **kwargs.pop("settings", {})}, **kwargs)


def test_a_factory_from_a_module_with_its_weights(trained_cnn, shades, tmp_path):
    from nnaudit.train import predict_proba

    model, weights = trained_cnn
    run = audit("my_models:small_cnn", tmp_path, weights=weights, trained_on_dataset=True)
    assert run.status == "complete" and run.manifest["kind"] == "audited"
    assert run.manifest["model"]["kind"] == "factory"
    assert run.manifest["model"]["weights"] == str(weights)
    # the audited predictions are the trained model's own, and better than chance
    expected = predict_proba(model, shades.test, "cpu").argmax(1).numpy()
    assert (run.predictions()["y_pred"].to_numpy() == expected).all()
    assert run.manifest["metrics"]["test_accuracy"] > 0.3
    for name in ("fairness", "membership", "gradient_health"):
        assert run.audits[name]["status"] == "complete", run.audits[name]
    # a factory can retrain: gradients are traced from a fresh initialization
    assert "initialization" in run.audits["gradient_health"]["protocol"]["measured"]


def test_a_factory_from_a_file_path(trained_cnn, tmp_path):
    run = audit(f"{HERE / 'my_models.py'}:small_cnn", tmp_path, weights=trained_cnn[1],
                audits=("fairness",))
    assert run.audits["fairness"]["status"] == "complete"
    assert run.manifest["model"]["name"].endswith("my_models.py:small_cnn")


@pytest.mark.parametrize("kind", ["pt2", "torchscript"])
def test_an_exported_model_runs_what_needs_no_retraining(exported, tmp_path, kind):
    # TorchScript runs the code it carries: loaded only for a file the user trusts
    run = audit(exported[kind], tmp_path,
                audits=("fairness", "memorization", "seed_stability", "gradient_health",
                        "membership"), trust_model_file=kind == "torchscript")
    audits = run.audits
    assert audits["fairness"]["status"] == "complete"
    assert audits["gradient_health"]["status"] == "complete"   # gradients flow through it
    assert audits["gradient_health"]["protocol"]["measured"].startswith("at the trained weights")
    for name in ("memorization", "seed_stability"):
        assert audits[name]["status"] == "skipped"
        assert "retrains the model: give a factory" in audits[name]["reason"]
    assert audits["membership"]["status"] == "skipped"
    assert "examples the model was trained on" in audits["membership"]["reason"]


def test_a_trained_module_from_python(trained_cnn, tmp_path):
    run = audit(trained_cnn[0], tmp_path, audits=("fairness", "memorization"))
    assert run.manifest["model"]["kind"] == "module"
    assert run.audits["memorization"]["status"] == "skipped"


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A one-epoch `nnaudit train` run of LeNet-5 on shades-mnist."""
    from nnaudit.config import load_config
    from nnaudit.pipeline import run_pipeline

    out = tmp_path_factory.mktemp("trained")
    return run_pipeline(load_config(None, {"out": str(out), "train.epochs": 1, "device": "cpu",
                                           "audits.run": [], "energy.enabled": False,
                                           "report.html": False}))


def test_a_run_reaudited_on_its_own_data_knows_its_members(trained_run, tmp_path):
    run = audit(trained_run, tmp_path, audits=("membership",))
    assert run.audits["membership"]["status"] == "complete"
    assert run.manifest["model"]["kind"] == "run"
    assert run.manifest["model"]["run_id"] == Path(trained_run).name
    # the same weights: the same predictions as the run made on its own test split
    assert run.predictions()["y_pred"].equals(Run.open(trained_run).predictions()["y_pred"])


def test_a_run_reaudited_on_other_data_does_not(trained_run, tmp_path):
    run = audit(trained_run, tmp_path, audits=("fairness", "membership"),
                settings={"data.options.skew": 0.5})
    assert run.audits["fairness"]["status"] == "complete"
    assert run.audits["membership"]["status"] == "skipped"


def nnaudit_cli(*args, cwd):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "nnaudit", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=600, env=env)


def test_the_command_writes_an_audited_run(trained_cnn, tmp_path):
    proc = nnaudit_cli("audit", "--model", "my_models:small_cnn", "--weights",
                       str(trained_cnn[1]), "--dataset", "shades-mnist", "--audits", "fairness",
                       "--out", str(tmp_path / "runs"), "--set", "energy.enabled=false",
                       cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    [run] = list_runs(tmp_path / "runs")
    assert run.status == "complete" and run.manifest["kind"] == "audited"
    assert str(run.path) in proc.stdout
    show = nnaudit_cli("show", str(run.path), cwd=tmp_path)
    assert show.returncode == 0 and "fairness complete" in show.stdout


@pytest.mark.parametrize("spec, data, fragment", [
    ("no_such_package.models:net", [], "the module 'no_such_package.models' of "
                                       "'no_such_package.models:net' cannot be imported"),
    ("my_models:absent", [], "'my_models' has no callable named 'absent'"),
    ("my_models:broken", [], "the model factory 'my_models:broken' raised RuntimeError: "
                             "the GPU driver is missing"),
    ("my_models:not_a_model", [], "returned a str, not a torch.nn.Module"),
    ("my_models:small_cnn", ["--set", "model.options.num_classes=3"],
     "the model gives 3 class scores per input, but dataset 'shades-mnist' has 10 classes"),
    ("my_models:small_cnn", ["--dataset", "csv", "--set", "data.options.path=t.csv",
                             "--set", "data.options.target=y"],
     "the model cannot take inputs of shape (2,) from dataset 'csv'"),
    ("missing.pt2", [], "does not exist"),
])
def test_bad_models_are_one_sentence_and_leave_nothing(tmp_path, spec, data, fragment):
    (tmp_path / "t.csv").write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n"
                                                        for i in range(60)))
    dataset = [] if "--dataset" in data else ["--dataset", "shades-mnist"]
    proc = nnaudit_cli("audit", "--model", spec, *dataset, *data, "--data-dir", str(tmp_path),
                       "--out", str(tmp_path / "runs"), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and fragment in " ".join(proc.stderr.split()), \
        proc.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


class Payload:
    """A pickled object where weights belong: loading it would run code."""


def test_weights_that_do_not_fit_name_the_keys_and_shapes(trained_cnn, tmp_path):
    import torch

    state = dict(trained_cnn[0].state_dict())
    state["extra.weight"] = torch.zeros(1)
    del state["4.bias"]
    torch.save(state, tmp_path / "keys.pt")
    with pytest.raises(UserInputError, match=r"missing keys 4\.bias; unexpected keys extra\.weight"):
        audit("my_models:small_cnn", tmp_path, weights=tmp_path / "keys.pt")
    with pytest.raises(UserInputError, match=r"0\.weight has shape \(4, 1, 3, 3\) in the file "
                                             r"and \(8, 1, 3, 3\) in the model"):
        audit("my_models:small_cnn", tmp_path, weights=trained_cnn[1],
              settings={"model.options.channels": 8})
    torch.save({"model": Payload()}, tmp_path / "pickle.pt")
    with pytest.raises(UserInputError, match="loads weights only, never pickled objects"):
        audit("my_models:small_cnn", tmp_path, weights=tmp_path / "pickle.pt")
    assert not any(p.is_dir() for p in tmp_path.iterdir())  # no run directory left behind


def test_weights_with_a_run_or_an_export_are_refused(trained_run, exported, trained_cnn,
                                                      tmp_path):
    with pytest.raises(UserInputError, match="cannot be given with a run directory"):
        audit(trained_run, tmp_path, weights=trained_cnn[1])
    with pytest.raises(UserInputError, match="cannot be given with an exported model"):
        audit(exported["pt2"], tmp_path, weights=trained_cnn[1])
    (tmp_path / "garbage.pt2").write_bytes(b"not a zip at all")
    with pytest.raises(UserInputError, match="cannot be loaded as a torch.export program"):
        audit(tmp_path / "garbage.pt2", tmp_path)
    with pytest.raises(UserInputError, match="holds weights only"):
        audit(trained_cnn[1], tmp_path)


@pytest.mark.slow
def test_the_default_run_reaudited_on_real_mnist(tmp_path):
    """The default shades-mnist LeNet-5, audited on MNIST's 10,000 real test digits."""
    from tests.conftest import SHARED_DATA

    mnist = SHARED_DATA / "mnist"
    if not (mnist / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip("../shared/data/mnist is not on this machine")
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (raw / name).symlink_to(mnist / name)
    proc = nnaudit_cli("run", "--out", str(tmp_path / "runs"), "--audits", "fairness",
                       "--set", "energy.enabled=false", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    [trained] = list_runs(tmp_path / "runs")
    run = nnaudit.audit(trained.path, "mnist", audits=["fairness", "memorization"],
                        out=tmp_path / "audited",
                        settings={"data.data_dir": str(tmp_path / "data"),
                                  "data.options.test_only": True, "data.options.test_share": 1.0,
                                  "data.options.download": False, **QUICK})
    assert len(run.predictions()) == 10_000
    assert run.manifest["metrics"]["test_accuracy"] >= 0.95
    # plain MNIST has no sensitive attribute, and no training split is left to retrain on
    assert "needs at least one sensitive attribute" in run.audits["fairness"]["reason"]
    assert "needs the training split" in run.audits["memorization"]["reason"]
