"""A few raw-ASGI helpers for the proxy's hot path (Starlette's Response classes cost more
per request than the proxy itself should)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from daemon.errors import ProxyError, RequestTooLarge, render_error
from daemon.model import WireFormat

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def header_dict(scope: Scope) -> dict[str, str]:
    """Request headers as a dict of lower-case names (the last one wins on repeats)."""
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}


async def send_bytes(
    send: Send, status: int, body: bytes, headers: dict[str, str] | None = None
) -> None:
    raw = [(b"content-length", str(len(body)).encode())]
    for name, value in (headers or {"content-type": "application/json"}).items():
        raw.append((name.encode("latin-1"), value.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def send_json(send: Send, status: int, payload: Any) -> None:
    await send_bytes(send, status, orjson.dumps(payload))


async def send_error(send: Send, wire_format: WireFormat, error: ProxyError) -> None:
    """The error in the shape of the API the client called."""
    status, headers, body = render_error(wire_format, error.to_api_error())
    await send_bytes(send, status, body, headers)


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole request body, refusing one over `limit` bytes before reading it all."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            raise RequestTooLarge(f"request body exceeds the {limit // (1024 * 1024)} MiB limit")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise RequestTooLarge(f"request body exceeds the {limit // (1024 * 1024)} MiB limit")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
