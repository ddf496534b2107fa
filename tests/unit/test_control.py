"""daemon.control: the control plane's routes, driven with fake server hooks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import anyio
import httpx
import pytest
from starlette.applications import Starlette

from daemon.clock import FakeClock
from daemon.config import Settings
from daemon.control import ControlHooks, build_control_app
from daemon.logs import RecentLines
from daemon.runtime import DaemonState, ReloadResult
from daemon.version import __version__


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class WatchedLines(RecentLines):
    """RecentLines that says when someone starts following."""

    def __init__(self) -> None:
        super().__init__(capacity=50)
        self.setFormatter(logging.Formatter("%(message)s"))
        self.followed = asyncio.Event()

    def follow(self) -> asyncio.Queue[str]:
        queue = super().follow()
        self.followed.set()
        return queue

    def add(self, message: str) -> None:
        self.handle(logging.LogRecord("t", logging.INFO, __file__, 1, message, None, None))


@dataclass
class FakeServer:
    result: ReloadResult = field(default_factory=lambda: ReloadResult(True, 1.0, "reloaded"))
    reloads: int = 0
    shutdowns: int = 0
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def reload(self) -> ReloadResult:
        self.reloads += 1
        return self.result

    def shutdown(self) -> None:
        self.shutdowns += 1

    def hooks(self) -> ControlHooks:
        return ControlHooks(
            reload=self.reload,
            shutdown=self.shutdown,
            stopping=self.stopping,
            models=lambda: [{"id": "sonnet", "owned_by": "claude", "credentials": ["c[0]"]}],
        )


@dataclass
class Harness:
    state: DaemonState
    server: FakeServer
    lines: WatchedLines
    clock: FakeClock
    app: Starlette
    client: httpx.AsyncClient


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    clock = FakeClock(start=1000.0)
    lines = WatchedLines()
    state = DaemonState(
        settings=Settings(api_keys=("k1",)), clock=clock, recent_logs=lines, listen="http://x:1"
    )
    server = FakeServer()
    app = build_control_app(state, server.hooks())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cliproxy") as client:
        yield Harness(state, server, lines, clock, app, client)


@pytest.mark.anyio
async def test_status(harness: Harness) -> None:
    harness.clock.advance(42.5)
    harness.state.counters.total = 3
    harness.state.counters.finished(200)
    response = await harness.client.get("/status")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == __version__
    assert body["uptime_seconds"] == 42.5
    assert body["listen"] == "http://x:1"
    assert body["requests"]["total"] == 3
    assert body["requests"]["by_status"] == {"2xx": 1}


@pytest.mark.anyio
async def test_models_lists_what_the_hook_gives(harness: Harness) -> None:
    response = await harness.client.get("/models")
    assert response.status_code == 200
    assert response.json() == {
        "models": [{"id": "sonnet", "owned_by": "claude", "credentials": ["c[0]"]}]
    }


@pytest.mark.anyio
async def test_reload_ok_is_200(harness: Harness) -> None:
    response = await harness.client.post("/reload")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "at": 1.0, "message": "reloaded"}
    assert harness.server.reloads == 1


@pytest.mark.anyio
async def test_refused_reload_is_422(harness: Harness) -> None:
    harness.server.result = ReloadResult(False, 2.0, "config.toml:3: bad; running config kept")
    response = await harness.client.post("/reload")
    assert response.status_code == 422
    assert response.json()["ok"] is False
    assert "running config kept" in response.json()["message"]


@pytest.mark.anyio
async def test_shutdown_answers_first_then_calls_the_hook(harness: Harness) -> None:
    response = await harness.client.post("/shutdown")
    assert response.status_code == 202
    assert response.json() == {"ok": True, "message": "draining"}
    for _ in range(10):
        if harness.server.shutdowns:
            break
        await asyncio.sleep(0)
    assert harness.server.shutdowns == 1


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/status"), ("GET", "/reload"), ("GET", "/shutdown"), ("POST", "/logs")],
)
async def test_wrong_methods_are_refused(harness: Harness, method: str, path: str) -> None:
    response = await harness.client.request(method, path)
    assert response.status_code == 405
    assert harness.server.reloads == 0
    assert harness.server.shutdowns == 0


@pytest.mark.anyio
async def test_unknown_path_is_404(harness: Harness) -> None:
    assert (await harness.client.get("/nope")).status_code == 404


@pytest.mark.anyio
async def test_logs_tail(harness: Harness) -> None:
    for n in range(5):
        harness.lines.add(f"line {n}")
    response = await harness.client.get("/logs", params={"lines": 2})
    assert response.status_code == 200
    assert response.json() == {"lines": ["line 3", "line 4"]}
    everything = await harness.client.get("/logs")  # default 200 lines
    assert everything.json()["lines"] == [f"line {n}" for n in range(5)]
    none = await harness.client.get("/logs", params={"lines": 0})
    assert none.json() == {"lines": []}


@pytest.mark.anyio
@pytest.mark.parametrize("value", ["abc", "1.5", ""])
async def test_logs_lines_must_be_a_whole_number(harness: Harness, value: str) -> None:
    response = await harness.client.get("/logs", params={"lines": value})
    assert response.status_code == 400
    assert response.json() == {"error": "lines must be a whole number"}


@pytest.mark.anyio
@pytest.mark.parametrize("follow", ["0", "yes", "false"])
async def test_logs_follow_only_for_1_or_true(harness: Harness, follow: str) -> None:
    harness.lines.add("x")
    response = await harness.client.get("/logs", params={"follow": follow})
    assert response.json() == {"lines": ["x"]}
    assert not harness.lines.followed.is_set()


@pytest.mark.anyio
@pytest.mark.parametrize("follow", ["1", "true"])
async def test_logs_follow_streams_new_lines_until_stopping(harness: Harness, follow: str) -> None:
    for n in range(3):
        harness.lines.add(f"old {n}")

    async def get() -> httpx.Response:
        return await harness.client.get("/logs", params={"lines": 2, "follow": follow})

    with anyio.fail_after(5):
        request = asyncio.create_task(get())
        await harness.lines.followed.wait()
        harness.lines.add("new 1")
        harness.lines.add("new 2")
        await asyncio.sleep(0.05)  # let the stream pick them up
        assert not request.done()
        harness.server.stopping.set()
        response = await request
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "old 1\nold 2\nnew 1\nnew 2\n"
    assert harness.lines._followers == set()  # unfollowed when the stream ended


@pytest.mark.anyio
async def test_logs_follow_ends_at_once_when_already_stopping(harness: Harness) -> None:
    harness.lines.add("only")
    harness.server.stopping.set()
    with anyio.fail_after(2):
        response = await harness.client.get("/logs", params={"follow": "1"})
    assert response.text == "only\n"
    assert harness.lines._followers == set()
