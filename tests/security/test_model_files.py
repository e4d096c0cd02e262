"""No model file a user hands nnaudit runs code (issue 23, item 1).

Every hostile file below carries a payload that creates a marker file when torch would run it;
each is refused in one sentence, exit 2, and the marker never appears. Where torch itself runs
the payload (`trust_model_file=True`, the user's explicit choice) the marker does appear: the
payloads are real, so their refusal is what keeps them from running.
"""

from __future__ import annotations

import contextlib
import re

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from nnaudit.errors import UserInputError
from nnaudit.model_files import read_exported_program
from nnaudit.user_model import load_user_model

from tests.security.conftest import one_sentence_exit_2
from tests.security.hostile_models import (
    PT2_ATTACKS,
    benign_export,
    hostile_export,
    hostile_torchscript,
    pickled_payload,
)

SHAPE = {"input_shape": (2, 2), "num_classes": 3}
# Payloads torch runs while loading the program or running its module (the others are
# refused without a proof that torch would run them).
RUN_BY_TORCH = ("pickled weight", "pickled sample inputs", "opaque constant",
                "sympy expression", "guard code")


def test_a_benign_exported_model_loads_and_predicts(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3)).eval()
    path = benign_export(tmp_path / "model.pt2", model)
    loaded = load_user_model(str(path), **SHAPE)
    assert loaded.record["kind"] == "torch.export"
    x = torch.randn(5, 2, 2)  # another batch size than exported: the symbolic size works
    with torch.no_grad():
        assert torch.equal(loaded.model(x), model(x))


@pytest.mark.parametrize("attack", PT2_ATTACKS)
def test_a_hostile_exported_model_is_refused_before_torch_reads_it(tmp_path, attack):
    marker = tmp_path / "MARKER"
    evil = hostile_export(tmp_path, attack, marker)
    with pytest.raises(UserInputError, match="--trust-model-file") as refused:
        load_user_model(str(evil), **SHAPE)
    assert "\n" not in str(refused.value)
    assert not marker.exists()


@pytest.mark.parametrize("attack", RUN_BY_TORCH)
def test_each_payload_is_real_torch_runs_it_when_trusted(tmp_path, attack):
    marker = tmp_path / "MARKER"
    evil = hostile_export(tmp_path, attack, marker)
    with contextlib.suppress(Exception):  # the program may be broken after its payload ran
        read_exported_program(evil, trust=True).module()(torch.zeros(3, 2, 2))
    assert marker.exists()


def audit_command(cli, model, folder):
    """`nnaudit audit --model MODEL` on a small CSV of four features and three classes."""
    (folder / "t.csv").write_text("a,b,c,d,y\n" + "".join(f"{i},{i % 3},{i % 5},{i % 7},{i % 3}\n"
                                                         for i in range(60)))
    return cli("audit", "--model", model, "--dataset", "csv", "--set", "data.options.path=t.csv",
               "--set", "data.options.target=y", "--data-dir", folder, "--out", folder / "runs",
               "--set", "energy.enabled=false", "--quiet")


@pytest.mark.parametrize("attack", PT2_ATTACKS)
def test_the_audit_command_refuses_a_hostile_export(cli, tmp_path, attack):
    marker = tmp_path / "MARKER"
    evil = hostile_export(tmp_path, attack, marker)
    result = audit_command(cli, evil, tmp_path)
    one_sentence_exit_2(result, "--trust-model-file")
    assert not marker.exists() and not (tmp_path / "runs").exists()


def test_torchscript_is_loaded_only_when_trusted(cli, tmp_path):
    marker = tmp_path / "MARKER"
    evil = hostile_torchscript(tmp_path, marker)
    with pytest.raises(UserInputError, match="TorchScript file, whose code runs"):
        load_user_model(str(evil), **SHAPE)
    result = audit_command(cli, evil, tmp_path)
    one_sentence_exit_2(result, "--trust-model-file")
    assert not marker.exists()
    # a real TorchScript model, trusted, still loads
    model = torch.jit.script(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3)))
    torch.jit.save(model, tmp_path / "model.pt")
    loaded = load_user_model(str(tmp_path / "model.pt"), **SHAPE, trust_model_file=True)
    assert loaded.model(torch.zeros(1, 2, 2)).shape == (1, 3)


def test_weights_a_run_model_and_a_checkpoint_are_read_without_pickles(tmp_path):
    """--weights and a run directory's model.pt (both `_load_weights`) and --resume's
    checkpoint.pt: weights_only=True."""
    from nnaudit.config import TrainConfig
    from nnaudit.train._checkpoint import check_checkpoint

    marker = tmp_path / "MARKER"
    evil = tmp_path / "evil.pt"
    evil.write_bytes(pickled_payload(marker))

    def factory():
        return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3))

    with pytest.raises(UserInputError, match="never pickled objects"):
        load_user_model(factory, **SHAPE, weights=evil)
    with pytest.raises(UserInputError, match="cannot be read"):
        check_checkpoint(evil, TrainConfig())
    assert not marker.exists()
    # the payload is real: torch.load without weights_only runs it
    torch.load(evil, weights_only=False)
    assert marker.exists()



# --- a property: symbolic sizes are arithmetic, or refused -------------------------------------

SYMBOL = st.integers(0, 99).map("Symbol('s{}', positive=True, integer=True)".format)
HOSTILE = st.sampled_from([
    "__import__('os').system('true')", "open('/tmp/x', 'w')", "eval('1')", "exec('1')",
    "Symbol('s0').__class__", "(lambda: 1)()", "Max('__import__(\"os\")', 1)",
    "Symbol('s0', **{'positive': True})", "Integer(1).func", "[s0 for s0 in (1,)]",
    "s0[0]", "_s0", "Symbol('s0', positive='yes')", "getattr(Symbol, 'x')"])


def expressions(leaf):
    return st.recursive(leaf, lambda inner: st.one_of(
        st.builds("({} {} {})".format, inner, st.sampled_from(["+", "-", "*", "//", "%"]), inner),
        st.builds("{}({}, {})".format, st.sampled_from(["Max", "Min", "FloorDiv", "Mod",
                                                         "PythonMod", "CleanDiv"]), inner, inner),
        inner.map("-{}".format)), max_leaves=8)


@given(expressions(st.one_of(SYMBOL, st.integers(1, 64).map(str))))
def test_torch_size_arithmetic_is_accepted(expression):
    from nnaudit.model_files import _is_arithmetic

    assert _is_arithmetic(expression), expression


@given(expressions(st.one_of(SYMBOL, st.integers(1, 64).map(str))), HOSTILE, st.data())
def test_any_hostile_piece_in_a_size_is_refused(expression, hostile, data):
    from nnaudit.model_files import _is_arithmetic

    # the hostile piece replaces one leaf (a number or a symbol) of a benign expression
    leaves = [m for m in re.finditer(r"Symbol\('s\d+', positive=True, integer=True\)|\b\d+\b",
                                     expression)]
    leaf = data.draw(st.sampled_from(leaves))
    assert not _is_arithmetic(expression[:leaf.start()] + hostile + expression[leaf.end():])
