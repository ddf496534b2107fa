"""The outside world: HTTP probes, Unix socket states, TCP port binding, listener pids."""

from __future__ import annotations

import http.server
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cliproxyctl.doctor.probe import (
    HttpProber,
    SocketState,
    bind_error,
    daemon_status,
    in_use,
    listener_pids,
    socket_state,
)
from tests.support.doctor import private_home


@pytest.fixture
def home() -> Iterator[Path]:
    yield from private_home()


@pytest.fixture
def http_url() -> Iterator[str]:
    class Quiet(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            self.send_response(405)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_any_http_answer_counts_as_reachable(http_url: str) -> None:
    result = HttpProber().probe(http_url, 2.0, None)
    assert result.reachable and result.detail == "HTTP 405"


def test_a_closed_port_is_unreachable_but_resolvable() -> None:
    result = HttpProber().probe(f"http://127.0.0.1:{free_port()}", 2.0, None)
    assert not result.reachable and result.resolvable
    assert result.detail


def test_a_name_that_cannot_resolve_says_so() -> None:
    result = HttpProber().probe("https://no-such-host.invalid", 2.0, None)
    assert not result.reachable and not result.resolvable
    assert "no-such-host.invalid" in result.detail


def test_socket_states(home: Path) -> None:
    path = home / "s.sock"
    assert socket_state(path) is SocketState.ABSENT
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))
    listener.listen(1)
    assert socket_state(path) is SocketState.LIVE
    listener.close()  # the file stays: a daemon that died
    assert path.exists()
    assert socket_state(path) is SocketState.STALE
    path.unlink()
    path.write_text("not a socket")
    assert socket_state(path) is SocketState.OTHER


def test_daemon_status_is_none_when_nobody_answers(home: Path) -> None:
    assert daemon_status(home / "none.sock") is None
    path = home / "dead.sock"
    with socket.socket(socket.AF_UNIX) as dead:
        dead.bind(str(path))
    assert daemon_status(path, timeout=1.0) is None


def test_bind_error_tells_free_from_held_ports() -> None:
    assert bind_error("127.0.0.1", free_port()) is None
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        error = bind_error("127.0.0.1", port)
        assert error is not None and in_use(error)
        assert os.getpid() in listener_pids(port)
    assert isinstance(bind_error("no-such-host.invalid", 1234), socket.gaierror)
