"""daemon.dataplane.upstream.UpstreamPool against a small local aiohttp server."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from aiohttp import web

from daemon.config import UpstreamTimeouts
from daemon.dataplane.upstream import (
    UpstreamPool,
    UpstreamTimeout,
    UpstreamUnreachable,
    retry_after_of,
)
from daemon.providers.base import UpstreamRequest

SECRET = "sk-secret-upstream-key-0123456789"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def server() -> AsyncIterator[str]:
    async def slow_headers(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(float(request.query.get("wait", "5")))
        return web.json_response({"ok": True})

    async def slow_body(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "application/json"})
        await response.prepare(request)
        await response.write(b'{"partial": ')
        await asyncio.sleep(5)
        return response

    async def pieces(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "application/json"})
        await response.prepare(request)
        for piece in (b'{"a"', b': "b', b'c"}'):
            await response.write(piece)
            await asyncio.sleep(0.02)
        await response.write_eof()
        return response

    async def sized(request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"x" * int(request.query["n"]))

    async def echo(request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "method": request.method,
                "body": (await request.read()).decode(),
                "auth": request.headers.get("authorization"),
                "ua": request.headers.get("user-agent"),
            }
        )

    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/echo")

    app = web.Application()
    app.router.add_route("*", "/slow-headers", slow_headers)
    app.router.add_route("*", "/slow-body", slow_body)
    app.router.add_route("*", "/sized", sized)
    app.router.add_route("*", "/pieces", pieces)
    app.router.add_route("*", "/echo", echo)
    app.router.add_route("*", "/redirect", redirect)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def pool() -> AsyncIterator[UpstreamPool]:
    pool = UpstreamPool(UpstreamTimeouts(connect=1, first_byte=0.2, non_stream=0.4, idle=1))
    try:
        yield pool
    finally:
        await pool.close()


def request(url: str, *, stream: bool = False, body: bytes = b"{}") -> UpstreamRequest:
    return UpstreamRequest(
        method="POST",
        url=url,
        headers={"authorization": f"Bearer {SECRET}", "content-type": "application/json"},
        body=body,
        stream=stream,
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.anyio
async def test_open_returns_at_the_headers_and_sends_the_request_as_built(
    pool: UpstreamPool, server: str
) -> None:
    response = await pool.open(request(f"{server}/echo", body=b'{"a":1}'), None)
    try:
        assert response.status == 200
        sent = await response.json()
    finally:
        response.close()
    assert sent == {"method": "POST", "body": '{"a":1}', "auth": f"Bearer {SECRET}", "ua": None}


@pytest.mark.anyio
async def test_redirects_are_not_followed(pool: UpstreamPool, server: str) -> None:
    response = await pool.open(request(f"{server}/redirect"), "direct")
    response.close()
    assert response.status == 302


@pytest.mark.anyio
async def test_a_stream_without_its_first_byte_in_time_is_an_upstream_timeout(
    pool: UpstreamPool, server: str
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(UpstreamTimeout) as caught:
        await pool.open(request(f"{server}/slow-headers?wait=5", stream=True), None)
    assert loop.time() - started < 1.5
    assert caught.value.status == 504
    assert "first byte within 0.2s" in caught.value.message


@pytest.mark.anyio
async def test_a_non_stream_response_gets_the_non_stream_timeout(
    pool: UpstreamPool, server: str
) -> None:
    response = await pool.open(request(f"{server}/slow-headers?wait=0.3"), None)
    response.close()  # 0.3 s: past first-byte, within non-stream
    with pytest.raises(UpstreamTimeout, match=r"did not send a response within 0.4s"):
        await pool.open(request(f"{server}/slow-headers?wait=5"), None)


@pytest.mark.anyio
async def test_connection_refused_is_unreachable_without_url_or_key(pool: UpstreamPool) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1beta/models/m:generateContent?key={SECRET}"
    with pytest.raises(UpstreamUnreachable) as caught:
        await pool.open(request(url), None)
    message = caught.value.message
    assert caught.value.status == 502
    assert message.startswith("cannot reach the upstream: ")
    assert SECRET not in message
    assert "generateContent" not in message  # the address may show, the URL does not
    assert "key=" not in message
    assert SECRET not in str(caught.value)


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A port whose accept queue is full: a connect there hangs (the SYN is dropped)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port: int = server.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    try:
        yield port
    finally:
        for sock in [*fillers, server]:
            sock.close()


@pytest.mark.anyio
async def test_a_connection_not_made_in_time_is_a_connect_timeout(unanswered_port: int) -> None:
    pool = UpstreamPool(UpstreamTimeouts(connect=0.2, first_byte=5, non_stream=5, idle=5))
    try:
        with pytest.raises(UpstreamTimeout, match=r"no connection within 0.2s"):
            await pool.open(request(f"http://127.0.0.1:{unanswered_port}/x", stream=True), None)
        pool.timeouts = UpstreamTimeouts(connect=0.4)  # a reload: the open session follows
        started = time.monotonic()
        with pytest.raises(UpstreamTimeout, match=r"no connection within 0.4s"):
            await pool.open(request(f"http://127.0.0.1:{unanswered_port}/x"), None)
        assert time.monotonic() - started >= 0.35
    finally:
        await pool.close()


@pytest.mark.anyio
async def test_a_socks_proxy_without_socks_support_names_the_fix_not_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "aiohttp_socks", None)  # as if the extra were not installed
    pool = UpstreamPool()
    try:
        with pytest.raises(UpstreamUnreachable) as caught:
            await pool.open(request("http://example.invalid/x"), "socks5://user:pw-123@proxy:1080")
    finally:
        await pool.close()
    assert "cliproxy[socks]" in caught.value.message
    assert "pw-123" not in caught.value.message
    assert "proxy:1080" in caught.value.message


@pytest.mark.anyio
async def test_read_body_reads_up_to_the_limit(pool: UpstreamPool, server: str) -> None:
    response = await pool.open(request(f"{server}/sized?n=1000"), None)
    try:
        assert await pool.read_body(response, 1000) == b"x" * 1000
    finally:
        response.close()


@pytest.mark.anyio
async def test_read_body_reads_a_body_that_arrives_in_pieces(
    pool: UpstreamPool, server: str
) -> None:
    response = await pool.open(request(f"{server}/pieces"), None)
    try:
        assert await pool.read_body(response, 10_000) == b'{"a": "bc"}'
    finally:
        response.close()


@pytest.mark.anyio
async def test_read_body_refuses_a_body_over_the_limit(pool: UpstreamPool, server: str) -> None:
    response = await pool.open(request(f"{server}/sized?n=1001"), None)
    try:
        with pytest.raises(UpstreamUnreachable, match="exceeds 1000 bytes"):
            await pool.read_body(response, 1000)
    finally:
        response.close()


@pytest.mark.anyio
async def test_read_body_times_out_on_a_body_that_stops(pool: UpstreamPool, server: str) -> None:
    response = await pool.open(request(f"{server}/slow-body"), None)
    try:
        with pytest.raises(UpstreamTimeout, match="stopped sending"):
            await pool.read_body(response, 1000)
    finally:
        response.close()


@pytest.mark.anyio
async def test_one_session_is_reused_and_close_closes_it(server: str) -> None:
    pool = UpstreamPool()
    for _ in range(3):
        response = await pool.open(request(f"{server}/echo"), None)
        await pool.read_body(response, 10_000)
        response.close()
    sessions = list(pool._sessions.values())
    assert len(sessions) == 1
    await pool.close()
    assert sessions[0].closed
    assert pool._sessions == {}


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": " 1.5 "}, 1.5),
        ({"retry-after": "-3"}, None),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, None),  # in the past
    ],
)
def test_retry_after_of(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_of(headers) == expected


def test_retry_after_of_an_http_date_in_the_future() -> None:
    from email.utils import formatdate

    seconds = retry_after_of({"retry-after": formatdate(time.time() + 120, usegmt=True)})
    assert seconds is not None and 115 < seconds <= 120
