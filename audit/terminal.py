"""User strings made safe for a terminal: no control character reaches it raw.

A group value, a column name, a run name or a path comes from a user's file; printed as is, an
ESC (``\\x1b[2J`` clears the screen, ``\\x1b]0;...`` sets the window title), a NUL, a C1
control (``\\x9b`` is a one-byte CSI) or DEL would be read by the terminal as a command.
Everything the CLI prints of a user's data goes through `terminal_safe`, or `user_text` for
Rich, whose `Text` is never parsed for markup either (a group named ``[bold]x[/]`` prints as
written).
"""

from __future__ import annotations

import re
from typing import Any

# C0 (tab and newline included: a value must not break a table's row), DEL and C1.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def terminal_safe(value: Any) -> str:
    """``str(value)`` with each control character shown escaped, as ``\\x1b``."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", str(value))


def user_text(value: Any, style: str | None = None):
    """A Rich `Text` of ``value``, control characters escaped, never read as markup."""
    from rich.text import Text

    return Text(terminal_safe(value), style=style or "")
