"""`nnaudit dashboard` on a fresh machine, started the way a service or a CI job starts it:
stdin closed, no Streamlit credentials. It must serve, never wait on Streamlit's e-mail prompt."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

from nnaudit.dashboards import server_command


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_command_line_never_prompts_and_binds_to_the_address_asked():
    command = server_command("runs", 9000, address="127.0.0.1", headless=True)
    options = dict(zip(command[5::2], command[6::2]))
    assert options["--server.showEmailPrompt"] == "false"
    assert options["--server.headless"] == "true"
    assert options["--server.address"] == "127.0.0.1"


def test_the_dashboard_serves_with_stdin_closed_on_a_fresh_machine(runs_dir, tmp_path):
    port = free_port()
    home = tmp_path / "home"  # no ~/.streamlit/credentials.toml: Streamlit's first run
    home.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nnaudit", "dashboard", str(runs_dir), "--port", str(port),
         "--address", "127.0.0.1"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "HOME": str(home)}, preexec_fn=lambda: os.close(0))
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=2) as response:
                    assert response.read() == b"ok"
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode()
                assert time.monotonic() < deadline, "the dashboard did not start"
                time.sleep(0.5)
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0].decode()
    assert f"at http://127.0.0.1:{port}" in output
    assert "email" not in output.lower()
