"""ClientWatch: the client leaving cancels the request's own work; silent streams get pings."""

from __future__ import annotations

import asyncio

import pytest

from daemon.asgi import Message
from daemon.dataplane.watch import ClientWatch


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Client:
    def __init__(self) -> None:
        self.leave = asyncio.Event()
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        await self.leave.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.sent.append(message)


@pytest.mark.anyio
async def test_the_client_leaving_cancels_the_work_and_the_watch_swallows_it() -> None:
    client = Client()
    reached_end = False
    loop = asyncio.get_running_loop()
    loop.call_later(0.05, client.leave.set)
    async with ClientWatch(client.receive, client.send) as watch:
        await asyncio.sleep(10)  # an upstream that never answers
        reached_end = True
    assert watch.gone
    assert not reached_end
    await asyncio.sleep(0)  # the task is not left cancelled: it can await again
    assert not asyncio.current_task().cancelling()  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_work_that_finishes_is_untouched() -> None:
    client = Client()
    async with ClientWatch(client.receive, client.send) as watch:
        await asyncio.sleep(0.01)
        await watch.send({"type": "http.response.body", "body": b"x", "more_body": False})
    assert not watch.gone
    assert client.sent[-1]["body"] == b"x"


@pytest.mark.anyio
async def test_a_server_side_cancellation_is_not_swallowed() -> None:
    client = Client()

    async def work() -> None:
        async with ClientWatch(client.receive, client.send):
            await asyncio.sleep(10)

    task = asyncio.create_task(work())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.anyio
async def test_keep_alives_only_between_events_and_never_after_the_end() -> None:
    client = Client()
    boundary = {"now": False}
    async with ClientWatch(client.receive, client.send, keepalive_interval=0.05) as watch:
        await watch.send({"type": "http.response.start", "status": 200, "headers": []})
        watch.keep_alive(b": ping\n\n", lambda: boundary["now"])
        await asyncio.sleep(0.2)  # silent, but mid-event: no ping
        assert [m for m in client.sent if m.get("body") == b": ping\n\n"] == []
        boundary["now"] = True
        await asyncio.sleep(0.2)
        pings = [m for m in client.sent if m.get("body") == b": ping\n\n"]
        assert pings
        assert all(m["more_body"] for m in pings)
        await watch.send({"type": "http.response.body", "body": b"end", "more_body": False})
        count = len(client.sent)
        await asyncio.sleep(0.2)
        assert len(client.sent) == count  # nothing after the last body
