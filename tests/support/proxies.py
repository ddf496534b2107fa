"""Minimal SOCKS5 and HTTP forward proxies on loopback, for testing `proxy-url` for real.

Each runs on 127.0.0.1 with an ephemeral port in a background thread with its own event loop,
and records what it saw: the (host, port) targets it connected to, the credentials offered, and
the bytes it relayed. Use them as context managers (`with run_socks5(...) as proxy:`); on exit
every connection is closed and the thread joined.

- `Socks5Proxy`: RFC 1928 CONNECT to an IPv4 address, a domain name or an IPv6 address; no
  authentication, or username/password (RFC 1929) when `username` is given.
- `HttpProxy`: absolute-form requests (`POST http://host:port/path HTTP/1.1`), forwarded to the
  origin in origin-form with `Connection: close` (one request per proxy connection, so each is
  recorded), and CONNECT tunnels. With `username` given, requests without the matching
  `Proxy-Authorization: Basic` get 407.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import urlsplit

_LOOPBACK = "127.0.0.1"


@dataclass
class _Record:
    targets: list[tuple[str, int]] = field(default_factory=list)
    auths: list[tuple[str, str]] = field(default_factory=list)  # (username, password) offered
    requests: list[tuple[str, str]] = field(default_factory=list)  # HTTP: (method, target)
    bytes_up: int = 0  # client -> target
    bytes_down: int = 0  # target -> client
    refused: int = 0  # connections turned away (bad credentials, bad request)


class _ThreadedProxy:
    """The thread, loop and connection bookkeeping shared by both proxies."""

    def __init__(self, username: str | None = None, password: str = "") -> None:
        self.username = username
        self.password = password
        self.port = 0
        self._record = _Record()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # ---- what it saw (read from any thread) --------------------------------------------------

    @property
    def targets(self) -> list[tuple[str, int]]:
        with self._lock:
            return list(self._record.targets)

    @property
    def auths(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._record.auths)

    @property
    def requests(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._record.requests)

    @property
    def bytes_up(self) -> int:
        with self._lock:
            return self._record.bytes_up

    @property
    def bytes_down(self) -> int:
        with self._lock:
            return self._record.bytes_down

    @property
    def refused(self) -> int:
        with self._lock:
            return self._record.refused

    def url(self, scheme: str, *, with_auth: bool = True) -> str:
        auth = f"{self.username}:{self.password}@" if self.username and with_auth else ""
        return f"{scheme}://{auth}{_LOOPBACK}:{self.port}"

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"{type(self).__name__} did not start")
        if self._error is not None:
            raise RuntimeError(f"{type(self).__name__} failed to start") from self._error

    def stop(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(10)
            if self._thread.is_alive():
                raise RuntimeError(f"{type(self).__name__} did not stop")
            self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as error:  # surfaced by start()
            self._error = error
            self._ready.set()
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        self._server = await asyncio.start_server(self._accept, _LOOPBACK, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            self._server.close()
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._handle(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, OSError, ValueError):
            pass
        finally:
            self._tasks.discard(task)
            await _close(writer)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    # ---- helpers -----------------------------------------------------------------------------

    def _note(
        self,
        *,
        target: tuple[str, int] | None = None,
        auth: tuple[str, str] | None = None,
        request: tuple[str, str] | None = None,
        refused: bool = False,
    ) -> None:
        with self._lock:
            record = self._record
            if target is not None:
                record.targets.append(target)
            if auth is not None:
                record.auths.append(auth)
            if request is not None:
                record.requests.append(request)
            if refused:
                record.refused += 1

    def _count(self, up: bool, n: int) -> None:
        with self._lock:
            if up:
                self._record.bytes_up += n
            else:
                self._record.bytes_down += n

    async def _pipe(
        self,
        client_r: asyncio.StreamReader,
        client_w: asyncio.StreamWriter,
        target_r: asyncio.StreamReader,
        target_w: asyncio.StreamWriter,
    ) -> None:
        """Relay both ways until either side closes, then close both."""

        async def copy(src: asyncio.StreamReader, dst: asyncio.StreamWriter, up: bool) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while chunk := await src.read(65536):
                    self._count(up, len(chunk))
                    dst.write(chunk)
                    await dst.drain()

        up = asyncio.create_task(copy(client_r, target_w, True))
        down = asyncio.create_task(copy(target_r, client_w, False))
        try:
            await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (up, down):
                task.cancel()
            await asyncio.gather(up, down, return_exceptions=True)
            await _close(target_w)


class Socks5Proxy(_ThreadedProxy):
    """RFC 1928 CONNECT, with RFC 1929 username/password auth when `username` is set."""

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        version, count = await reader.readexactly(2)
        methods = await reader.readexactly(count)
        if version != 5:
            self._note(refused=True)
            return
        wanted = 0x02 if self.username is not None else 0x00
        if wanted not in methods:
            self._note(refused=True)  # noted before answering: the client may look at once
            writer.write(b"\x05\xff")
            await writer.drain()
            return
        writer.write(bytes((5, wanted)))
        await writer.drain()
        if wanted == 0x02:
            _, ulen = await reader.readexactly(2)
            user = (await reader.readexactly(ulen)).decode()
            (plen,) = await reader.readexactly(1)
            password = (await reader.readexactly(plen)).decode()
            self._note(auth=(user, password))
            ok = user == self.username and password == self.password
            if not ok:
                self._note(refused=True)
            writer.write(b"\x01\x00" if ok else b"\x01\x01")
            await writer.drain()
            if not ok:
                return
        _, command, _, atyp = await reader.readexactly(4)
        if atyp == 1:
            host = socket.inet_ntop(socket.AF_INET, await reader.readexactly(4))
        elif atyp == 3:
            (length,) = await reader.readexactly(1)
            host = (await reader.readexactly(length)).decode()
        elif atyp == 4:
            host = socket.inet_ntop(socket.AF_INET6, await reader.readexactly(16))
        else:
            await self._reply(writer, 8)  # address type not supported
            return
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        if command != 1:
            await self._reply(writer, 7)  # command not supported
            return
        self._note(target=(host, port))
        try:
            target_r, target_w = await asyncio.open_connection(host, port)
        except OSError:
            await self._reply(writer, 5)  # connection refused
            return
        try:
            await self._reply(writer, 0)
            await self._pipe(reader, writer, target_r, target_w)
        finally:
            await _close(target_w)  # also when the client leaves, or stop() cancels, first

    async def _reply(self, writer: asyncio.StreamWriter, code: int) -> None:
        writer.write(bytes((5, code, 0, 1)) + ipaddress.IPv4Address(_LOOPBACK).packed + b"\0\0")
        await writer.drain()


class HttpProxy(_ThreadedProxy):
    """Absolute-form forwarding (one request per connection) and CONNECT tunnels."""

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, version = request_line.split(" ", 2)
        headers = [line.split(":", 1) for line in header_lines if line]
        proxy_auth = next((v.strip() for k, v in headers if k.lower() == "proxy-authorization"), "")
        if proxy_auth.lower().startswith("basic "):
            user, _, password = base64.b64decode(proxy_auth[6:]).decode().partition(":")
            self._note(auth=(user, password))
        self._note(request=(method, target))
        if self.username is not None and proxy_auth != _basic(self.username, self.password):
            self._note(refused=True)
            writer.write(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n'
                b"Connection: close\r\n\r\n"
            )
            await writer.drain()
            return
        if method == "CONNECT":
            host, _, port_text = target.rpartition(":")
            host, port = host.strip("[]"), int(port_text)
        else:
            parts = urlsplit(target)
            if parts.scheme != "http" or not parts.hostname:
                self._note(refused=True)
                writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                return
            host, port = parts.hostname, parts.port or 80
        self._note(target=(host, port))
        try:
            target_r, target_w = await asyncio.open_connection(host, port)
        except OSError:
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            return
        try:
            if method == "CONNECT":
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await writer.drain()
            else:
                path = parts.path or "/"
                if parts.query:
                    path += "?" + parts.query
                kept = [
                    f"{k}:{v}"
                    for k, v in headers
                    if not k.lower().startswith("proxy-") and k.lower() not in ("connection",)
                ]
                request_line = f"{method} {path} {version}"
                rewritten = "\r\n".join([request_line, *kept, "Connection: close"])
                target_w.write((rewritten + "\r\n\r\n").encode("latin-1"))
                await target_w.drain()
            await self._pipe(reader, writer, target_r, target_w)
        finally:
            await _close(target_w)  # also when the client leaves, or stop() cancels, first


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()


@contextlib.contextmanager
def run_socks5(username: str | None = None, password: str = "") -> Iterator[Socks5Proxy]:
    """A started SOCKS5 proxy (with username/password auth when `username` is given)."""
    proxy = Socks5Proxy(username, password)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


@contextlib.contextmanager
def run_http_proxy(username: str | None = None, password: str = "") -> Iterator[HttpProxy]:
    """A started HTTP forward proxy (requiring Basic proxy auth when `username` is given)."""
    proxy = HttpProxy(username, password)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
