"""Lazy public names for a package (PEP 562): a name's module is imported on first use."""

from importlib import import_module
from typing import Any, Callable


def lazy_getattr(package: str, public: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` serving each name of ``public`` (name -> module) from its module."""

    def __getattr__(name: str) -> Any:
        if name in public:
            return getattr(import_module(public[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
