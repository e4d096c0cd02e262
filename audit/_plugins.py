"""What the model and dataset registries share: names mapped to entries that are built in,
registered at run time, or read from packages' entry points (once, on first use), and the
one-line description a callable's docstring gives."""

from __future__ import annotations

import inspect
from importlib.metadata import entry_points
from typing import Callable, Generic, Iterable, TypeVar

from nnaudit.errors import UserInputError

Entry = TypeVar("Entry")


def first_doc_line(function: Callable) -> str:
    doc = (inspect.getdoc(function) or "").strip().splitlines()
    return doc[0] if doc else ""


def entry_point_callables(group: str, taken: Iterable[str]) -> dict[str, Callable]:
    """Name -> loaded callable of every entry point of ``group`` whose name is not ``taken``."""
    taken = set(taken)
    return {point.name: point.load() for point in entry_points(group=group)
            if point.name not in taken}


class Registry(Generic[Entry]):
    """Name -> entry of one kind (models, datasets).

    ``builtin``: the entries nnaudit ships. ``make_entry(function, description, **extra)``
    turns a user's callable (registered, or named by an entry point of ``group``) into an entry.
    ``kind`` and ``role`` name them in messages ("model", "builder").
    """

    def __init__(self, kind: str, role: str, group: str, builtin: dict[str, Entry],
                 make_entry: Callable[..., Entry]):
        self.kind, self.role, self.group = kind, role, group
        self.builtin, self.make_entry = builtin, make_entry
        self.registered: dict[str, Entry] = {}
        self.entry_points_read = False

    def register(self, name: str, function: Callable, description: str = "", *,
                 replace: bool = False, **extra) -> None:
        if not callable(function):
            raise UserInputError(f"{self.kind} {name!r}: the {self.role} {function!r} is not "
                                 "callable.")
        if not replace and name in self.entries():
            raise UserInputError(f"{self.kind} {name!r} is already registered; pass "
                                 "replace=True to replace it.")
        self.registered[name] = self.make_entry(function, description or first_doc_line(function),
                                                **extra)

    def entries(self) -> dict[str, Entry]:
        """Built-in, entry-point and registered entries; entry points are read on first use."""
        if not self.entry_points_read:
            self.entry_points_read = True
            for name, function in entry_point_callables(
                    self.group, [*self.builtin, *self.registered]).items():
                self.registered[name] = self.make_entry(function, first_doc_line(function))
        return {**self.builtin, **self.registered}
