"""What the model and dataset registries share: callables from packages' entry points, and the
one-line description a callable's docstring gives."""

from __future__ import annotations

import inspect
from importlib.metadata import entry_points
from typing import Callable, Iterable


def first_doc_line(function: Callable) -> str:
    doc = (inspect.getdoc(function) or "").strip().splitlines()
    return doc[0] if doc else ""


def entry_point_callables(group: str, taken: Iterable[str]) -> dict[str, Callable]:
    """Name -> loaded callable of every entry point of ``group`` whose name is not ``taken``."""
    taken = set(taken)
    return {point.name: point.load() for point in entry_points(group=group)
            if point.name not in taken}
