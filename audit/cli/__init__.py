"""The `nnaudit` command: parse, call the engine, render. No audit logic lives here.

One module per group of commands: `_run` (run, train, audit), `_blackbox` (fairness),
`_runs` (list, show, report, dashboard), `_catalog` (datasets, models). Heavy libraries (torch,
pandas, the audits) are imported inside the commands so that `nnaudit --help` starts fast. Bad
input and environment faults (a full disk, a read-only folder) exit 2 with one sentence;
internal errors exit 1.
"""

from __future__ import annotations

import os
import sys

from nnaudit.cli._app import app, console
# Importing a module registers its commands; `nnaudit --help` lists them in this order.
from nnaudit.cli import _run, _blackbox, _runs, _catalog  # noqa: E402,F401,I001
from nnaudit.errors import UserInputError

__all__ = ["app", "main"]


def main() -> None:
    from rich.markup import escape

    try:
        app()
    except UserInputError as exc:
        console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        sys.exit(2)
    except Exception as exc:  # an internal error: exit 1 with the cause, not a bare traceback
        console(stderr=True).print(
            f"[bold red]internal error:[/] {escape(f'{type(exc).__name__}: {exc}')}\n"
            "This is a bug in nnaudit; rerun with NNAUDIT_DEBUG=1 for the traceback.",
            soft_wrap=True)
        if os.environ.get("NNAUDIT_DEBUG"):
            raise
        sys.exit(1)
