"""A model the user brings: from a run directory, a factory with weights, or an exported file.

``SPEC`` forms (`nnaudit audit --model SPEC`):

- a run directory: its architecture (registered name and options) and its ``model.pt``;
- ``package.module:callable`` or ``path/to/file.py:callable``: a factory returning a freshly
  initialized ``nn.Module``, called with ``[model.options]``; ``--weights`` loads a state_dict
  into it (always ``weights_only=True``: a weights file can never run code);
- a ``torch.export`` program (``.pt2``) or a TorchScript file: a model with its weights, but no
  way to build fresh copies, so the audits that retrain it are skipped. A ``.pt2`` is checked
  member by member before torch reads it (`nnaudit.model_files`); TorchScript carries code and
  is loaded only when the user trusts the file (``trust_model_file``, ``--trust-model-file``).

Every problem is one `UserInputError` sentence naming the spec, the file, the keys or the shapes.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from nnaudit.errors import UserInputError
from nnaudit.models import ModelFactory
from nnaudit.models import factory as registered_factory
from torch import nn

SHOWN_KEYS = 5  # missing or unexpected weight names listed in an error


@dataclass
class UserModel:
    """A model ready to audit.

    model:   the trained model, in eval mode, on the CPU.
    factory: fresh untrained copies of its architecture, or None (exported files).
    record:  what the manifest says of it: name, kind, source, options, weights, parameters.
    trained_on: the ``[data]`` section and seed of the run that trained it, when known.
    reference_accuracy: that run's accuracy on its own test split, when known.
    """

    model: nn.Module
    factory: ModelFactory | None
    record: dict[str, Any]
    trained_on: dict[str, Any] | None = field(default=None)
    reference_accuracy: float | None = None


def load_user_model(spec: Any, *, input_shape: tuple[int, ...], num_classes: int,
                    weights: str | Path | None = None,
                    options: dict[str, Any] | None = None,
                    trust_model_file: bool = False) -> UserModel:
    """Load ``spec`` for a dataset of ``input_shape`` inputs and ``num_classes`` classes.

    ``spec`` is a SPEC string or path (see the module docstring), or, from Python, a trained
    ``nn.Module`` (audited as is; nothing can retrain it) or a callable returning a fresh one
    (a factory; ``weights`` optional). ``trust_model_file``: load an exported file the checks
    of `nnaudit.model_files` refuse, or TorchScript (its code then runs).
    """
    from nnaudit.store import Run

    options = dict(options or {})
    if isinstance(spec, Run):
        spec = spec.path
    if isinstance(spec, nn.Module):
        if weights is not None:
            _load_weights(spec, Path(weights).expanduser())
        return UserModel(spec.eval(), None, {
            "name": type(spec).__name__, "kind": "module", "source": "a Python object",
            "options": {}, "weights": str(weights) if weights is not None else None,
            "parameters": _parameters(spec)})
    if callable(spec) and not isinstance(spec, (str, Path)):
        name = f"{getattr(spec, '__module__', '?')}:{getattr(spec, '__qualname__', repr(spec))}"
        return _from_callable(name, spec, weights, options, input_shape)
    spec = str(spec)
    path = Path(spec).expanduser()
    if path.is_dir():
        if weights is not None:
            raise UserInputError(f"--weights cannot be given with a run directory ({spec}): the "
                                 "run's own model.pt is used.")
        return _from_run(path, input_shape, num_classes)
    if path.suffix == ".pt2" or (path.is_file() and zipfile.is_zipfile(path)):
        if weights is not None:
            raise UserInputError(f"--weights cannot be given with an exported model ({spec}): "
                                 "it carries its own weights.")
        return _from_export(path, trust_model_file)
    if ":" in spec:
        return _from_factory(spec, weights, options, input_shape)
    if path.suffix in (".pt", ".pth", ".pt2") or path.exists():
        raise UserInputError(f"model {spec!r} is neither a run directory nor an exported model "
                             "file (.pt2 or TorchScript) that exists.")
    raise UserInputError(f"model {spec!r} is not a run directory, a module:callable factory or "
                         "an exported model file.")


def check_fits(model: nn.Module, x: torch.Tensor, num_classes: int, dataset: str) -> None:
    """Refuse a model that cannot take the dataset's inputs or gives another number of classes."""
    try:
        with torch.inference_mode():
            out = model(x)
    except Exception as exc:  # any failure of the user's forward: say which shapes met
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserInputError(f"the model cannot take inputs of shape {tuple(x.shape[1:])} from "
                             f"dataset {dataset!r}: {first}.") from None
    if not isinstance(out, torch.Tensor) or out.dim() != 2 or out.shape[0] != len(x):
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise UserInputError(f"the model must return one row of class scores per input, "
                             f"(batch, classes); for {len(x)} inputs it returned {shape}.")
    if out.shape[1] != num_classes:
        raise UserInputError(f"the model gives {out.shape[1]} class scores per input, but "
                             f"dataset {dataset!r} has {num_classes} classes.")


# --- the three kinds of spec -------------------------------------------------------------------

def _from_run(path: Path, input_shape, num_classes) -> UserModel:
    from nnaudit.store import lookup, require_complete

    run = require_complete(path)
    config = run.config
    model_config = config.get("model") or {}
    name, options = model_config.get("name"), dict(model_config.get("options") or {})
    weights = run.file("model.pt")  # refused when a link takes it outside the run
    if not name or not weights.is_file():
        raise UserInputError(f"run {run.name} has no trained model to audit (it is a "
                             f"{run.manifest.get('kind', 'different')} run).")
    make = registered_factory(name, input_shape, num_classes, **options)
    model = make()
    _load_weights(model, weights)
    return UserModel(model.eval(), make,
                     {"name": name, "kind": "run", "source": str(path), "options": options,
                      "weights": str(weights), "parameters": _parameters(model),
                      "run_id": run.manifest.get("run_id", run.name)},
                     trained_on={"data": config.get("data") or {}, "seed": config.get("seed")},
                     reference_accuracy=lookup(run.manifest, "metrics", "test_accuracy"))


def _from_factory(spec: str, weights, options: dict[str, Any], input_shape) -> UserModel:
    target, _, attribute = spec.rpartition(":")
    return _from_callable(spec, _import_callable(target, attribute, spec), weights, options,
                          input_shape)


def _from_callable(spec: str, function: Callable[..., nn.Module], weights,
                   options: dict[str, Any], input_shape) -> UserModel:
    # lazy modules (nn.LazyLinear) get their shapes from one dry pass on the dataset's shape
    make = ModelFactory(spec, function, options, input_shape=tuple(input_shape))
    try:
        model = make()
    except UserInputError:
        raise
    except Exception as exc:  # the user's code failed: name it and its error
        raise UserInputError(f"the model factory {spec!r} raised {type(exc).__name__}: "
                             f"{exc}.") from None
    if weights is not None:
        _load_weights(model, Path(weights).expanduser())
    return UserModel(model.eval(), make,
                     {"name": spec, "kind": "factory", "source": spec, "options": options,
                      "weights": str(weights) if weights is not None else None,
                      "parameters": _parameters(model)})


def _from_export(path: Path, trust: bool) -> UserModel:
    from nnaudit.model_files import read_exported_program, refuse_torchscript

    if not path.is_file():
        raise UserInputError(f"the model file {path} does not exist.")
    if path.suffix == ".pt2":
        try:
            model = ExportedModule(read_exported_program(path, trust=trust).module())
        except UserInputError:
            raise
        except Exception as exc:  # a corrupt or foreign archive
            raise UserInputError(f"{path} cannot be loaded as a torch.export program "
                                 f"({type(exc).__name__}).") from None
        kind = "torch.export"
    else:
        if _is_state_dict_archive(path):
            raise UserInputError(f"{path} holds weights only (a state_dict), not a model: give "
                                 "the model's factory as --model module:callable and this file "
                                 "as --weights.")
        if not trust:
            refuse_torchscript(path)
        try:
            model = torch.jit.load(str(path), map_location="cpu")
        except Exception as exc:  # not TorchScript
            raise UserInputError(f"{path} cannot be loaded as a TorchScript model "
                                 f"({type(exc).__name__}).") from None
        kind = "torchscript"
    return UserModel(model, None, {"name": path.name, "kind": kind, "source": str(path),
                                   "options": {}, "weights": None,
                                   "parameters": _parameters(model)})


class ExportedModule(nn.Module):
    """A ``torch.export`` program's module. Its train or eval behaviour was fixed when it was
    exported, and the program refuses ``.train()``/``.eval()``: this wrapper lets the audits
    call them (they change nothing)."""

    def __init__(self, program_module: nn.Module):
        super().__init__()
        self.program = program_module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.program(x)

    def train(self, mode: bool = True) -> ExportedModule:
        self.training = mode
        return self


# --- helpers -------------------------------------------------------------------------------------

def _import_callable(target: str, attribute: str, spec: str) -> Callable[..., Any]:
    if target.endswith(".py"):
        file = Path(target).expanduser()
        if not file.is_file():
            raise UserInputError(f"the model file {file} of {spec!r} does not exist.")
        name = f"nnaudit_user_model_{abs(hash(str(file.resolve())))}"
        loader = importlib.util.spec_from_file_location(name, file)
        module = importlib.util.module_from_spec(loader)
        sys.modules[name] = module  # dataclasses and pickling look modules up by name
        try:
            loader.loader.exec_module(module)
        except Exception as exc:  # the user's file fails to import
            sys.modules.pop(name, None)
            raise UserInputError(f"{file} cannot be imported: {type(exc).__name__}: "
                                 f"{exc}.") from None
    else:
        try:
            module = importlib.import_module(target)
        except Exception as exc:  # missing module, or its import raised
            raise UserInputError(f"the module {target!r} of {spec!r} cannot be imported: "
                                 f"{type(exc).__name__}: {exc}.") from None
    function = getattr(module, attribute, None)
    if not callable(function):
        raise UserInputError(f"{target!r} has no callable named {attribute!r}.")
    return function


def _load_weights(model: nn.Module, file: Path) -> None:
    state = _read_state_dict(file)
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    if missing or unexpected:
        parts = [f"{label} {_first(keys)}" for label, keys in
                 (("missing keys", missing), ("unexpected keys", unexpected)) if keys]
        raise UserInputError(f"the weights in {file} do not fit the model: {'; '.join(parts)}.")
    for key, tensor in state.items():
        if tuple(tensor.shape) != tuple(own[key].shape):
            raise UserInputError(f"the weights in {file} do not fit the model: {key} has shape "
                                 f"{tuple(tensor.shape)} in the file and "
                                 f"{tuple(own[key].shape)} in the model.")
    model.load_state_dict(state)


def _read_state_dict(file: Path) -> dict[str, torch.Tensor]:
    if not file.is_file():
        raise UserInputError(f"the weights file {file} does not exist.")
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # not a tensor archive, or it needs unpickling code
        raise UserInputError(f"{file} cannot be read as a state_dict of tensors "
                             f"({type(exc).__name__}); nnaudit loads weights only, never "
                             "pickled objects.") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]  # the usual training-checkpoint layout
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise UserInputError(f"{file} is not a state_dict (a mapping of names to tensors).")
    return state


def _first(keys: list[str]) -> str:
    shown = ", ".join(keys[:SHOWN_KEYS])
    return shown + (f" (and {len(keys) - SHOWN_KEYS} more)" if len(keys) > SHOWN_KEYS else "")


def _is_state_dict_archive(path: Path) -> bool:
    """A torch.save zip without TorchScript code: weights or another pickle, not a model."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    return not any("/code/" in n for n in names)


def _parameters(model: nn.Module) -> int:
    return int(sum(p.numel() for p in model.parameters()))
