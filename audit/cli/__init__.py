"""The `nnaudit` command: parse, call the engine, render. No audit logic lives here.

One module per group of commands: `_run` (run, train, audit), `_blackbox` (fairness),
`_slices` (slices), `_mitigate` (mitigate), `_runs` (list, show, query, report, dashboard),
`_catalog` (datasets, models). Heavy libraries (torch, pandas, the audits) are imported inside the commands so that
`nnaudit --help` starts fast. Bad input and environment faults (a full disk, a read-only folder)
exit 2 with one sentence; internal errors exit 1.

May import: every other part of nnaudit (the CLI is the top layer), inside its commands.
"""

from __future__ import annotations

import os
import sys
import warnings

from nnaudit.cli._app import app, console, print_error
# Importing a module registers its commands; `nnaudit --help` lists them in this order.
from nnaudit.cli import _run, _blackbox, _slices, _mitigate, _runs, _catalog  # noqa: E402,F401,I001
from nnaudit.errors import UserInputError

__all__ = ["app", "main"]


def main() -> None:
    from nnaudit.errors import environment_error

    warnings.showwarning = _show_warning
    try:
        app()
    except UserInputError as exc:
        print_error("error:", str(exc))
        sys.exit(2)
    except Exception as exc:
        fault = environment_error(exc)  # a full disk, a read-only or missing path: exit 2
        if fault is not None:
            print_error("error:", fault)
        else:  # an internal error: exit 1 with the cause, not a bare traceback
            print_error("internal error:", f"{type(exc).__name__}: {exc}")
            console(stderr=True).print("This is a bug in nnaudit; rerun with NNAUDIT_DEBUG=1 "
                                       "for the traceback.", soft_wrap=True)
        if os.environ.get("NNAUDIT_DEBUG"):
            raise
        sys.exit(2 if fault is not None else 1)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A library's warning quotes user data too (matplotlib: "Glyph 27 (\\x1b) missing"):
    printed with its control characters escaped, like every user string (`nnaudit.terminal`)."""
    from nnaudit.terminal import terminal_safe

    text = warnings.formatwarning(message, category, filename, lineno, line)
    try:
        (file or sys.stderr).write("\n".join(terminal_safe(part) for part in text.split("\n")))
    except OSError:  # stderr closed or gone: as warnings.showwarning, say nothing
        pass
