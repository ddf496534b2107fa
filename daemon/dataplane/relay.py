"""Streams from the upstream to the client, chunk by chunk, with backpressure.

Two ways through, chosen per request:
- `PassThrough` (client and upstream speak the same format): upstream bytes go out untouched,
  whole events at a time; a decoder follows along on the side so usage is known, and an
  `Ending` (endings.py) so that, should the upstream break mid-way, the client's stream can
  still be ended well-formed.
- `Translating`: SSE parser → upstream decoder → canonical events → client encoder.

`copy_stream` runs the copy in the request's own task while a `ClientWatch` (watch.py) watches
the client: a client that goes away cancels the copy at once (closing the upstream connection),
and a stream that stays silent gets the client format's keep-alive so idle proxies and SDKs do
not hang up.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Protocol

import aiohttp
import orjson

from daemon.asgi import Receive, Send
from daemon.dataplane.endings import Ending
from daemon.dataplane.watch import ClientWatch
from daemon.formats.base import StreamDecoder, StreamEncoder
from daemon.formats.sse import SSEEvent, SSEParser
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
    broke: bool

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
        self._error: ApiError | None = None  # the upstream's own, from a StreamError
        self.usage: Usage | None = None
        self.broke = False  # the upstream failed after the stream began

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
            self._error = event.error
            self.broke = True

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
        self.broke = True
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
    """Translates; the client sees the model name it asked for and a creation time."""

    def __init__(
        self,
        decoder: StreamDecoder,
        encoder: StreamEncoder,
        model: str | None = None,
        created: int | None = None,
    ) -> None:
        super().__init__(decoder, encoder)
        self._model = model
        self._created = created

    def _note(self, event: StreamEvent) -> None:
        if isinstance(event, MessageStart):
            if self._model is not None:
                event.model = self._model
            if event.created is None:
                event.created = self._created
        super()._note(event)

    def feed(self, chunk: bytes) -> bytes:
        return self._encode(chunk)

    def close(self) -> bytes:
        return self._encode(None)

    def fail(self, error: ApiError) -> bytes:
        return self._failure(error)


class PassThrough(_Following):
    """Forwards the upstream's bytes untouched; the decoder follows along for usage.

    Only whole events go out: the bytes of an event still arriving are held back until its
    blank line, so a stream that breaks mid-event never leaves half an event at the client.
    `ending` sees every event forwarded and, should the upstream break, writes the tail that
    ends the stream well-formed. It also takes over from an upstream error event that would
    leave the stream malformed (an Anthropic `error` inside an open block, a Responses
    `response.failed` that leaves an item open): that event is replaced by the ending's own.
    The encoder serves only when nothing went out yet."""

    def __init__(
        self,
        decoder: StreamDecoder,
        encoder: StreamEncoder,
        ending: Ending,
        renames: list[tuple[bytes, bytes]] | None = None,
        hide_usage_chunk: bool = False,
        follow: Callable[[SSEEvent], bool] | None = None,
    ) -> None:
        super().__init__(decoder, encoder)
        self._ending = ending
        self._renames = renames or []
        self._follow = follow  # which events to decode; None: every one
        # The proxy asked a chat upstream for usage the client did not ask for: the usage-only
        # chunk (`"choices": []`) is read for the statistics and not forwarded.
        self._hide_usage_chunk = hide_usage_chunk
        self._held = b""
        self._over = False  # the stream was ended here: what the upstream sends is dropped

    @property
    def at_boundary(self) -> bool:
        return not self._held

    def feed(self, chunk: bytes) -> bytes:
        if self._over:
            return b""
        data = self._held + chunk if self._held else chunk
        # The last blank line in `data` ends the last whole event ("\n\n" always holds one).
        if data.endswith(b"\n\n"):
            cut = len(data)
        else:
            cut = max(_end_of(data, b"\n\n"), _end_of(data, b"\r\n\r\n"), _end_of(data, b"\r\r"))
        if cut == len(data):
            whole, self._held = data, b""
        else:
            whole, self._held = data[:cut], data[cut:]
            if not whole:
                return b""
        decoder, note, see, follow = self._decoder, self._note, self._ending.see, self._follow
        hidden: list[int] = []
        events = _quick_events(whole)
        if events is None:
            events = self._parser.feed(whole)
        for n, sse in enumerate(events):
            if self._hide_usage_chunk and _is_usage_chunk(sse.data):
                hidden.append(n)
                for event in decoder.feed(sse):
                    note(event)
                continue
            forward = see(sse)
            if follow is None or follow(sse):
                for event in decoder.feed(sse):
                    note(event)
            if not forward:
                kept = _without_events(whole[: _start_of_event(whole, n)], hidden)
                return self._renamed(kept) + self._take_over()
        return self._renamed(_without_events(whole, hidden) if hidden else whole)

    def _renamed(self, data: bytes) -> bytes:
        for old, new in self._renames:
            if old in data:
                data = data.replace(old, new)
        return data

    def _take_over(self) -> bytes:
        self._over, self._ended, self._held = True, True, b""
        return self._ending.tail(self._error or _EARLY_END)

    def close(self) -> bytes:
        if self._over:
            return b""
        held, self._held = self._held, b""
        out = b""
        last = self._parser.feed(held) + self._parser.close()
        # An upstream that ends without the last blank line: its event goes out when whole,
        # else (cut short mid-event) it is dropped, as SSE clients drop it.
        if last and all(_is_whole(sse.data) for sse in last):
            out = self._renamed(held) + b"\n\n"
            for sse in last:
                if not self._ending.see(sse):
                    out = b""
                for event in self._decoder.feed(sse):
                    self._note(event)
        for event in self._decoder.close():
            self._note(event)
        if not self._ending.seen:
            self._ended = False  # nothing went out: the encoder writes a whole failed stream
            return out + self._failure(self._error or _EARLY_END)
        self._over = True
        return out + self._ending.tail(self._error or _EARLY_END)  # b"" if it had ended

    def fail(self, error: ApiError) -> bytes:
        if self._over:
            return b""
        self._held = b""  # half an event: never sent
        self.broke = True
        if not self._ending.seen:
            return self._failure(error)
        self._over = self._ended = True
        return self._ending.tail(error)


_EARLY_END = ApiError("bad_gateway", "the upstream ended the stream early", 502)
_BLANK_LINE = re.compile(rb"(?<=\n\n)|(?<=\r\n\r\n)|(?<=\r\r)")


def _start_of_event(whole: bytes, n: int) -> int:
    """Where the n-th event (from 0) of `whole`, which starts at an event boundary, begins."""
    parser = SSEParser()
    seen = position = 0
    for piece in _BLANK_LINE.split(whole):
        seen += len(parser.feed(piece))
        if seen > n:
            return position
        position += len(piece)
    return position


def _is_usage_chunk(data: str) -> bool:
    return ('"choices":[]' in data or '"choices": []' in data) and '"usage"' in data


def _quick_events(whole: bytes) -> list[SSEEvent] | None:
    """The events of `whole` (whole LF-framed events) when each is the common one-line
    `data:` (after an optional `event:` line) or a comment; None for anything else, which the
    full parser then reads. Skips the general parser's per-line state machine on the hot path."""
    if b"\r" in whole:
        return None
    out: list[SSEEvent] = []
    for raw in whole.split(b"\n\n"):
        if not raw:
            continue
        text = raw.decode("utf-8", "replace")
        newline = text.find("\n")
        if newline < 0:
            if text.startswith("data: "):
                out.append(SSEEvent(text[6:]))
            elif not text.startswith(":"):
                return None
        elif text.startswith("event: ") and text.startswith("data: ", newline + 1):
            if "\n" in text[newline + 1 :]:
                return None
            out.append(SSEEvent(text[newline + 7 :], text[7:newline]))
        else:
            return None
    return out


def _without_events(whole: bytes, drop: list[int]) -> bytes:
    """`whole` (starting at an event boundary) without its events numbered in `drop`."""
    if not drop:
        return whole
    parser = SSEParser()
    kept: list[bytes] = []
    seen = 0
    for piece in _BLANK_LINE.split(whole):
        produced = len(parser.feed(piece))
        if not (produced and seen in drop):
            kept.append(piece)
        seen += produced
    return b"".join(kept)


def _is_whole(data: str) -> bool:
    if data == "[DONE]":
        return True
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError:
        return False
    return True


def _end_of(data: bytes, separator: bytes) -> int:
    """Where the last `separator` in `data` ends; 0 when there is none."""
    found = data.rfind(separator)
    return found + len(separator) if found >= 0 else 0


async def copy_stream(
    response: aiohttp.ClientResponse,
    translator: StreamTranslator,
    send: Send,
    *,
    idle_timeout: float | None,
    on_error: Callable[[BaseException], ApiError],
) -> None:
    """Copy the stream to the client in this task, ending it well-formed whatever happens
    upstream. `idle_timeout` bounds the silence between chunks (None: the response enforces
    its own, as the pool's aiohttp sessions do with `sock_read`)."""
    reader = response.content
    loop = asyncio.get_running_loop()
    try:
        try:
            async with asyncio.timeout(None) as deadline:
                while True:
                    if idle_timeout is not None:
                        deadline.reschedule(loop.time() + idle_timeout)
                    chunk = await reader.readany()
                    if idle_timeout is not None:
                        deadline.reschedule(None)  # a slow client is not a silent upstream
                    if not chunk:
                        break
                    out = translator.feed(chunk)
                    if out:
                        await send({"type": "http.response.body", "body": out, "more_body": True})
            tail = translator.close()
        except (TimeoutError, aiohttp.ClientError) as error:
            tail = translator.fail(on_error(error))
        await send({"type": "http.response.body", "body": tail, "more_body": False})
    finally:
        response.close()


async def relay_stream(
    response: aiohttp.ClientResponse,
    translator: StreamTranslator,
    receive: Receive,
    send: Send,
    *,
    idle_timeout: float | None,
    keepalive: bytes | None,
    keepalive_interval: float,
    on_error: Callable[[BaseException], ApiError],
) -> bool:
    """`copy_stream` with its own client watch (disconnects, keep-alives); False if the client
    went away first. The pipeline watches a whole request instead, with one ClientWatch."""
    async with ClientWatch(receive, send, keepalive_interval) as watch:
        watch.keep_alive(keepalive, lambda: translator.at_boundary)
        await copy_stream(
            response, translator, watch.send, idle_timeout=idle_timeout, on_error=on_error
        )
    return not watch.gone
