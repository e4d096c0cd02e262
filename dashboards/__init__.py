"""The Streamlit dashboard over a folder of run directories (`nnaudit dashboard`).

May import: nnaudit.reports and what it may import, plus nnaudit.fairness and nnaudit.energy
(tables recomputed from stored counts); never the pipeline, the trainer or the CLI
(tests/packaging checks it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

APP = Path(__file__).resolve().parent / "app.py"


def server_command(runs_dir: Path | str, port: int = 8501, *, address: str = "localhost",
                   headless: bool = False) -> list[str]:
    """The ``streamlit run`` command line that serves ``runs_dir`` on ``address:port``.

    Never asks for an e-mail address (Streamlit's first-run prompt would wait on stdin), never
    sends usage statistics, and opens a browser only when ``headless`` is false.
    """
    return [sys.executable, "-m", "streamlit", "run", str(APP),
            "--server.port", str(port), "--server.address", address,
            "--server.headless", str(headless).lower(), "--server.showEmailPrompt", "false",
            "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
            "--", "--runs", str(Path(runs_dir).resolve())]


def launch(runs_dir: Path | str, port: int = 8501, *, address: str = "localhost",
           headless: bool | None = None) -> NoReturn:
    """Serve the dashboard over ``runs_dir``: this process becomes the Streamlit server.

    Replacing the process (rather than waiting on a child) lets Ctrl-C and a service manager's
    SIGTERM reach the server itself, and never leaves it running alone. Binds to localhost by
    default: pass ``address="0.0.0.0"`` to share it with a room. ``headless=None`` opens a
    browser only when a person is at a terminal. The server reads nothing from stdin, so it
    also runs with stdin closed (a service, a CI job).
    """
    check_address(port, address)
    if headless is None:
        headless = not (os.isatty(0) and os.isatty(1))  # False for a closed descriptor too
    host = "localhost" if address in ("0.0.0.0", "::") else address
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    print(f"nnaudit dashboard over {Path(runs_dir).resolve()} at {url} (Ctrl-C stops it)",
          flush=True)
    command = server_command(runs_dir, port, address=address, headless=headless)
    os.execv(command[0], command)


def check_address(port: int, address: str) -> None:
    """A port and an address the server can listen on, checked by binding them once: a port
    out of range, a host name that resolves to nothing or a port another program holds is one
    sentence here, not the server's traceback after it started."""
    import errno
    import socket

    from nnaudit.errors import UserInputError

    if not 1 <= port <= 65535:
        raise UserInputError(f"--port must be between 1 and 65535, not {port}.")
    try:
        family, kind, proto, _, where = socket.getaddrinfo(
            address, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError):
        raise UserInputError(f"--address {address!r} is not an address or host name of this "
                             "machine (localhost, 0.0.0.0, or one of its IP addresses).") from None
    with socket.socket(family, kind, proto) as probe:
        # as the server binds: a port left in TIME_WAIT is free, one that a server holds is not
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(where)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UserInputError(f"Port {port} on {address} is already in use; stop the "
                                     "program that holds it or choose another --port.") from None
            if exc.errno in (errno.EADDRNOTAVAIL, errno.EACCES):
                raise UserInputError(f"The dashboard cannot listen on {address} port {port} "
                                     f"({exc.strerror}); choose another --address or a --port "
                                     "above 1023.") from None
            raise


__all__ = ["APP", "check_address", "launch", "server_command"]
