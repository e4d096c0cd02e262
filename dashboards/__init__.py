"""The Streamlit dashboard over a folder of run directories (`nnaudit dashboard`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"


def server_command(runs_dir: Path | str, port: int = 8501, *, address: str = "localhost",
                   headless: bool = False) -> list[str]:
    """The ``streamlit run`` command line that serves ``runs_dir`` on ``address:port``."""
    return [sys.executable, "-m", "streamlit", "run", str(APP),
            "--server.port", str(port), "--server.address", address,
            "--server.headless", str(headless).lower(),
            "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
            "--", "--runs", str(Path(runs_dir).resolve())]


def launch(runs_dir: Path | str, port: int = 8501, *, address: str = "localhost",
           headless: bool = False) -> int:
    """Serve the dashboard over ``runs_dir`` until interrupted; returns streamlit's exit code.

    Binds to localhost by default: pass ``address="0.0.0.0"`` to share it with a room.
    """
    try:
        return subprocess.call(server_command(runs_dir, port, address=address, headless=headless))
    except KeyboardInterrupt:
        return 0


__all__ = ["APP", "launch", "server_command"]
