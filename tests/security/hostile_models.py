"""Model files that run code when loaded, built at test time (no binary blob is committed).

Each payload creates a marker file: if the marker exists after nnaudit read the file, the
file ran code. `benign_export` is the control every check must still load.
"""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from pathlib import Path

import torch
from torch import nn


class Payload:
    """Unpickling this opens ``marker`` for writing, which creates it: code ran."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def pickled_payload(marker: Path) -> bytes:
    """A torch.save archive whose object runs the payload (torch.load(weights_only=False))."""
    buffer = io.BytesIO()
    torch.save({"x": Payload(marker)}, buffer)
    return buffer.getvalue()


def benign_export(path: Path, model: nn.Module | None = None) -> Path:
    """A small exported model with a dynamic batch size (symbolic sizes in its program)."""
    model = (model or nn.Sequential(nn.Flatten(), nn.Linear(4, 3))).eval()
    program = torch.export.export(model, (torch.zeros(2, 2, 2),),
                                  dynamic_shapes=({0: torch.export.Dim("batch")},))
    torch.export.save(program, path)
    return path


def _rewrite(source: Path, target: Path, change) -> Path:
    """``source`` with ``change(members)`` applied: members is {name without prefix: bytes}."""
    with zipfile.ZipFile(source) as archive:
        prefix = archive.namelist()[0].split("/", 1)[0] + "/"
        members = {n[len(prefix):]: archive.read(n) for n in archive.namelist()}
    change(members)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(prefix + name, data)
    return target


def _edit_json(members: dict, name: str, edit) -> None:
    document = json.loads(members[name])
    edit(document)
    members[name] = json.dumps(document).encode()


def pickled_weight(members: dict, marker: Path) -> None:
    """A weight marked "use_pickle": torch.load(weights_only=False) of its bytes."""
    config = "data/weights/model_weights_config.json"
    entry = next(iter(json.loads(members[config])["config"].values()))
    _edit_json(members, config, lambda d: next(iter(d["config"].values())).update(
        use_pickle=True))
    members["data/weights/" + entry["path_name"]] = pickled_payload(marker)


def pickled_sample_inputs(members: dict, marker: Path) -> None:
    """The sample inputs: weights_only=True fails, torch falls back to weights_only=False."""
    members["data/sample_inputs/model.pt"] = pickled_payload(marker)


def opaque_constant(members: dict, marker: Path) -> None:
    """An opaque object constant: pickle.loads of its bytes."""
    _edit_json(members, "data/constants/model_constants_config.json",
               lambda d: d["config"].update(evil={"path_name": "opaque_obj_0",
                                                  "is_param": False, "use_pickle": True,
                                                  "tensor_meta": None}))
    members["data/constants/opaque_obj_0"] = pickle.dumps(Payload(marker))


def sympy_expression(members: dict, marker: Path) -> None:
    """A symbolic size: sympy.sympify, an eval, of its text."""
    code = f"Symbol('batch', positive=True, integer=True) + 0 * len(str(open({str(marker)!r}, 'w')))"

    def edit(program):
        for value in program["graph_module"]["graph"]["tensor_values"].values():
            for size in value["sizes"]:
                if "as_expr" in size:
                    size["as_expr"]["expr_str"] = code
    _edit_json(members, "models/model.json", edit)


def guard_code(members: dict, marker: Path) -> None:
    """Guard code: Python source compiled into the module that .module() builds."""
    _edit_json(members, "models/model.json", lambda program: program.update(
        guards_code=[f"open({str(marker)!r}, 'w') is not None"]))


def foreign_target(members: dict, marker: Path) -> None:
    """A node whose target is any attribute of torch: called when the model runs."""
    def edit(program):
        program["graph_module"]["graph"]["nodes"][0]["target"] = "torch.os.system"
    _edit_json(members, "models/model.json", edit)


def compiled_library(members: dict, marker: Path) -> None:
    """An AOTInductor member: a shared library torch loads (here not even a real one)."""
    members["data/aotinductor/model/model.so"] = b"\x7fELF" + bytes(60)


PT2_ATTACKS = {"pickled weight": pickled_weight, "pickled sample inputs": pickled_sample_inputs,
               "opaque constant": opaque_constant, "sympy expression": sympy_expression,
               "guard code": guard_code, "foreign target": foreign_target,
               "compiled library": compiled_library}


def hostile_export(folder: Path, attack: str, marker: Path) -> Path:
    benign = benign_export(folder / "benign.pt2")
    return _rewrite(benign, folder / "evil.pt2", lambda m: PT2_ATTACKS[attack](m, marker))


def hostile_torchscript(folder: Path, marker: Path) -> Path:
    """A TorchScript-looking zip (code/ and data.pkl) whose data.pkl runs the payload."""
    path = folder / "evil.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("evil/code/__torch__.py", "def forward(self, x):\n    return x\n")
        archive.writestr("evil/data.pkl", pickle.dumps(Payload(marker)))
        archive.writestr("evil/version", "3\n")
    return path
