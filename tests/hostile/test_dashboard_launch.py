"""`nnaudit dashboard` with a port or an address it cannot listen on: one sentence, exit 2,
before Streamlit starts (issue 23; it exited 1 with the server's traceback)."""

from __future__ import annotations

import socket

import pytest

from hostile.conftest import one_sentence_exit_2


@pytest.fixture
def no_server(monkeypatch):
    import os

    monkeypatch.setattr(os, "execv", lambda *a: pytest.fail("the server was started"))


@pytest.mark.parametrize("args, fragment", [
    (["--port", "99999"], "--port must be between 1 and 65535"),
    (["--port", "0"], "--port must be between 1 and 65535"),
    (["--address", "evil host"], "is not an address or host name"),
])
def test_a_port_or_address_nothing_can_listen_on_is_refused(cli, tmp_path, no_server, args,
                                                            fragment):
    one_sentence_exit_2(cli("dashboard", tmp_path, "--headless", *args), fragment)


def test_a_port_another_program_holds_is_refused(cli, tmp_path, no_server):
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        result = cli("dashboard", tmp_path, "--headless", "--address", "127.0.0.1",
                     "--port", port)
    one_sentence_exit_2(result, f"Port {port}", "already in use")


def test_a_free_port_starts_the_server(cli, tmp_path, monkeypatch):
    import os

    started = []
    monkeypatch.setattr(os, "execv", lambda path, command: started.append(command))
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    cli("dashboard", tmp_path, "--headless", "--address", "127.0.0.1", "--port", port)
    assert started and str(port) in started[0]
