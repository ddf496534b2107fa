"""daemon.dataplane.relay: the two translators on real codec streams, and relay_stream against
a real aiohttp response from a small local server."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from daemon.asgi import Message
from daemon.dataplane.endings import ending_for
from daemon.dataplane.relay import PassThrough, Translating, relay_stream
from daemon.formats.base import codec_for
from daemon.formats.gemini import CODEC as GEMINI_CODEC
from daemon.formats.sse import SSEParser
from daemon.model import ApiError, Request, Usage, WireFormat
from tests.unit.formats.anthropic.wellformed import check_stream as check_anthropic
from tests.unit.formats.gemini.wellformed import check_array as check_gemini_array
from tests.unit.formats.gemini.wellformed import check_stream as check_gemini
from tests.unit.formats.openai_chat.wellformed import check_stream as check_chat
from tests.unit.formats.openai_responses.wellformed import check_stream as check_responses

FORMATS = list(WireFormat)
CHECK: dict[WireFormat, Callable[[bytes], None]] = {
    WireFormat.OPENAI_CHAT: check_chat,
    WireFormat.OPENAI_RESPONSES: check_responses,
    WireFormat.ANTHROPIC: check_anthropic,
    WireFormat.GEMINI: check_gemini,
}
CROSS = Path(__file__).resolve().parents[2] / "fixtures" / "formats" / "cross"
BROKE = ApiError(kind="bad_gateway", message="the upstream broke off the stream", status=502)


def upstream_stream(fmt: WireFormat) -> bytes:
    """A realistic upstream stream of `fmt`: reasoning, a little text, a tool call, usage."""
    return (CROSS / f"{fmt}__{fmt}" / "upstream_stream.sse").read_bytes()


def client_request(fmt: WireFormat) -> Request:
    return Request(model="client-model", stream=True, include_usage=True, source_format=fmt)


def translator(upstream: WireFormat, client: WireFormat) -> PassThrough | Translating:
    """What the pipeline builds: pass-through for the same format, else translation."""
    decoder = codec_for(upstream).stream_decoder()
    encoder = codec_for(client).stream_encoder(client_request(client))
    if upstream == client:
        return PassThrough(decoder, encoder, ending_for(client))
    return Translating(decoder, encoder)


def pieces(raw: bytes, size: int) -> list[bytes]:
    return [raw[i : i + size] for i in range(0, len(raw), size)]


def random_pieces(raw: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(raw)), 25))
    return [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]


def run(t: PassThrough | Translating, chunks: list[bytes]) -> bytes:
    return b"".join(t.feed(chunk) for chunk in chunks) + t.close()


def event_ends(raw: bytes) -> list[int]:
    """Every offset just after an event's blank line."""
    return [i + 2 for i in range(len(raw) - 1) if raw[i : i + 2] == b"\n\n"]


def sample_cuts(raw: bytes, seed: int) -> list[int]:
    """The event boundaries, their neighbours, and some random offsets inside events."""
    rng = random.Random(seed)
    ends = event_ends(raw)
    cuts = {0, len(raw), *ends, *(e - 1 for e in ends), *(e + 1 for e in ends)}
    cuts |= set(rng.sample(range(len(raw)), 40))
    return sorted(c for c in cuts if 0 <= c <= len(raw))


def whole_usage(fmt: WireFormat) -> Usage | None:
    t = translator(fmt, fmt)
    run(t, [upstream_stream(fmt)])
    return t.usage


# ------------------------------------------------------------------ PassThrough


@pytest.mark.parametrize("fmt", FORMATS)
def test_pass_through_forwards_the_bytes_unchanged_however_they_are_split(
    fmt: WireFormat,
) -> None:
    raw = upstream_stream(fmt)
    expected_usage = whole_usage(fmt)
    assert expected_usage is not None and expected_usage.input_tokens > 0
    for chunks in (pieces(raw, 1), pieces(raw, 7), random_pieces(raw, 1), [raw]):
        t = translator(fmt, fmt)
        assert run(t, chunks) == raw
        assert t.usage == expected_usage


@pytest.mark.parametrize("fmt", FORMATS)
def test_pass_through_sends_whole_events_only(fmt: WireFormat) -> None:
    raw = upstream_stream(fmt)
    t = translator(fmt, fmt)
    sent = b""
    for chunk in pieces(raw, 5):
        out = t.feed(chunk)
        sent += out
        assert sent == b"" or sent.endswith(b"\n\n"), "half an event went out"
        assert raw.startswith(sent)
    assert sent + t.close() == raw


@pytest.mark.parametrize("fmt", FORMATS)
def test_pass_through_failing_anywhere_ends_the_stream_well_formed(fmt: WireFormat) -> None:
    raw = upstream_stream(fmt)
    for cut in sample_cuts(raw, 2):
        t = translator(fmt, fmt)
        out = b"".join(t.feed(chunk) for chunk in pieces(raw[:cut], 64)) + t.fail(BROKE)
        try:
            CHECK[fmt](out)
        except AssertionError as error:
            raise AssertionError(f"cut at byte {cut}: {error}") from error
        if cut < event_ends(raw)[len(event_ends(raw)) // 2]:  # mid-message: the client
            assert b"the upstream broke off the stream" in out, cut  # hears why
        assert t.fail(BROKE) == b""  # once only


@pytest.mark.parametrize("fmt", FORMATS)
def test_pass_through_cut_short_by_the_upstream_still_ends_well_formed(fmt: WireFormat) -> None:
    raw = upstream_stream(fmt)
    for cut in sample_cuts(raw, 3):
        t = translator(fmt, fmt)
        out = run(t, pieces(raw[:cut], 64))
        try:
            CHECK[fmt](out)
        except AssertionError as error:
            raise AssertionError(f"cut at byte {cut}: {error}") from error
        assert out.startswith(raw[: max([0, *(e for e in event_ends(raw) if e <= cut)])])


@pytest.mark.parametrize("fmt", FORMATS)
def test_pass_through_of_a_last_event_without_its_blank_line(fmt: WireFormat) -> None:
    raw = upstream_stream(fmt).rstrip(b"\n") + b"\n"
    t = translator(fmt, fmt)
    out = run(t, pieces(raw, 11))
    CHECK[fmt](out)
    assert out == raw + b"\n\n"
    assert t.usage == whole_usage(fmt)


def test_pass_through_of_a_crlf_stream_holds_back_to_the_last_blank_line() -> None:
    raw = upstream_stream(WireFormat.ANTHROPIC).replace(b"\n", b"\r\n")
    t = translator(WireFormat.ANTHROPIC, WireFormat.ANTHROPIC)
    sent = b""
    for chunk in pieces(raw, 9):
        sent += t.feed(chunk)
        assert sent == b"" or sent.endswith((b"\r\n\r\n", b"\r\n\r"))  # CR ends a line
    assert sent + t.close() == raw
    check_anthropic(raw.replace(b"\r\n", b"\n"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_pass_through_of_an_empty_upstream_stream_is_a_whole_failed_stream(
    fmt: WireFormat,
) -> None:
    out = translator(fmt, fmt).close()
    CHECK[fmt](out)


# ------------------------------------------------------------------ Translating


PAIRS = [(u, c) for u in FORMATS for c in FORMATS if u != c]


@pytest.mark.parametrize(("upstream", "client"), PAIRS, ids=[f"{u}->{c}" for u, c in PAIRS])
def test_translating_gives_the_same_well_formed_stream_however_split(
    upstream: WireFormat, client: WireFormat
) -> None:
    raw = upstream_stream(upstream)
    whole_t = translator(upstream, client)
    whole = run(whole_t, [raw])
    CHECK[client](whole)
    assert whole_t.usage == whole_usage(upstream)
    for chunks in (pieces(raw, 1), pieces(raw, 13), random_pieces(raw, 4)):
        t = translator(upstream, client)
        out = run(t, chunks)
        assert _normalized(out) == _normalized(whole)
        assert t.usage == whole_t.usage


@pytest.mark.parametrize(("upstream", "client"), PAIRS, ids=[f"{u}->{c}" for u, c in PAIRS])
def test_translating_failing_anywhere_ends_the_stream_well_formed(
    upstream: WireFormat, client: WireFormat
) -> None:
    raw = upstream_stream(upstream)
    for cut in sample_cuts(raw, 5)[::2]:
        t = translator(upstream, client)
        out = b"".join(t.feed(chunk) for chunk in pieces(raw[:cut], 64)) + t.fail(BROKE)
        try:
            CHECK[client](out)
        except AssertionError as error:
            raise AssertionError(f"cut at byte {cut}: {error}") from error


def test_translating_into_a_gemini_json_array_stream() -> None:
    for upstream in FORMATS:
        raw = upstream_stream(upstream)
        encoder = GEMINI_CODEC.stream_encoder(client_request(WireFormat.GEMINI), sse=False)
        t = Translating(codec_for(upstream).stream_decoder(), encoder)
        check_gemini_array(run(t, pieces(raw, 17)))
        encoder = GEMINI_CODEC.stream_encoder(client_request(WireFormat.GEMINI), sse=False)
        t = Translating(codec_for(upstream).stream_decoder(), encoder)
        half = raw[: len(raw) // 2]
        check_gemini_array(b"".join(t.feed(c) for c in pieces(half, 17)) + t.fail(BROKE))


def _normalized(raw: bytes) -> list[str]:
    """The events' data (ids minted per stream may differ; they are made per MessageStart, so
    two runs over the same events agree — this keeps the comparison honest either way)."""
    parser = SSEParser()
    return [f"{e.event}|{e.data}" for e in parser.feed(raw) + parser.close()]


# ------------------------------------------------------------------ relay_stream


@dataclass
class Upstream:
    """A small aiohttp server; each path plays a script of steps."""

    base: str = ""
    closed: asyncio.Event = field(default_factory=asyncio.Event)  # a handler saw the client go
    closed_at: float = 0.0


Step = bytes | float | str  # bytes to write, seconds to sleep, "hang" or "reset"


def anthropic_events() -> list[bytes]:
    raw = upstream_stream(WireFormat.ANTHROPIC)
    ends = event_ends(raw)
    return [raw[a:b] for a, b in zip([0, *ends], ends, strict=False)]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[Upstream, dict[str, list[Step]]]]:
    state = Upstream()
    scripts: dict[str, list[Step]] = {}

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        try:
            for step in scripts[request.match_info["name"]]:
                if isinstance(step, bytes):
                    await response.write(step)
                elif isinstance(step, float):
                    await asyncio.sleep(step)
                elif step == "hang":
                    await asyncio.Event().wait()
                elif step == "reset" and request.transport is not None:
                    request.transport.abort()
                    return response
            await response.write_eof()
        except (asyncio.CancelledError, ConnectionResetError):
            state.closed_at = time.monotonic()
            state.closed.set()
            raise
        return response

    app = web.Application()
    app.router.add_get("/{name}", handler)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    state.base = f"http://127.0.0.1:{port}"
    try:
        yield state, scripts
    finally:
        await runner.cleanup()


class Client:
    """The ASGI side: records what is sent; `leave()` makes receive() report a disconnect."""

    def __init__(self, leave_after_bodies: int | None = None) -> None:
        self.messages: list[Message] = []
        self.times: list[float] = []
        self.gone = asyncio.Event()
        self.leave_after = leave_after_bodies

    async def receive(self) -> Message:
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.messages.append(message)
        self.times.append(time.monotonic())
        if self.leave_after is not None and len(self.messages) >= self.leave_after:
            self.gone.set()

    @property
    def body(self) -> bytes:
        return b"".join(m["body"] for m in self.messages)


async def relay(
    base: str,
    name: str,
    client: Client,
    *,
    idle: float = 5.0,
    keepalive: bytes | None = None,
    interval: float = 5.0,
    fmt: WireFormat = WireFormat.ANTHROPIC,
    same: bool = True,
) -> bool:
    async with aiohttp.ClientSession() as session:
        response = await session.get(f"{base}/{name}")
        t = translator(fmt, fmt if same else WireFormat.OPENAI_CHAT)
        return await relay_stream(
            response,
            t,
            client.receive,
            client.send,
            idle_timeout=idle,
            keepalive=keepalive,
            keepalive_interval=interval,
            on_error=_on_error,
        )


def _on_error(error: BaseException) -> ApiError:
    if isinstance(error, TimeoutError):
        return ApiError(kind="timeout", message="the upstream went silent mid-stream", status=504)
    return BROKE


async def _within(awaitable: Awaitable[bool], seconds: float) -> bool:
    return await asyncio.wait_for(awaitable, seconds)


@pytest.mark.anyio
async def test_relay_copies_a_whole_stream_and_ends_it(
    upstream: tuple[Upstream, dict[str, list[Step]]],
) -> None:
    state, scripts = upstream
    events = anthropic_events()
    scripts["whole"] = [*events[:3], 0.01, *events[3:]]
    client = Client()
    assert await _within(relay(state.base, "whole", client), 5) is True
    assert client.body == b"".join(events)
    assert client.messages[-1]["more_body"] is False
    assert all(m["more_body"] for m in client.messages[:-1])


@pytest.mark.anyio
async def test_relay_translates_on_the_way(
    upstream: tuple[Upstream, dict[str, list[Step]]],
) -> None:
    state, scripts = upstream
    scripts["whole"] = [upstream_stream(WireFormat.ANTHROPIC)]
    client = Client()
    assert await _within(relay(state.base, "whole", client, same=False), 5) is True
    check_chat(client.body)


@pytest.mark.anyio
async def test_a_client_that_leaves_cancels_the_upstream_at_once(
    upstream: tuple[Upstream, dict[str, list[Step]]],
) -> None:
    state, scripts = upstream
    events = anthropic_events()
    scripts["stall"] = [*events[:2], "hang"]
    client = Client(leave_after_bodies=1)
    started = time.monotonic()
    assert await _within(relay(state.base, "stall", client), 5) is False
    await asyncio.wait_for(state.closed.wait(), 2)
    assert state.closed_at - started < 1.0
    assert client.body == b"".join(events[:2])
    assert all(m.get("more_body") for m in client.messages)  # no end was sent to nobody


@pytest.mark.anyio
async def test_an_idle_upstream_gets_the_failure_tail_after_the_idle_timeout(
    upstream: tuple[Upstream, dict[str, list[Step]]],
) -> None:
    state, scripts = upstream
    events = anthropic_events()
    scripts["silent"] = [*events[:3], "hang"]
    client = Client()
    started = time.monotonic()
    assert await _within(relay(state.base, "silent", client, idle=0.3), 5) is True
    took = time.monotonic() - started
    assert 0.3 <= took < 2
    check_anthropic(client.body)
    assert b"went silent mid-stream" in client.body
    assert client.messages[-1]["more_body"] is False
    await asyncio.wait_for(state.closed.wait(), 2)  # and the upstream was let go


@pytest.mark.anyio
@pytest.mark.parametrize("same", [True, False], ids=["pass-through", "translating"])
async def test_an_upstream_that_resets_mid_event_gets_a_well_formed_end(
    upstream: tuple[Upstream, dict[str, list[Step]]], same: bool
) -> None:
    state, scripts = upstream
    events = anthropic_events()
    scripts["reset"] = [*events[:4], events[4][:10], 0.05, "reset"]
    client = Client()
    assert await _within(relay(state.base, "reset", client, same=same), 5) is True
    (check_anthropic if same else check_chat)(client.body)
    assert b"the upstream broke off the stream" in client.body
    if same:
        assert client.body.startswith(b"".join(events[:4]))


@pytest.mark.anyio
async def test_keep_alives_go_out_on_a_silent_stream_between_events_only(
    upstream: tuple[Upstream, dict[str, list[Step]]],
) -> None:
    state, scripts = upstream
    events = anthropic_events()
    half = len(events[3]) // 2
    scripts["quiet"] = [
        *events[:3],
        0.4,  # silent at a boundary: keep-alives
        events[3][:half],
        0.4,  # silent mid-event: none
        events[3][half:],
        *events[4:],
    ]
    ping = b'event: ping\ndata: {"type": "ping"}\n\n'
    client = Client()
    done = relay(state.base, "quiet", client, keepalive=ping, interval=0.05)
    assert await _within(done, 5) is True
    body = client.body
    assert body.replace(ping, b"") == b"".join(events)
    pings = [i for i, m in enumerate(client.messages) if m["body"] == ping]
    assert len(pings) >= 3
    first = b"".join(m["body"] for m in client.messages[: pings[0]])
    last = b"".join(m["body"] for m in client.messages[: pings[-1]]).replace(ping, b"")
    assert first == last == b"".join(events[:3])  # every ping between events 3 and 4
    check_anthropic(body)  # pings are events the format allows


@pytest.mark.anyio
async def test_no_keep_alives_when_the_stream_keeps_talking(
    upstream: tuple[Upstream, dict[str, list[Step]]],
) -> None:
    state, scripts = upstream
    events = anthropic_events()
    steps: list[Step] = []
    for event in events:
        steps += [event, 0.02]
    scripts["chatty"] = steps
    ping = b": keep-alive\n\n"
    client = Client()
    assert await _within(relay(state.base, "chatty", client, keepalive=ping, interval=0.2), 5)
    assert ping not in client.body
