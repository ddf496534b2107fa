"""The inputs: a tool-using upstream stream and a long conversation, as each codec writes them."""

from __future__ import annotations

import base64
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from daemon.formats.base import codec_for
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
