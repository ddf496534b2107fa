"""cliproxyctl.control.ControlClient against a small real server on a Unix socket, or nothing."""

from __future__ import annotations

import asyncio
import gc
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from cliproxyctl.control import ControlClient
from cliproxyctl.errors import CliError, NotRunning


@dataclass
class Calls:
    reloads: int = 0
    shutdowns: int = 0
    log_params: list[dict[str, str]] = field(default_factory=list)


def control_app(calls: Calls) -> Starlette:
    async def status(request: Request) -> Response:
        return JSONResponse({"pid": 4242, "listen": "http://127.0.0.1:1"})

    async def models(request: Request) -> Response:
        return JSONResponse({"models": [{"id": "m1"}, {"id": "m2"}]})

    async def reload(request: Request) -> Response:
        calls.reloads += 1
        return JSONResponse({"ok": False, "at": 1.0, "message": "refused"}, status_code=422)

    async def shutdown(request: Request) -> Response:
        calls.shutdowns += 1
        return JSONResponse({"ok": True, "message": "draining"}, status_code=202)

    async def logs(request: Request) -> Response:
        params = dict(request.query_params)
        calls.log_params.append(params)
        count = int(params["lines"])
        if params.get("follow") != "1":
            return JSONResponse({"lines": [f"line {n}" for n in range(count)]})

        async def stream() -> AsyncIterator[str]:
            for n in range(count):
                yield f"line {n}\n"
                await asyncio.sleep(0.01)
            yield "last one\n"

        return StreamingResponse(stream(), media_type="text/plain")

    async def slow(request: Request) -> Response:
        await asyncio.sleep(0.3)
        return JSONResponse({})

    return Starlette(
        routes=[
            Route("/status", status, methods=["GET"]),
            Route("/models", models, methods=["GET"]),
            Route("/reload", reload, methods=["POST"]),
            Route("/shutdown", shutdown, methods=["POST"]),
            Route("/logs", logs, methods=["GET"]),
            Route("/slow", slow, methods=["GET"]),
        ]
    )


@pytest.fixture(scope="module")
def short_dir() -> Iterator[Path]:
    """A folder with a path short enough for AF_UNIX sockets."""
    path = Path(tempfile.mkdtemp(prefix="cpx-", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@dataclass
class Served:
    socket: Path
    calls: Calls


@pytest.fixture(scope="module")
def served(short_dir: Path) -> Iterator[Served]:
    calls = Calls()
    path = short_dir / "control.sock"
    config = uvicorn.Config(
        control_app(calls), uds=str(path), log_config=None, access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "the test server died while starting"
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.01)
    try:
        yield Served(path, calls)
    finally:
        server.should_exit = True
        server.force_exit = True
        thread.join(timeout=10)


# --------------------------------------------------------------------------- a daemon answers


def test_status_and_is_running(served: Served) -> None:
    with ControlClient(served.socket) as control:
        assert control.is_running() is True
        assert control.status() == {"pid": 4242, "listen": "http://127.0.0.1:1"}


def test_models_unwraps_the_list(served: Served) -> None:
    with ControlClient(served.socket) as control:
        assert control.models() == [{"id": "m1"}, {"id": "m2"}]


def test_reload_returns_the_body_even_on_422(served: Served) -> None:
    before = served.calls.reloads
    with ControlClient(served.socket) as control:
        assert control.reload() == {"ok": False, "at": 1.0, "message": "refused"}
    assert served.calls.reloads == before + 1


def test_shutdown_posts(served: Served) -> None:
    before = served.calls.shutdowns
    with ControlClient(served.socket) as control:
        control.shutdown()
    assert served.calls.shutdowns == before + 1


def test_logs_passes_the_line_count(served: Served) -> None:
    with ControlClient(served.socket) as control:
        assert control.logs(3) == ["line 0", "line 1", "line 2"]
    assert served.calls.log_params[-1] == {"lines": "3"}


def test_follow_logs_yields_lines_as_they_stream(served: Served) -> None:
    with ControlClient(served.socket) as control:
        lines = list(control.follow_logs(2))
    assert lines == ["line 0", "line 1", "last one"]
    assert served.calls.log_params[-1] == {"lines": "2", "follow": "1"}


def test_a_slow_answer_is_a_cli_error_not_not_running(served: Served) -> None:
    with (
        ControlClient(served.socket, timeout=0.1) as control,
        pytest.raises(CliError, match="did not answer in time") as caught,
    ):
        control._request("GET", "/slow")
    assert not isinstance(caught.value, NotRunning)


def test_a_slow_daemon_is_not_running_for_is_running(served: Served) -> None:
    with ControlClient(served.socket, timeout=0.1) as control:
        original = control._request

        def slow_request(method: str, path: str, **kwargs: Any) -> Any:
            return original(method, "/slow", **kwargs)

        control._request = slow_request  # type: ignore[method-assign]
        assert control.is_running() is False


# --------------------------------------------------------------------------- nothing answers


def test_no_socket_file_is_not_running(short_dir: Path) -> None:
    path = short_dir / "missing.sock"
    with ControlClient(path) as control:
        assert control.is_running() is False
        for call in (control.status, control.reload, control.shutdown):
            with pytest.raises(NotRunning, match="no control socket at"):
                call()
        with pytest.raises(NotRunning, match="no control socket at"):
            control.logs(5)
        with pytest.raises(NotRunning, match="no control socket at"):
            next(control.follow_logs(5))


@pytest.fixture
def stale_socket(short_dir: Path) -> Iterator[Path]:
    """A socket file nobody listens on, as a crashed daemon leaves behind."""
    path = short_dir / "stale.sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


# httpcore (1.0.9) does not close its socket when a Unix-socket connect fails: the
# ResourceWarning is theirs, and harmless in a CLI process that is about to exit.
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
)
def test_a_stale_socket_is_not_running(stale_socket: Path) -> None:
    with ControlClient(stale_socket) as control:
        assert control.is_running() is False
        with pytest.raises(NotRunning, match="does not answer"):
            control.status()
        with pytest.raises(NotRunning, match="went away"):
            next(control.follow_logs(5))
    del control
    gc.collect()  # any leaked socket is reported here, under the filter above


@pytest.fixture
def hang_up_socket(short_dir: Path) -> Iterator[Path]:
    """A listener that hangs up on every request, as a control socket refusing our uid does."""
    path = short_dir / "hangup.sock"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))
    listener.listen(8)
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                # Close with the request unread: the client's read then fails with a reset.
                conn.recv(1, socket.MSG_PEEK)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield path
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
        path.unlink(missing_ok=True)


def test_a_peer_that_hangs_up_is_not_running(hang_up_socket: Path) -> None:
    with ControlClient(hang_up_socket) as control:
        with pytest.raises(NotRunning, match="does not answer"):
            control.status()
        assert control.is_running() is False
        with pytest.raises(NotRunning, match="went away"):
            next(control.follow_logs(5))
