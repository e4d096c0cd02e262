"""Exported model files, proven to run no code before torch reads them.

`torch.export.load` runs code a ``.pt2`` archive can carry (torch 2.x,
``torch/export/pt2_archive/_package.py`` and ``torch/_export/serde/serialize.py``):

- weights and tensor constants marked ``"use_pickle": true`` in ``data/weights/*_config.json``
  and ``data/constants/*_config.json`` are read with ``torch.load(weights_only=False)``;
- the sample inputs (``data/sample_inputs/<model>.pt``), the legacy ``data/weights/<model>.pt``
  and the pre-2.7 layout's ``serialized_*.pt`` go through ``deserialize_torch_artifact``, which
  falls back to ``weights_only=False``;
- constants named ``opaque_obj_*`` are ``pickle.loads``, ``custom_obj_*`` TorchScript-unpickled;
- ``data/aotinductor/`` holds compiled shared libraries that are loaded;
- in the program (``models/<model>.json``), each symbolic size ``expr_str`` goes through
  ``sympy.sympify`` (an ``eval``), each node ``target`` is looked up by attribute path from
  ``torch``, ``operator`` or ``math`` and called when the model runs, and ``guards_code`` is
  Python source compiled into the module.

`read_exported_program` therefore reads the file once, checks every member of that copy (each
pickle loads with ``torch.load(weights_only=True)``; nothing else but tensor bytes, JSON and
text), every node target (a torch operator), every symbolic expression (arithmetic on symbols)
and that there is no guards code, and only then hands the same bytes to torch. TorchScript
compiles the code it carries, so it is never loaded unless the user trusts the file.
"""

from __future__ import annotations

import ast
import io
import json
import math
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from nnaudit.errors import UserInputError

TRUST_FLAG = "--trust-model-file"

# The members of a torch.export archive that torch reads as text or JSON, never unpickles.
_TEXT_MEMBERS = {"archive_format", "archive_version", "byteorder", ".data/version",
                 ".data/serialization_id"}
# operator functions torch serializes for symbolic-size arithmetic (``_operator.<name>``).
_OPERATOR_TARGETS = {"add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "neg", "pos",
                     "abs", "eq", "ne", "lt", "le", "gt", "ge", "and_", "or_", "xor", "not_",
                     "invert", "lshift", "rshift", "getitem", "truth"}
# What a symbolic size may call: sympy's numbers, comparisons and min/max, and torch's sympy
# functions (``torch.utils._sympy.functions``), which the deserializer passes to sympify.
_SYMPY_CALLS = {"Symbol", "Integer", "Float", "Rational", "Max", "Min", "Eq", "Ne", "Lt", "Le",
                "Gt", "Ge", "And", "Or", "Not", "Abs", "floor", "ceiling", "Piecewise",
                "StrictLessThan", "StrictGreaterThan", "LessThan", "GreaterThan", "Equality",
                "Unequality"}
_TEXT_ARGUMENT_CALLS = {"Symbol", "Integer", "Float"}  # a string there is a name or a number
_ARITHMETIC = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Name,
               ast.Load, ast.Constant, ast.Call, ast.keyword, ast.operator, ast.unaryop,
               ast.boolop, ast.cmpop)


def read_exported_program(path: Path, *, trust: bool = False):
    """The ``torch.export`` program in ``path``; unless ``trust``, refused (`UserInputError`)
    when any part of it would run code on loading or when the model runs."""
    data = path.read_bytes()
    if not trust:
        data = checked_exported_archive(data, path)
    return torch.export.load(io.BytesIO(data))


def refuse_torchscript(path: Path) -> None:
    """TorchScript carries code that torch compiles on loading: never without trust."""
    raise UserInputError(f"{path} is a TorchScript file, whose code runs when it is loaded; "
                         f"nnaudit loads it only with {TRUST_FLAG} (if you trust whoever made "
                         "it), or export the model with torch.export.save (.pt2), which "
                         "nnaudit checks before loading.")


def checked_exported_archive(data: bytes, path: Path) -> bytes:
    """A copy of the ``.pt2`` archive ``data`` holding exactly the members checked; refused
    when any member would be unpickled unsafely or run. Torch reads the copy, so no trick of
    the zip format (a name twice, data outside the directory) shows it other bytes."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UserInputError(f"{path} cannot be loaded as a torch.export program (it is not "
                             "a zip archive).") from None
    if len(set(names)) != len(names):
        raise UserInputError(f"{path} cannot be loaded as a torch.export program (a member "
                             "name appears twice).")
    prefix = names[0].split("/", 1)[0] + "/" if names and "/" in names[0] else ""
    if not prefix or not all(name.startswith(prefix) for name in names):
        raise UserInputError(f"{path} cannot be loaded as a torch.export program (its members "
                             "are not in one archive folder).")
    members = {name[len(prefix):]: name for name in names}  # name in the archive folder -> full
    if "archive_version" not in members:
        raise UserInputError(f"{path} is not a torch.export archive of the current format "
                             f"(no archive_version); save it again with torch.export.save, or "
                             f"pass {TRUST_FLAG} if you trust whoever made it.")
    safe = set(_TEXT_MEMBERS)
    tensors, pickles = set(), set()
    for member, full_name in members.items():
        if member.startswith("models/") and member.endswith(".json"):
            _check_program(_json(archive, full_name, path), path)
            safe.add(member)
        elif member.startswith("data/weights/") and member.endswith("_weights_config.json"):
            _sort_payloads(_json(archive, full_name, path), "data/weights/", tensors,
                           pickles, path, constants=False)
            safe.add(member)
        elif member.startswith("data/constants/") and member.endswith("_constants_config.json"):
            _sort_payloads(_json(archive, full_name, path), "data/constants/", tensors,
                           pickles, path, constants=True)
            safe.add(member)
        elif member.startswith("extra/"):
            safe.add(member)  # extra files are read as text
    safe |= tensors - pickles  # raw tensor bytes, read as storage
    for member in sorted(set(members) - safe):  # anything else is a pickle, or refused
        try:
            torch.load(io.BytesIO(archive.read(members[member])), map_location="cpu",
                       weights_only=True)
        except Exception:  # noqa: BLE001 - any failure: it is not a plain tensor pickle
            raise UserInputError(
                f"{path} holds {member!r}, which torch.export would load as a pickle able to "
                f"run code (it is not tensors only); nnaudit refuses it, unless you pass "
                f"{TRUST_FLAG} and trust whoever made the file.") from None
    copy = io.BytesIO()
    with zipfile.ZipFile(copy, "w", zipfile.ZIP_STORED) as checked:
        for name in names:
            checked.writestr(name, archive.read(name))
    return copy.getvalue()


def _json(archive: zipfile.ZipFile, name: str, path: Path) -> Any:
    try:
        return json.loads(archive.read(name))
    except (ValueError, RecursionError):
        raise UserInputError(f"{path} cannot be loaded as a torch.export program ({name} is "
                             "not readable JSON).") from None


def _sort_payloads(config: Any, folder: str, tensors: set[str], pickles: set[str], path: Path,
                   *, constants: bool) -> None:
    """File each payload of a weights or constants config as raw tensor bytes or pickle."""
    from torch.export.pt2_archive.constants import TENSOR_CONSTANT_FILENAME_PREFIX

    entries = config.get("config") if isinstance(config, dict) else None
    if not isinstance(entries, dict):
        raise UserInputError(f"{path} cannot be loaded as a torch.export program (a payload "
                             "config is not a mapping).")
    for name, entry in entries.items():
        file = entry.get("path_name") if isinstance(entry, dict) else None
        if not isinstance(file, str):
            raise UserInputError(f"{path} cannot be loaded as a torch.export program (payload "
                                 f"{name!r} names no file).")
        if constants and not file.startswith(TENSOR_CONSTANT_FILENAME_PREFIX):
            raise UserInputError(f"{path} holds the constant {name!r}, an object torch would "
                                 f"unpickle with code; nnaudit refuses it, unless you pass "
                                 f"{TRUST_FLAG} and trust whoever made the file.")
        (pickles if entry.get("use_pickle") is not False else tensors).add(folder + file)


def _check_program(program: Any, path: Path) -> None:
    """Every node calls a torch operator, every size is arithmetic, and no guard is code."""
    if not isinstance(program, dict) or program.get("guards_code"):
        raise UserInputError(f"{path} carries guard code, which would run when the model is "
                             f"built; nnaudit refuses it, unless you pass {TRUST_FLAG} and "
                             "trust whoever made the file.")
    for key, value in _items(program):
        if key == "target" and isinstance(value, str) and not _is_operator(value):
            raise UserInputError(f"{path} calls {value!r}, which is not a torch operator; "
                                 f"nnaudit refuses it, unless you pass {TRUST_FLAG} and trust "
                                 "whoever made the file.")
        if key == "expr_str" and not (isinstance(value, str) and _is_arithmetic(value)):
            raise UserInputError(f"{path} holds the symbolic size {value!r}, which is not "
                                 f"arithmetic on sizes and would run as Python; nnaudit "
                                 f"refuses it, unless you pass {TRUST_FLAG} and trust whoever "
                                 "made the file.")


def _items(tree: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair of a JSON tree, without recursion (a deep tree is no crash)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                yield key, value
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)


def _is_operator(target: str) -> bool:
    """What the deserializer resolves ``target`` to is a torch operator or pure arithmetic."""
    module, _, name = target.partition(".")
    if module == "_operator":
        return name in _OPERATOR_TARGETS
    if module == "math":
        return "." not in name and not name.startswith("_") and callable(getattr(math, name, None))
    if module != "torch":
        return target.startswith("#")  # an extension operator: only registered handlers
    if name.startswith(("sym_", "_sym_")) and "." not in name:
        return callable(getattr(torch, name, None))  # torch.sym_max, ...: size arithmetic
    parts = name.split(".")
    if parts[0] != "ops" or any(part.startswith("__") for part in parts):
        return False
    found: Any = torch.ops
    for part in parts[1:]:
        try:
            found = getattr(found, part)
        except (AttributeError, RuntimeError):
            return False
    return isinstance(found, torch._ops.OperatorBase)


def _is_arithmetic(expression: str) -> bool:
    """``expression`` is sympy arithmetic on symbols and numbers, so sympify's eval of it can
    call nothing but sympy's constructors (and no string reaches a second sympify)."""
    from torch.utils._sympy import functions

    try:
        tree = ast.parse(expression, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    for node in ast.walk(tree):
        if not isinstance(node, _ARITHMETIC):
            return False
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            return False
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str)):
            return False
        if isinstance(node, ast.keyword) and not (
                node.arg and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, bool)):
            return False
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name is None or not (name in _SYMPY_CALLS or _is_sympy_function(functions, name)):
                return False
    # a string constant only as the first argument of Symbol/Integer/Float (a name or number)
    allowed = {id(node.args[0]) for node in ast.walk(tree) if isinstance(node, ast.Call)
               and node.func.id in _TEXT_ARGUMENT_CALLS and node.args}
    return all(id(node) in allowed for node in ast.walk(tree)
               if isinstance(node, ast.Constant) and isinstance(node.value, str))


def _is_sympy_function(functions, name: str) -> bool:
    import sympy

    found = getattr(functions, name, None) if not name.startswith("_") else None
    return isinstance(found, type) and issubclass(found, sympy.Function)
