"""daemon.asgi: the raw-ASGI helpers of the hot path (headers, responses, errors, body limit)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest

from daemon.asgi import (
    Message,
    Receive,
    Scope,
    Send,
    header_dict,
    read_body,
    send_bytes,
    send_error,
    send_json,
)
from daemon.errors import NotFound, RateLimited, RequestTooLarge
from daemon.model import WireFormat

MIB = 1024 * 1024


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Recorder:
    """A `send` that keeps the messages."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        status: int = self.messages[0]["status"]
        return status

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(self.messages[0]["headers"])

    @property
    def body(self) -> bytes:
        body: bytes = self.messages[1]["body"]
        return body


def receiver(*messages: Message) -> tuple[Receive, list[int]]:
    """A `receive` that hands out `messages` and counts the calls."""
    calls = [0]
    queue = list(messages)

    async def receive() -> Message:
        calls[0] += 1
        return queue.pop(0)

    return receive, calls


def scope_with(headers: list[tuple[bytes, bytes]]) -> Scope:
    return {"type": "http", "headers": headers}


def chunk(body: bytes, more: bool = True) -> Message:
    return {"type": "http.request", "body": body, "more_body": more}


# --------------------------------------------------------------------------- header_dict


def test_header_dict_decodes_latin1_and_the_last_repeat_wins() -> None:
    scope = scope_with([(b"x-a", b"1"), (b"x-b", b"caf\xe9"), (b"x-a", b"2")])
    assert header_dict(scope) == {"x-a": "2", "x-b": "café"}


# --------------------------------------------------------------------------- responses


@pytest.mark.anyio
async def test_send_bytes_sets_length_and_json_by_default() -> None:
    send = Recorder()
    await send_bytes(send, 201, b"{}")
    assert [m["type"] for m in send.messages] == ["http.response.start", "http.response.body"]
    assert send.status == 201
    assert send.headers == {b"content-length": b"2", b"content-type": b"application/json"}
    assert send.body == b"{}"


@pytest.mark.anyio
async def test_send_bytes_with_own_headers_replaces_the_default_type() -> None:
    send = Recorder()
    await send_bytes(send, 200, b"hello", {"content-type": "text/plain", "x-y": "z"})
    assert send.headers == {
        b"content-length": b"5",
        b"content-type": b"text/plain",
        b"x-y": b"z",
    }


@pytest.mark.anyio
async def test_send_json() -> None:
    send = Recorder()
    await send_json(send, 200, {"a": [1, "é"]})
    assert orjson.loads(send.body) == {"a": [1, "é"]}
    assert send.headers[b"content-length"] == str(len(send.body)).encode()


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("wire_format", "check"),
    [
        (WireFormat.OPENAI_CHAT, lambda b: b["error"]["type"] == "not_found_error"),
        (WireFormat.OPENAI_RESPONSES, lambda b: b["error"]["type"] == "not_found_error"),
        (WireFormat.ANTHROPIC, lambda b: b["type"] == "error"),
        (WireFormat.GEMINI, lambda b: b["error"]["status"] == "NOT_FOUND"),
    ],
)
async def test_send_error_speaks_the_callers_format(wire_format: WireFormat, check: object) -> None:
    send = Recorder()
    await send_error(send, wire_format, NotFound("nothing here"))
    assert send.status == 404
    body = orjson.loads(send.body)
    assert callable(check) and check(body)
    assert "nothing here" in send.body.decode()
    assert b"retry-after" not in send.headers


@pytest.mark.anyio
async def test_send_error_carries_retry_after() -> None:
    send = Recorder()
    await send_error(send, WireFormat.ANTHROPIC, RateLimited("slow down", retry_after=2.6))
    assert send.status == 429
    assert send.headers[b"retry-after"] == b"3"
    assert send.headers[b"content-type"] == b"application/json"


# --------------------------------------------------------------------------- read_body


@pytest.mark.anyio
async def test_read_body_joins_chunks() -> None:
    receive, calls = receiver(chunk(b"ab"), chunk(b""), chunk(b"cd", more=False))
    assert await read_body(scope_with([]), receive, 100) == b"abcd"
    assert calls[0] == 3


@pytest.mark.anyio
async def test_read_body_without_more_body_key_is_one_message() -> None:
    receive, calls = receiver({"type": "http.request", "body": b"x"})
    assert await read_body(scope_with([]), receive, 100) == b"x"
    assert calls[0] == 1


@pytest.mark.anyio
async def test_read_body_of_an_empty_request() -> None:
    receive, _ = receiver({"type": "http.request"})
    assert await read_body(scope_with([]), receive, 100) == b""


@pytest.mark.anyio
async def test_read_body_stops_at_a_disconnect() -> None:
    receive, _ = receiver(chunk(b"par"), {"type": "http.disconnect"})
    assert await read_body(scope_with([]), receive, 100) == b"par"


@pytest.mark.anyio
async def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    receive, calls = receiver()
    scope = scope_with([(b"content-length", str(2 * MIB + 1).encode())])
    with pytest.raises(RequestTooLarge, match="exceeds the 2 MiB limit"):
        await read_body(scope, receive, 2 * MIB)
    assert calls[0] == 0


@pytest.mark.anyio
async def test_a_declared_length_at_the_limit_is_read() -> None:
    receive, _ = receiver(chunk(b"12345", more=False))
    scope = scope_with([(b"content-length", b"5")])
    assert await read_body(scope, receive, 5) == b"12345"


@pytest.mark.anyio
async def test_a_streamed_body_over_the_limit_is_refused_mid_way() -> None:
    receive, calls = receiver(chunk(b"123"), chunk(b"456"), chunk(b"789", more=False))
    with pytest.raises(RequestTooLarge):
        await read_body(scope_with([]), receive, 5)
    assert calls[0] == 2  # the third chunk was never asked for


@pytest.mark.anyio
async def test_a_lying_or_odd_content_length_does_not_bypass_the_limit() -> None:
    receive, _ = receiver(chunk(b"123456", more=False))
    with pytest.raises(RequestTooLarge):
        await read_body(scope_with([(b"content-length", b"1")]), receive, 5)
    receive, _ = receiver(chunk(b"123456", more=False))
    with pytest.raises(RequestTooLarge):
        await read_body(scope_with([(b"content-length", b"-1")]), receive, 5)


# --------------------------------------------------------------------------- over real HTTP


async def body_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Echoes the size of the body it read, or a 413 in the OpenAI shape."""
    try:
        body = await read_body(scope, receive, MIB)
    except RequestTooLarge as error:
        await send_error(send, WireFormat.OPENAI_CHAT, error)
        return
    await send_json(send, 200, {"size": len(body), "headers": header_dict(scope)})


async def chunks(count: int, size: int) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b"x" * size


@pytest.mark.anyio
async def test_over_http_with_content_length() -> None:
    transport = httpx.ASGITransport(app=body_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        ok = await client.post("/", content=b"x" * MIB, headers={"X-Mixed": "V"})
        assert ok.status_code == 200
        assert ok.json()["size"] == MIB
        assert ok.json()["headers"]["x-mixed"] == "V"
        assert ok.json()["headers"]["content-length"] == str(MIB)
        too_big = await client.post("/", content=b"x" * (MIB + 1))
    assert too_big.status_code == 413
    assert too_big.json()["error"]["type"] == "invalid_request_error"
    assert "1 MiB" in too_big.json()["error"]["message"]


@pytest.mark.anyio
async def test_over_http_chunked() -> None:
    transport = httpx.ASGITransport(app=body_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        ok = await client.post("/", content=chunks(4, MIB // 4))
        too_big = await client.post("/", content=chunks(5, MIB // 4))
    assert ok.status_code == 200
    assert ok.json()["size"] == MIB
    assert "content-length" not in ok.json()["headers"]
    assert too_big.status_code == 413
