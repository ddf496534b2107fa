"""How long the codecs take to translate a stream and a request, for every format pair.

    python -m bench.codecs            # a table, one row per (client, upstream) pair
    python -m bench.codecs --json     # the same numbers as JSON

Stream: a tool-using upstream stream of `--events` SSE events (a thinking block, text deltas, two
tool calls streamed as argument fragments, usage, the terminal event), rendered by the upstream
codec's own stream encoder and cut into network-sized chunks of a few events (some cut mid-event).
Timed: SSEParser → upstream stream decoder → client stream encoder over all chunks, reported in
µs per upstream event.

Request: a `--messages`-message conversation (system prompt, user/assistant turns with thinking,
tool calls and tool results, ten tool definitions) rendered by the client codec as JSON bytes.
Timed: orjson.loads → client decode_request → upstream encode_request → orjson.dumps, reported in
µs per request (the JSON work is included: it is what the proxy pays per request).

Inputs are built as canonical objects and encoded by each codec, so they are valid for their
format. Each figure is the median of `--runs` timed runs after warm-up, with the garbage collector
off while timing. Everything is offline and deterministic (seeded).

Each pair's output is also checked, outside the timing: the translated stream is decoded again by
the client codec and compared with the input (text, thinking, tool calls, stop reason), and the
translated request is decoded by the upstream codec and compared with the client's (texts, tool
calls, tool results, tools). The `check` column shows the result; the exit status is 1 if any
check failed.
"""

from __future__ import annotations

import argparse
import base64
import gc
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from daemon.formats.base import Codec, codec_for
from daemon.formats.sse import SSEParser
from daemon.model import (
    BlockStart,
    BlockStop,
    Message,
    MessageStart,
    MessageStop,
    Part,
    ReasoningConfig,
    Request,
    Signature,
    SignatureDelta,
    StreamEvent,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ThinkingPart,
    Tool,
    ToolArgumentsDelta,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    Usage,
    UsageUpdate,
    WireFormat,
)

FORMATS: tuple[WireFormat, ...] = tuple(WireFormat)
MODEL = "bench-model-1"

DEFAULT_EVENTS = 1000
DEFAULT_MESSAGES = 50
DEFAULT_RUNS = 11
DEFAULT_WARMUP = 2
DEFAULT_REQUEST_LOOPS = 20

# Tokens for text and thinking deltas; a few need JSON escaping or are multi-byte in UTF-8.
_WORDS = (
    " the", " proxy", " reads", " upstream", " events", " and", " writes", " them", " to",
    " the", " client", ",", ".", " a", " tool", " call", " returns", " JSON", " text", " here",
    " café", " naïve", " —", " 🙂", ' "quoted"', "\n", " path\\to", " x<y", " 42", " über",
)  # fmt: skip


def _sign(fmt: WireFormat, what: str) -> Signature:
    """A plausible native signature (base64, as Anthropic and Gemini issue them)."""
    raw = f"{fmt}:{what}:".encode() * 8
    return Signature(fmt, base64.b64encode(raw).decode())


# --------------------------------------------------------------------------- tools


def _tool(i: int) -> Tool:
    properties: dict[str, Any] = {
        "query": {"type": "string", "description": f"What to look for (tool {i})."},
        "limit": {"type": "integer", "description": "At most this many results."},
        "mode": {"type": "string", "enum": ["fast", "thorough", "exact"]},
        "filters": {
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "since": {"type": "string", "description": "ISO 8601 date."},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["path"],
        },
    }
    return Tool(
        name=f"tool_{i}_lookup",
        description=f"Tool number {i}: looks things up in a store and returns matching records. "
        "Use it whenever the user asks about stored data; prefer narrow queries.",
        parameters={"type": "object", "properties": properties, "required": ["query"]},
    )


TOOLS: tuple[Tool, ...] = tuple(_tool(i) for i in range(10))


def _arguments(seed: int, size: int) -> str:
    """JSON text of a tool call's arguments, about `size` characters long."""
    rng = random.Random(seed)
    words = "".join(rng.choice(_WORDS) for _ in range(max(4, size // 6))).strip()
    args = {
        "query": words,
        "limit": 10 + seed,
        "mode": "thorough",
        "filters": {"path": f"/srv/data/{seed}", "tags": ["a", "b", "ü"]},
    }
    return orjson.dumps(args).decode()


def _fragments(text: str, count: int, rng: random.Random) -> list[str]:
    """`text` cut at `count - 1` random places (each fragment non-empty)."""
    count = max(1, min(count, len(text)))
    cuts = sorted(rng.sample(range(1, len(text)), count - 1))
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


# --------------------------------------------------------------------------- stream input


@dataclass(slots=True)
class Transcript:
    """What a stream says, independent of its format."""

    text: str = ""
    thinking: str = ""
    calls: list[tuple[str, Any]] = field(default_factory=list)  # (name, parsed arguments)
    stop: str | None = None


@dataclass(slots=True, frozen=True)
class StreamInput:
    format: WireFormat
    chunks: tuple[bytes, ...]
    events: int  # SSE events in the upstream stream
    expected: Transcript


def canonical_stream(
    fmt: WireFormat, text_deltas: int, thinking_deltas: int, fragments: int, seed: int = 7
) -> tuple[list[StreamEvent], Transcript]:
    """A tool-using turn as canonical events, signed the way `fmt` signs, and what it says."""
    rng = random.Random(seed)
    signs = fmt != WireFormat.OPENAI_CHAT  # chat streams have no signature field
    usage = Usage(input_tokens=5120, cached_tokens=1024)
    events: list[StreamEvent] = [MessageStart(id="bench_msg_0001", model=MODEL, usage=usage)]
    expected = Transcript(stop="tool_calls")

    thinking = [rng.choice(_WORDS) + rng.choice(_WORDS) for _ in range(thinking_deltas)]
    events.append(BlockStart(0, ThinkingPart()))
    events.extend(ThinkingDelta(0, piece) for piece in thinking)
    if signs:
        events.append(SignatureDelta(0, _sign(fmt, "thinking")))
    events.append(BlockStop(0))
    expected.thinking = "".join(thinking)

    text = [rng.choice(_WORDS) + rng.choice(_WORDS) for _ in range(text_deltas)]
    events.append(BlockStart(1, TextPart("")))
    events.extend(TextDelta(1, piece) for piece in text)
    events.append(BlockStop(1))
    expected.text = "".join(text)

    for n, (index, name) in enumerate(((2, "tool_3_lookup"), (3, "tool_7_lookup"))):
        arguments = _arguments(n, 60 * fragments)
        events.append(BlockStart(index, ToolCallPart(id=f"call_bench_{n}", name=name)))
        if fmt == WireFormat.GEMINI and n == 0:  # Gemini signs the first call of a turn
            events.append(SignatureDelta(index, _sign(fmt, "call")))
        events.extend(ToolArgumentsDelta(index, f) for f in _fragments(arguments, fragments, rng))
        events.append(BlockStop(index))
        expected.calls.append((name, orjson.loads(arguments)))

    final = Usage(input_tokens=5120, output_tokens=900, cached_tokens=1024, reasoning_tokens=300)
    events.append(UsageUpdate(final))
    events.append(MessageStop("tool_calls", usage=final))
    return events, expected


def render_stream(fmt: WireFormat, events: Sequence[StreamEvent]) -> bytes:
    """The upstream's wire bytes for canonical events (Gemini as alt=sse; chat with the usage
    chunks an upstream sends when asked for `stream_options.include_usage`)."""
    request = Request(model=MODEL, stream=True, include_usage=True, tools=list(TOOLS))
    encoder = codec_for(fmt).stream_encoder(request)
    return b"".join([*(encoder.feed(event) for event in events), encoder.close()])


def count_events(data: bytes) -> int:
    parser = SSEParser()
    return len(parser.feed(data)) + len(parser.close())


def split_chunks(data: bytes, rng: random.Random) -> list[bytes]:
    """Network chunks of one to five events each; about one chunk in four is cut mid-event."""
    frames = [frame + b"\n\n" for frame in data.split(b"\n\n") if frame.strip()]
    chunks: list[bytes] = []
    carry = b""
    i = 0
    while i < len(frames):
        take = rng.randint(1, 5)
        block = carry + b"".join(frames[i : i + take])
        i += take
        carry = b""
        if i < len(frames) and len(block) > 2 and rng.random() < 0.25:
            cut = rng.randrange(1, len(block))
            block, carry = block[:cut], block[cut:]
        chunks.append(block)
    if carry:
        chunks.append(carry)
    return chunks


def build_stream(fmt: WireFormat, events: int, seed: int = 7) -> StreamInput:
    """An upstream stream in `fmt` of `events` SSE events (more if `events` is too small to hold
    the fixed part: block starts and stops, usage, the terminal event)."""
    thinking = max(2, events // 20)
    fragments = max(2, events // 50)
    text = max(2, events - thinking - 2 * fragments)
    for _ in range(4):
        canonical, expected = canonical_stream(fmt, text, thinking, fragments, seed)
        data = render_stream(fmt, canonical)
        got = count_events(data)
        wanted = max(2, text + events - got)
        if got == events or wanted == text:
            break
        text = wanted
    chunks = split_chunks(data, random.Random(seed))
    assert b"".join(chunks) == data
    return StreamInput(fmt, tuple(chunks), got, expected)


def client_request(n_tools: int = len(TOOLS)) -> Request:
    """What the client asked for, as its stream encoder sees it."""
    return Request(model=MODEL, stream=True, include_usage=True, tools=list(TOOLS[:n_tools]))


# --------------------------------------------------------------------------- stream translation


def translate_stream(
    stream: StreamInput, upstream: Codec, client: Codec, request: Request
) -> bytes:
    """Parse, decode and re-encode a whole upstream stream, chunk by chunk, as the proxy does."""
    parser = SSEParser()
    decoder = upstream.stream_decoder()
    encoder = client.stream_encoder(request)
    out: list[bytes] = []
    append = out.append
    for chunk in stream.chunks:
        for sse in parser.feed(chunk):
            for event in decoder.feed(sse):
                append(encoder.feed(event))
    for sse in parser.close():
        for event in decoder.feed(sse):
            append(encoder.feed(event))
    for event in decoder.close():
        append(encoder.feed(event))
    append(encoder.close())
    return b"".join(out)


def transcript_of(fmt: WireFormat, data: bytes) -> Transcript:
    """Decode a stream in `fmt` and say what it contains."""
    decoder = codec_for(fmt).stream_decoder()
    parser = SSEParser()
    events = [e for sse in [*parser.feed(data), *parser.close()] for e in decoder.feed(sse)]
    events.extend(decoder.close())
    text: list[str] = []
    thinking: list[str] = []
    calls: dict[int, tuple[str, list[str]]] = {}
    result = Transcript()
    for event in events:
        if isinstance(event, TextDelta):
            text.append(event.text)
        elif isinstance(event, ThinkingDelta):
            thinking.append(event.text)
        elif isinstance(event, BlockStart):
            part = event.part
            if isinstance(part, ToolCallPart):
                calls[event.index] = (part.name, [part.arguments])
            elif part.text:
                (thinking if isinstance(part, ThinkingPart) else text).append(part.text)
        elif isinstance(event, ToolArgumentsDelta) and event.index in calls:
            calls[event.index][1].append(event.fragment)
        elif isinstance(event, MessageStop):
            result.stop = event.stop_reason
    result.text = "".join(text)
    result.thinking = "".join(thinking)
    for _, (name, pieces) in sorted(calls.items()):
        joined = "".join(pieces)
        result.calls.append((name, orjson.loads(joined) if joined else None))
    return result


def stream_mismatch(expected: Transcript, got: Transcript) -> str | None:
    """What the translated stream lost or changed; None when it says everything the input said."""
    if got.text != expected.text:
        return f"text differs ({len(got.text)} vs {len(expected.text)} chars)"
    if got.thinking != expected.thinking:
        return f"thinking differs ({len(got.thinking)} vs {len(expected.thinking)} chars)"
    if got.calls != expected.calls:
        return f"tool calls differ: {[c[0] for c in got.calls]}"
    if got.stop != expected.stop:
        return f"stop reason {got.stop!r}, expected {expected.stop!r}"
    return None


# --------------------------------------------------------------------------- request input


_SYSTEM = (
    "You are a careful coding assistant working inside a repository. Read before you write, "
    "keep changes small, explain what you did and why, and never invent file contents. "
) * 12


def canonical_request(messages: int, signer: WireFormat) -> Request:
    """A conversation of `messages` messages: a system prompt, then rounds of user question,
    assistant thinking + text + tool call, tool result, assistant answer; a user turn last.
    Thinking is signed by `signer` (the upstream that produced it; chat signs nothing)."""
    rng = random.Random(11)

    def sentence(words: int) -> str:
        return "".join(rng.choice(_WORDS) for _ in range(words)).strip() or "ok"

    messages = max(2, messages)
    signed = signer != WireFormat.OPENAI_CHAT
    convo: list[Message] = [Message("system", [TextPart(_SYSTEM)])]
    turn = 0
    while len(convo) < messages - 1:
        turn += 1
        tool = TOOLS[turn % len(TOOLS)]
        call_id = f"call_{turn:04d}"
        thinking = ThinkingPart(
            text=sentence(40), signature=_sign(signer, f"t{turn}") if signed else None
        )
        assistant: list[Part] = [
            thinking,
            TextPart(sentence(25)),
            ToolCallPart(call_id, tool.name, _arguments(turn, 120)),
        ]
        result = ToolResultPart(call_id, [TextPart(sentence(80))], name=tool.name)
        round_ = [
            Message("user", [TextPart(sentence(30))]),
            Message("assistant", assistant),
            Message("tool", [result]),
            Message("assistant", [TextPart(sentence(50))]),
        ]
        convo.extend(round_[: messages - 1 - len(convo)])
    convo.append(Message("user", [TextPart(sentence(30))]))
    return Request(
        model=MODEL,
        messages=convo,
        tools=list(TOOLS),
        tool_choice=ToolChoice("auto"),
        max_tokens=8192,
        temperature=1.0,
        reasoning=ReasoningConfig(budget_tokens=4096),
        stream=True,
    )


def request_body(client: WireFormat, upstream: WireFormat, messages: int) -> bytes:
    """The client's JSON body for the conversation (thinking signed by the upstream)."""
    return orjson.dumps(codec_for(client).encode_request(canonical_request(messages, upstream)))


def translate_request(body: bytes, client: Codec, upstream: Codec) -> bytes:
    request = client.decode_request(orjson.loads(body))
    if not request.model:  # Gemini bodies carry no model: it comes from the URL
        request.model = MODEL
    return orjson.dumps(upstream.encode_request(request))


@dataclass(slots=True)
class RequestTranscript:
    """What a request says that every format can carry (thinking is not: chat has no signature,
    so its reasoning cannot be replayed to a signing upstream)."""

    texts: list[tuple[str, str]] = field(default_factory=list)  # (role, text); developer = system
    calls: list[tuple[str, str, Any]] = field(default_factory=list)  # (id, name, parsed args)
    results: list[tuple[str, list[str]]] = field(default_factory=list)  # (call id, texts)
    tools: list[str] = field(default_factory=list)


def request_transcript(fmt: WireFormat, body: bytes) -> RequestTranscript:
    """Decode a request body in `fmt` and say what it contains."""
    request = codec_for(fmt).decode_request(orjson.loads(body))
    result = RequestTranscript(tools=[tool.name for tool in request.tools])
    for message in request.messages:
        role = "system" if message.role == "developer" else message.role
        for part in message.parts:
            if isinstance(part, TextPart):
                result.texts.append((role, part.text))
            elif isinstance(part, ToolCallPart):
                result.calls.append((part.id, part.name, orjson.loads(part.arguments)))
            elif isinstance(part, ToolResultPart):
                texts = [c.text for c in part.content if isinstance(c, TextPart)]
                result.results.append((part.call_id, texts))
    return result


def request_mismatch(expected: RequestTranscript, got: RequestTranscript) -> str | None:
    """What the translated request lost or changed; None when nothing."""
    for name in ("texts", "calls", "results", "tools"):
        if getattr(got, name) != getattr(expected, name):
            return f"request {name} differ"
    return None


# --------------------------------------------------------------------------- timing


def measure(fn: Callable[[], object], loops: int, runs: int, warmup: int) -> tuple[float, float]:
    """(median, minimum) nanoseconds per call of `fn` over `runs` runs of `loops` calls, GC off.
    The minimum is the figure least disturbed by other load on the machine."""
    for _ in range(warmup):
        fn()
    samples: list[float] = []
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(runs):
            start = time.perf_counter_ns()
            for _ in range(loops):
                fn()
            samples.append((time.perf_counter_ns() - start) / loops)
    finally:
        if enabled:
            gc.enable()
    return statistics.median(samples), min(samples)


@dataclass(slots=True)
class Row:
    client: str
    upstream: str
    stream_events: int
    stream_chunks: int
    stream_us_per_event: float  # median
    stream_us_per_event_min: float
    stream_ms: float
    request_messages: int
    request_bytes: int
    request_us: float  # median
    request_us_min: float
    check: str  # "ok", or what the translated stream or request got wrong


def bench_pair(
    client: WireFormat,
    upstream: WireFormat,
    stream: StreamInput,
    messages: int,
    runs: int,
    warmup: int,
    request_loops: int,
) -> Row:
    client_codec, upstream_codec = codec_for(client), codec_for(upstream)
    request = client_request()
    output = translate_stream(stream, upstream_codec, client_codec, request)
    problem = stream_mismatch(stream.expected, transcript_of(client, output))

    def run_stream() -> bytes:
        return translate_stream(stream, upstream_codec, client_codec, request)

    stream_ns, stream_min = measure(run_stream, 1, runs, warmup)

    body = request_body(client, upstream, messages)
    translated = translate_request(body, client_codec, upstream_codec)
    problem = problem or request_mismatch(
        request_transcript(client, body), request_transcript(upstream, translated)
    )

    def run_request() -> bytes:
        return translate_request(body, client_codec, upstream_codec)

    request_ns, request_min = measure(run_request, request_loops, runs, warmup)
    return Row(
        client=str(client),
        upstream=str(upstream),
        stream_events=stream.events,
        stream_chunks=len(stream.chunks),
        stream_us_per_event=stream_ns / 1000 / stream.events,
        stream_us_per_event_min=stream_min / 1000 / stream.events,
        stream_ms=stream_ns / 1e6,
        request_messages=messages,
        request_bytes=len(body),
        request_us=request_ns / 1000,
        request_us_min=request_min / 1000,
        check=problem or "ok",
    )


def run(
    events: int = DEFAULT_EVENTS,
    messages: int = DEFAULT_MESSAGES,
    runs: int = DEFAULT_RUNS,
    warmup: int = DEFAULT_WARMUP,
    request_loops: int = DEFAULT_REQUEST_LOOPS,
) -> list[Row]:
    """One row per (client, upstream) pair, clients in the outer order."""
    streams = {fmt: build_stream(fmt, events) for fmt in FORMATS}
    return [
        bench_pair(client, upstream, streams[upstream], messages, runs, warmup, request_loops)
        for client in FORMATS
        for upstream in FORMATS
    ]


def summary(rows: Sequence[Row]) -> dict[str, Any]:
    """Fastest, slowest and median pair for streams and requests, and the failed checks."""

    def pair(row: Row) -> str:
        return f"{row.client} ← {row.upstream}"

    stream = sorted(rows, key=lambda r: r.stream_us_per_event)
    request = sorted(rows, key=lambda r: r.request_us)
    return {
        "stream_fastest": {"pair": pair(stream[0]), "us_per_event": stream[0].stream_us_per_event},
        "stream_slowest": {
            "pair": pair(stream[-1]),
            "us_per_event": stream[-1].stream_us_per_event,
        },
        "stream_median_us_per_event": statistics.median(r.stream_us_per_event for r in rows),
        "request_fastest": {"pair": pair(request[0]), "us": request[0].request_us},
        "request_slowest": {"pair": pair(request[-1]), "us": request[-1].request_us},
        "request_median_us": statistics.median(r.request_us for r in rows),
        "failed_checks": [f"{pair(r)}: {r.check}" for r in rows if r.check != "ok"],
    }


# --------------------------------------------------------------------------- output


def _print_table(rows: Sequence[Row], config: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"codec translation, {config['events']}-event stream / "
        f"{config['messages']}-message request (median of {config['runs']})"
    )
    table.add_column("client")
    table.add_column("upstream")
    table.add_column("events", justify="right")
    table.add_column("stream µs/event", justify="right")
    table.add_column("request µs", justify="right")
    table.add_column("request KiB", justify="right")
    table.add_column("check")
    for row in rows:
        table.add_row(
            row.client,
            row.upstream,
            str(row.stream_events),
            f"{row.stream_us_per_event:.1f}",
            f"{row.request_us:.0f}",
            f"{row.request_bytes / 1024:.1f}",
            row.check,
        )
    console = Console(width=max(120, Console().width))
    console.print(table)
    s = summary(rows)
    console.print(
        f"stream : fastest {s['stream_fastest']['pair']} "
        f"{s['stream_fastest']['us_per_event']:.1f} µs/event, slowest "
        f"{s['stream_slowest']['pair']} {s['stream_slowest']['us_per_event']:.1f} µs/event, "
        f"median {s['stream_median_us_per_event']:.1f}"
    )
    console.print(
        f"request: fastest {s['request_fastest']['pair']} {s['request_fastest']['us']:.0f} µs, "
        f"slowest {s['request_slowest']['pair']} {s['request_slowest']['us']:.0f} µs, "
        f"median {s['request_median_us']:.0f}"
    )
    if s["failed_checks"]:
        console.print(f"[red]translation checks failed: {', '.join(s['failed_checks'])}[/red]")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.codecs",
        description="Time stream and request translation for every pair of wire formats.",
    )
    parser.add_argument(
        "--events", type=int, default=DEFAULT_EVENTS, help="upstream SSE events per stream"
    )
    parser.add_argument(
        "--messages", type=int, default=DEFAULT_MESSAGES, help="messages per request"
    )
    parser.add_argument(
        "--runs", type=int, default=DEFAULT_RUNS, help="timed runs (median is reported)"
    )
    parser.add_argument("--warmup", type=int, default=DEFAULT_WARMUP, help="untimed runs first")
    parser.add_argument(
        "--request-loops", type=int, default=DEFAULT_REQUEST_LOOPS, help="requests per timed run"
    )
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args(argv)
    config = {
        "events": args.events,
        "messages": args.messages,
        "runs": args.runs,
        "warmup": args.warmup,
        "request_loops": args.request_loops,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
    }
    rows = run(args.events, args.messages, args.runs, args.warmup, args.request_loops)
    if args.json:
        payload = {"config": config, "rows": [asdict(r) for r in rows], "summary": summary(rows)}
        sys.stdout.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        _print_table(rows, config)
    return 0 if all(r.check == "ok" for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
