"""UpstreamPool through real (loopback) SOCKS5 and HTTP proxies: tests/support/proxies.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from aiohttp import web

from daemon.config import UpstreamTimeouts
from daemon.dataplane.upstream import UpstreamPool, UpstreamUnreachable
from daemon.providers.base import UpstreamRequest
from tests.support.proxies import HttpProxy, Socks5Proxy, run_http_proxy, run_socks5

pytest.importorskip("aiohttp_socks")

SECRET = "sk-secret-upstream-key-0123456789"
PASSWORD = "pr0xy-pa55word-do-not-leak"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def origin() -> AsyncIterator[tuple[str, int]]:
    """(base URL, port) of a small server echoing what reached it."""

    async def echo(request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "method": request.method,
                "path": request.path_qs,
                "body": (await request.read()).decode(),
                "auth": request.headers.get("authorization"),
                "proxy_auth": request.headers.get("proxy-authorization"),
            }
        )

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        for n in range(3):
            await response.write(f"data: {n}\n\n".encode())
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    app.router.add_route("*", "/stream", stream)
    runner = web.AppRunner(app, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    try:
        yield f"http://127.0.0.1:{port}", port
    finally:
        await runner.cleanup()


@pytest.fixture
async def pool() -> AsyncIterator[UpstreamPool]:
    pool = UpstreamPool(UpstreamTimeouts(connect=2, first_byte=2, non_stream=2, idle=2))
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
def socks() -> Iterator[Socks5Proxy]:
    with run_socks5() as proxy:
        yield proxy


@pytest.fixture
def socks_auth() -> Iterator[Socks5Proxy]:
    with run_socks5("user", PASSWORD) as proxy:
        yield proxy


@pytest.fixture
def http_proxy() -> Iterator[HttpProxy]:
    with run_http_proxy() as proxy:
        yield proxy


def request(url: str, *, stream: bool = False) -> UpstreamRequest:
    return UpstreamRequest(
        method="POST",
        url=url,
        headers={"authorization": f"Bearer {SECRET}", "content-type": "application/json"},
        body=b'{"a":1}',
        stream=stream,
    )


async def echoed(pool: UpstreamPool, url: str, proxy_url: str | None) -> dict[str, object]:
    response = await pool.open(request(url), proxy_url)
    try:
        assert response.status == 200
        body: dict[str, object] = await response.json()
    finally:
        response.close()
    return body


@pytest.mark.anyio
async def test_socks5_without_auth_carries_the_request(
    pool: UpstreamPool, origin: tuple[str, int], socks: Socks5Proxy
) -> None:
    base, port = origin
    sent = await echoed(pool, f"{base}/echo?x=1", socks.url("socks5"))
    assert sent == {
        "method": "POST",
        "path": "/echo?x=1",
        "body": '{"a":1}',
        "auth": f"Bearer {SECRET}",
        "proxy_auth": None,
    }
    assert socks.targets == [("127.0.0.1", port)]
    assert socks.auths == []
    assert socks.bytes_up > 0 and socks.bytes_down > 0


@pytest.mark.anyio
async def test_socks5_with_auth_sends_the_credentials_and_streams(
    pool: UpstreamPool, origin: tuple[str, int], socks_auth: Socks5Proxy
) -> None:
    base, port = origin
    response = await pool.open(request(f"{base}/stream", stream=True), socks_auth.url("socks5"))
    try:
        assert response.status == 200
        body = await pool.read_body(response, 10_000)
    finally:
        response.close()
    assert body == b"data: 0\n\ndata: 1\n\ndata: 2\n\n"
    assert socks_auth.auths == [("user", PASSWORD)]
    assert socks_auth.targets == [("127.0.0.1", port)]


@pytest.mark.anyio
async def test_socks5_with_wrong_credentials_is_unreachable_without_the_password(
    pool: UpstreamPool, origin: tuple[str, int], socks_auth: Socks5Proxy
) -> None:
    base, _ = origin
    wrong = f"socks5://user:wrong-{PASSWORD}@127.0.0.1:{socks_auth.port}"
    with pytest.raises(UpstreamUnreachable) as caught:
        await pool.open(request(f"{base}/echo"), wrong)
    assert PASSWORD not in str(caught.value)
    assert socks_auth.targets == []
    assert socks_auth.refused == 1


@pytest.mark.anyio
async def test_http_proxy_forwards_absolute_form_requests(
    pool: UpstreamPool, origin: tuple[str, int], http_proxy: HttpProxy
) -> None:
    base, port = origin
    first = await echoed(pool, f"{base}/echo?x=1", http_proxy.url("http"))
    second = await echoed(pool, f"{base}/echo", http_proxy.url("http"))
    assert first["path"] == "/echo?x=1" and second["path"] == "/echo"
    assert first["auth"] == f"Bearer {SECRET}" and first["proxy_auth"] is None
    assert http_proxy.requests == [("POST", f"{base}/echo?x=1"), ("POST", f"{base}/echo")]
    assert http_proxy.targets == [("127.0.0.1", port)] * 2


@pytest.mark.anyio
async def test_http_proxy_credentials_go_in_proxy_authorization(
    pool: UpstreamPool, origin: tuple[str, int]
) -> None:
    base, _ = origin
    with run_http_proxy("huser", PASSWORD) as proxy:
        sent = await echoed(pool, f"{base}/echo", proxy.url("http"))
        assert proxy.auths == [("huser", PASSWORD)]
        assert proxy.refused == 0
    assert sent["proxy_auth"] is None  # not forwarded to the origin


@pytest.mark.anyio
async def test_direct_and_no_proxy_bypass_the_proxies(
    pool: UpstreamPool, origin: tuple[str, int], socks: Socks5Proxy, http_proxy: HttpProxy
) -> None:
    base, _ = origin
    await echoed(pool, f"{base}/echo", "direct")
    await echoed(pool, f"{base}/echo", None)
    assert socks.targets == [] and http_proxy.targets == []


@pytest.mark.anyio
async def test_an_unreachable_socks_proxy_is_upstream_unreachable_without_the_password(
    pool: UpstreamPool, origin: tuple[str, int]
) -> None:
    base, _ = origin
    with run_socks5() as proxy:
        port = proxy.port  # stopped: nothing listens there any more
    with pytest.raises(UpstreamUnreachable) as caught:
        await pool.open(request(f"{base}/echo"), f"socks5://user:{PASSWORD}@127.0.0.1:{port}")
    assert PASSWORD not in str(caught.value)
    assert SECRET not in str(caught.value)


@pytest.mark.anyio
async def test_an_unreachable_http_proxy_is_upstream_unreachable_without_the_password(
    pool: UpstreamPool, origin: tuple[str, int]
) -> None:
    base, _ = origin
    with run_http_proxy() as proxy:
        port = proxy.port
    with pytest.raises(UpstreamUnreachable) as caught:
        await pool.open(request(f"{base}/echo"), f"http://user:{PASSWORD}@127.0.0.1:{port}")
    assert PASSWORD not in str(caught.value)
