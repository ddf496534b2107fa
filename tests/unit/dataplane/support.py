"""Shared by the data-plane tests that run the real app (daemon.app.build_app) in-process
against the mock upstream: settings naming the four upstream families, the app's lifespan, an
httpx client over ASGITransport, and a raw ASGI driver for disconnects."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import orjson
import pytest

from daemon.app import ProxyApp, build_app
from daemon.asgi import Message
from daemon.config import (
    ApiKeyEntry,
    OpenAICompatEntry,
    ProviderKeyEntry,
    Settings,
    UpstreamTimeouts,
)
from tests.support.mock_upstream import DEFAULT_KEY, MockConfig, MockUpstream, run_mock

CLIENT_KEY = "sk-unit-client-key-0123456789abcdef"
AUTH = {"authorization": f"Bearer {CLIENT_KEY}"}

# A model id per upstream family whose upstream id carries the mock's script: the claude,
# gemini and codex entries have no model list, so any id of their pattern goes through as is;
# the openai-compatible entry serves any id addressed through its prefix.
FAMILY_MODEL = {
    "openai-compatible": "oc/mock-{script}",
    "claude": "claude-{script}",
    "gemini": "gemini-{script}",
    "codex": "gpt-{script}",
}
UPSTREAM_PATH = {
    "openai-compatible": "/v1/chat/completions",
    "claude": "/v1/messages",
    "gemini": "/v1beta/models/",
    "codex": "/v1/responses",
}
FAMILIES = list(FAMILY_MODEL)


def model_for(family: str, script: str) -> str:
    return FAMILY_MODEL[family].format(script=script)


def settings_for(base_url: str, **overrides: Any) -> Settings:
    key = (ApiKeyEntry(api_key=DEFAULT_KEY),)
    settings = Settings(
        api_keys=(CLIENT_KEY,),
        openai_compatibility=(
            OpenAICompatEntry(
                name="mockchat", base_url=f"{base_url}/v1", prefix="oc", api_key_entries=key
            ),
        ),
        claude_api_key=(ProviderKeyEntry(api_key=DEFAULT_KEY, base_url=base_url),),
        gemini_api_key=(ProviderKeyEntry(api_key=DEFAULT_KEY, base_url=base_url),),
        codex_api_key=(ProviderKeyEntry(api_key=DEFAULT_KEY, base_url=f"{base_url}/v1"),),
        upstream_timeouts=UpstreamTimeouts(connect=2, first_byte=5, non_stream=5, idle=5),
        disable_cooling=True,  # shapes are tested here; cooldowns in tests/unit/routing
    )
    return replace(settings, **overrides)


@pytest.fixture(scope="module")
def mock() -> Iterator[MockUpstream]:
    with run_mock(MockConfig()) as upstream:
        yield upstream


@contextlib.asynccontextmanager
async def running(app: ProxyApp) -> AsyncIterator[ProxyApp]:
    """Run the app's lifespan around the block (its shutdown closes the upstream pool)."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    assert (await outbox.get())["type"] == "lifespan.startup.complete"
    try:
        yield app
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        assert (await outbox.get())["type"] == "lifespan.shutdown.complete"
        await task


@contextlib.asynccontextmanager
async def proxy(settings: Settings) -> AsyncIterator[tuple[ProxyApp, httpx.AsyncClient]]:
    async with running(build_app(settings)) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://proxy", headers=AUTH, timeout=20
        ) as client:
            yield app, client


@dataclass
class Exchange:
    """One request driven straight through the ASGI app (no buffering client in between)."""

    messages: list[Message] = field(default_factory=list)
    gone: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages[1:])

    @property
    def ended(self) -> bool:
        return bool(self.messages) and not self.messages[-1].get("more_body", False)


async def drive(
    app: ProxyApp,
    path: str,
    body: dict[str, Any],
    *,
    leave_after: float | None = None,
    headers: dict[str, str] | None = None,
    limit: float = 10,
) -> Exchange:
    """POST `body` to `path`; the client leaves `leave_after` seconds in (None: stays)."""
    exchange = Exchange()
    raw_path, _, query = path.partition("?")
    all_headers = {**AUTH, "content-type": "application/json", **(headers or {})}
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.encode(), v.encode()) for k, v in all_headers.items()],
        "client": ("127.0.0.1", 1),
        "server": ("proxy", 80),
    }
    sent_body = False

    async def receive() -> Message:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": orjson.dumps(body), "more_body": False}
        await exchange.gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        exchange.messages.append(message)

    if leave_after is not None:
        asyncio.get_running_loop().call_later(leave_after, exchange.gone.set)
    try:
        await asyncio.wait_for(app(scope, receive, send), limit)
    finally:
        exchange.gone.set()
    return exchange


def sse_data(raw: bytes) -> list[Any]:
    """The JSON payloads of an SSE body ([DONE] left out)."""
    from daemon.formats.sse import SSEParser

    parser = SSEParser()
    return [orjson.loads(e.data) for e in parser.feed(raw) + parser.close() if e.data != "[DONE]"]
