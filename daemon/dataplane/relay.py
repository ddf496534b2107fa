"""Streams from the upstream to the client, chunk by chunk, with backpressure.

Two ways through, chosen per request:
- `PassThrough` (client and upstream speak the same format): upstream bytes go out untouched;
  a decoder and a shadow encoder follow along on the side, so usage is known and, should the
  upstream break mid-way, the client's stream can still be ended well-formed.
- `Translating`: SSE parser → upstream decoder → canonical events → client encoder.

`relay_stream` runs the copy in a task and watches the client meanwhile: a client that goes
away cancels the copy at once (closing the upstream connection), and a stream that stays
silent gets the client format's keep-alive so idle proxies and SDKs do not hang up.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

import aiohttp

from daemon.asgi import Receive, Send
from daemon.formats.base import StreamDecoder, StreamEncoder
from daemon.formats.sse import SSEParser
from daemon.model import (
    ApiError,
    MessageStart,
    MessageStop,
    StreamError,
    StreamEvent,
    Usage,
    UsageUpdate,
)


class StreamTranslator(Protocol):
    usage: Usage | None

    @property
    def at_boundary(self) -> bool: ...

    def feed(self, chunk: bytes) -> bytes: ...

    def close(self) -> bytes: ...

    def fail(self, error: ApiError) -> bytes: ...


class _Following:
    """Shared by both translators: the upstream side, decoded into canonical events."""

    def __init__(self, decoder: StreamDecoder, encoder: StreamEncoder) -> None:
        self._parser = SSEParser()
        self._decoder = decoder
        self._encoder = encoder
        self._ended = False
        self.usage: Usage | None = None

    @property
    def at_boundary(self) -> bool:
        return self._parser.at_boundary

    def _note(self, event: StreamEvent) -> None:
        if isinstance(event, UsageUpdate):
            self.usage = event.usage
        elif isinstance(event, MessageStop):
            self._ended = True
            if event.usage is not None:
                self.usage = event.usage
        elif isinstance(event, MessageStart) and event.usage is not None and self.usage is None:
            self.usage = event.usage
        elif isinstance(event, StreamError):
            self._ended = True

    def _encode(self, chunk: bytes | None) -> bytes:
        events = self._parser.feed(chunk) if chunk is not None else self._parser.close()
        out: list[bytes] = []
        for sse in events:
            for event in self._decoder.feed(sse):
                self._note(event)
                out.append(self._encoder.feed(event))
        if chunk is None:
            for event in self._decoder.close():
                self._note(event)
                out.append(self._encoder.feed(event))
            out.append(self._encoder.close())
        return b"".join(out)

    def _failure(self, error: ApiError) -> bytes:
        if self._ended:
            return self._encoder.close()
        self._ended = True
        return b"".join(
            (
                self._encoder.feed(StreamError(error)),
                self._encoder.feed(MessageStop(stop_reason="error", usage=self.usage)),
                self._encoder.close(),
            )
        )


class Translating(_Following):
    def feed(self, chunk: bytes) -> bytes:
        return self._encode(chunk)

    def close(self) -> bytes:
        return self._encode(None)

    def fail(self, error: ApiError) -> bytes:
        return self._failure(error)


class PassThrough(_Following):
    """Forwards the upstream's bytes; the encoder it feeds is a shadow whose output is dropped
    until the upstream breaks, when it alone knows how to end the stream well-formed."""

    def __init__(self, decoder: StreamDecoder, encoder: StreamEncoder) -> None:
        super().__init__(decoder, encoder)

    def feed(self, chunk: bytes) -> bytes:
        self._encode(chunk)
        return chunk

    def close(self) -> bytes:
        self._encode(None)
        return b""

    def fail(self, error: ApiError) -> bytes:
        # Bytes of a half-forwarded event may already be out; finish that event first.
        tail = b"" if self._parser.at_boundary else b"\n\n"
        return tail + self._failure(error)


async def relay_stream(
    response: aiohttp.ClientResponse,
    translator: StreamTranslator,
    receive: Receive,
    send: Send,
    *,
    idle_timeout: float,
    keepalive: bytes | None,
    keepalive_interval: float,
    on_error: Callable[[BaseException], ApiError],
) -> bool:
    """Copy the stream to the client; False if the client went away first."""
    last_sent = time.monotonic()

    async def pump() -> None:
        nonlocal last_sent
        reader = response.content
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(None) as deadline:
                while True:
                    deadline.reschedule(loop.time() + idle_timeout)
                    chunk = await reader.readany()
                    deadline.reschedule(None)
                    if not chunk:
                        break
                    out = translator.feed(chunk)
                    if out:
                        await send({"type": "http.response.body", "body": out, "more_body": True})
                        last_sent = time.monotonic()
            tail = translator.close()
        except (TimeoutError, aiohttp.ClientError) as error:
            tail = translator.fail(on_error(error))
        await send({"type": "http.response.body", "body": tail, "more_body": False})

    copy = asyncio.create_task(pump())
    disconnect = asyncio.create_task(_wait_for_disconnect(receive))
    try:
        while True:
            done, _ = await asyncio.wait(
                (copy, disconnect),
                timeout=keepalive_interval if keepalive else None,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if copy in done:
                copy.result()
                return True
            if disconnect in done:
                copy.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await copy
                return False
            quiet = time.monotonic() - last_sent
            if keepalive and quiet >= keepalive_interval and translator.at_boundary:
                await send({"type": "http.response.body", "body": keepalive, "more_body": True})
                last_sent = time.monotonic()
    finally:
        for task in (copy, disconnect):
            if not task.done():
                task.cancel()
        response.close()


async def run_watching_disconnect(work: Awaitable[None], receive: Receive) -> bool:
    """Run `work`; cancel it if the client disconnects first. False when it was cancelled."""
    job = asyncio.ensure_future(work)
    disconnect = asyncio.create_task(_wait_for_disconnect(receive))
    try:
        done, _ = await asyncio.wait((job, disconnect), return_when=asyncio.FIRST_COMPLETED)
        if job in done:
            job.result()
            return True
        job.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await job
        return False
    finally:
        for task in (job, disconnect):
            if not task.done():
                task.cancel()


async def _wait_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
