"""How deep a document nests, counted without recursion, and the limit every reader of a
user's TOML or JSON holds it to (the config, a run's manifest.json and config.toml).

May import: the standard library only (the lowest layer: config and store both use it).
"""

from __future__ import annotations

from typing import Any

# A config nests a few levels ([data.options]); anything deeper is refused before it is walked.
MAX_DEPTH = 32


def nesting_depth(obj: Any) -> int:
    """How deep lists and dicts nest in ``obj``, counted without recursion."""
    deepest, stack = 0, [(obj, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, (list, tuple)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in node)
    return deepest
