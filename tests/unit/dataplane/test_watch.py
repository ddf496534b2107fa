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


@pytest.mark.anyio
async def test_a_keep_alive_with_a_start_begins_the_response_early_and_drops_the_later_start() -> (
    None
):
    client = Client()
    start: Message = {"type": "http.response.start", "status": 200, "headers": []}
    async with ClientWatch(client.receive, client.send, 0.05) as watch:
        watch.keep_alive(b"\n", lambda: True, start=start)
        await asyncio.sleep(0.18)  # a slow answer: the start, then a newline per interval
        assert watch.started_early
        await watch.send({"type": "http.response.start", "status": 200, "headers": [(b"a", b"b")]})
        await watch.send({"type": "http.response.body", "body": b"{}", "more_body": False})
    kinds = [m["type"] for m in client.sent]
    assert kinds[0] == "http.response.start" and kinds.count("http.response.start") == 1
    assert client.sent[0] is start
    assert b"".join(m.get("body", b"") for m in client.sent[1:]) == b"\n" * (len(kinds) - 2) + b"{}"
    assert len(kinds) >= 4  # at least two newlines went out


@pytest.mark.anyio
async def test_a_quick_answer_never_sees_the_early_start() -> None:
    client = Client()
    start: Message = {"type": "http.response.start", "status": 200, "headers": []}
    async with ClientWatch(client.receive, client.send, 0.2) as watch:
        watch.keep_alive(b"\n", lambda: True, start=start)
        await watch.send({"type": "http.response.start", "status": 429, "headers": []})
        await watch.send({"type": "http.response.body", "body": b"{}", "more_body": False})
        await asyncio.sleep(0.3)  # past the interval: nothing more once the answer began
    assert not watch.started_early
    assert [m.get("status") for m in client.sent] == [429, None]
