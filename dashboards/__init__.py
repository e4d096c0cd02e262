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
    if headless is None:
        headless = not (os.isatty(0) and os.isatty(1))  # False for a closed descriptor too
    host = "localhost" if address in ("0.0.0.0", "::") else address
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    print(f"nnaudit dashboard over {Path(runs_dir).resolve()} at {url} (Ctrl-C stops it)",
          flush=True)
    command = server_command(runs_dir, port, address=address, headless=headless)
    os.execv(command[0], command)


__all__ = ["APP", "launch", "server_command"]
