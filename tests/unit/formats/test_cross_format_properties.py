"""Cross-format properties, for every (client format, upstream format) pair.

(i)  Streams: a generated canonical stream (MessageStart, text / thinking / tool-call blocks with
     deltas, usage, MessageStop — or a StreamError mid-way) is encoded as the upstream would send
     it, split at arbitrary byte offsets, decoded, and re-encoded for the client. The client's
     stream is well formed for its format, the same whatever the splits, and — decoded again —
     carries the same text, thinking, tool calls, signatures, stop reason and usage (a prefix of
     them, and the error, when the upstream failed mid-way). Every decoder's output follows the
     event grammar of model.py.
(ii) Signed reasoning: an upstream's signed reasoning (Anthropic thinking / redacted thinking,
     Responses encrypted_content, Gemini thoughtSignature) sent to a client of another format and
     sent back in that client's next request is restored exactly for the upstream. A chat client
     has no opaque field: there the signature is dropped, never sent back altered. A Gemini
     client may drop thought parts from the history it sends back (Gemini CLI does, and merges
     streamed text): the reasoning still comes back, first in its turn.
"""

from __future__ import annotations

import string
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.formats.gemini._wire import SKIP_SIGNATURE
from daemon.formats.sse import SSEParser
from daemon.model import (
    ApiError,
    BlockStart,
    BlockStop,
    MessageStart,
    MessageStop,
    Request,
    Signature,
    SignatureDelta,
    StopReason,
    StreamError,
    StreamEvent,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ThinkingPart,
    ToolArgumentsDelta,
    ToolCallPart,
    Usage,
    UsageUpdate,
    WireFormat,
)
from tests.fixtures.formats.cross.regenerate import client_request

from .cross_support import (
    CHECK_STREAM,
    FORMATS,
    PAIRS,
    decode_stream,
    encode_stream,
    pair_name,
    translate_request,
    translate_response,
    translate_stream,
)

CHAT, RESPONSES, ANTHROPIC, GEMINI = FORMATS
IDS = [pair_name(c, u) for c, u in PAIRS]
SIGNS_THINKING = {ANTHROPIC, RESPONSES, GEMINI}  # upstreams whose reasoning comes signed

_B64 = string.ascii_letters + string.digits + "+/"
signatures = st.builds(
    lambda body, pad: body + pad, st.text(_B64, min_size=4, max_size=80), st.sampled_from(["", "="])
)
fragments = st.text(min_size=1, max_size=12)
json_values = st.one_of(st.integers(-1000, 1000), st.booleans(), st.text(max_size=10), st.none())
arguments = st.dictionaries(
    st.text(string.ascii_lowercase, min_size=1, max_size=6), json_values, max_size=3
)


# --------------------------------------------------------------------------- event grammar


def check_grammar(events: list[StreamEvent]) -> None:
    """The decoder contract of model.py: blocks 0, 1, 2, … started, fed and stopped in turn;
    the end is MessageStop, or (BlockStop of the open block,) StreamError, MessageStop("error");
    nothing follows."""
    assert events, "no events"
    assert isinstance(events[-1], MessageStop), f"last event {events[-1]}"
    started = any(isinstance(e, MessageStart) for e in events)
    if started:
        assert isinstance(events[0], MessageStart), "MessageStart is not first"
    errors = [i for i, e in enumerate(events) if isinstance(e, StreamError)]
    if events[-1].stop_reason == "error" and errors:
        assert errors == [len(events) - 2], "StreamError must come right before the MessageStop"
    else:
        assert not errors, "a StreamError without MessageStop('error') right after it"
    open_block: int | None = None
    next_index = 0
    for event in events[1:-1] if started else events[:-1]:
        assert not isinstance(event, MessageStart | MessageStop), f"stray {event}"
        if isinstance(event, BlockStart):
            assert open_block is None, f"block {event.index} starts while {open_block} is open"
            assert event.index == next_index, f"block index {event.index}, expected {next_index}"
            open_block, next_index = event.index, next_index + 1
        elif isinstance(event, BlockStop):
            assert event.index == open_block, f"BlockStop({event.index}) of a closed block"
            open_block = None
        elif isinstance(event, TextDelta | ThinkingDelta | ToolArgumentsDelta | SignatureDelta):
            assert event.index == open_block, f"{event} outside its block"
        elif isinstance(event, StreamError):
            assert open_block is None, "StreamError while a block is open"
    assert open_block is None, "a block is left open"


# --------------------------------------------------------------------------- content summary


@dataclass
class Content:
    text: str = ""
    thinking: str = ""
    calls: list[tuple[str, str, str]] = field(default_factory=list)  # id, name, arguments
    signatures: Counter[Signature] = field(default_factory=Counter)
    errors: list[ApiError] = field(default_factory=list)
    stop: StopReason | None = None
    usage: Usage | None = None

    def arguments(self) -> list[tuple[str, str, Any]]:
        return [(i, n, orjson.loads(a or "{}")) for i, n, a in self.calls]


def content_of(events: list[StreamEvent]) -> Content:
    found = Content()
    calls: dict[int, list[str]] = {}
    for event in events:
        if isinstance(event, TextDelta):
            found.text += event.text
        elif isinstance(event, ThinkingDelta):
            found.thinking += event.text
        elif isinstance(event, BlockStart):
            if event.part.signature is not None:
                found.signatures[event.part.signature] += 1
            if isinstance(event.part, ToolCallPart):
                calls[event.index] = [event.part.id, event.part.name, event.part.arguments]
        elif isinstance(event, ToolArgumentsDelta):
            calls[event.index][2] += event.fragment
        elif isinstance(event, SignatureDelta):
            found.signatures[event.signature] += 1
        elif isinstance(event, StreamError):
            found.errors.append(event.error)
        elif isinstance(event, MessageStop):
            found.stop, found.usage = event.stop_reason, event.usage
    found.calls = [(i, n, a) for i, n, a in calls.values()]
    return found


# --------------------------------------------------------------------------- generation


@dataclass
class Plan:
    events: list[StreamEvent]
    content: Content  # what the events say, for a complete stream
    failed: bool


@st.composite
def canonical_streams(draw: st.DrawFn, upstream: WireFormat) -> Plan:
    """A well-formed canonical stream as `upstream` could produce it (its own signatures)."""
    events: list[StreamEvent] = [MessageStart(id="msg_upstream_1", model="model-up")]
    expected = Content()
    choices = ["text", "thinking", "tool"] + (["redacted"] if upstream == ANTHROPIC else [])
    kinds = draw(st.lists(st.sampled_from(choices), max_size=6))
    fail_at = draw(st.none() | st.integers(0, len(kinds)))
    fail_inside = draw(st.booleans())
    if fail_at == 0 and draw(st.booleans()):
        events = []  # the upstream failed before it said anything
    for index, kind in enumerate(kinds):
        block: list[StreamEvent]
        if kind == "redacted":
            opaque = Signature(ANTHROPIC, draw(signatures))
            block = [BlockStart(index, ThinkingPart(signature=opaque, redacted=True))]
            expected.signatures[opaque] += 1
        elif kind == "text":
            pieces = draw(st.lists(fragments, min_size=1, max_size=3))
            sig = draw(st.none() | signatures) if upstream == GEMINI else None
            signed = Signature(GEMINI, sig) if sig is not None else None
            block = [BlockStart(index, TextPart("", signature=signed))]
            if signed is not None:
                expected.signatures[signed] += 1
            block += [TextDelta(index, p) for p in pieces]
            expected.text += "".join(pieces)
        elif kind == "thinking":
            pieces = draw(st.lists(fragments, min_size=1, max_size=3))
            sig = draw(st.none() | signatures) if upstream in SIGNS_THINKING else None
            block = [BlockStart(index, ThinkingPart())]
            block += [ThinkingDelta(index, p) for p in pieces]
            if sig is not None:
                block.append(SignatureDelta(index, Signature(upstream, sig)))
                expected.signatures[Signature(upstream, sig)] += 1
            expected.thinking += "".join(pieces)
        else:
            name = draw(st.sampled_from(["get_weather", "lookup", "run_code"]))
            text = orjson.dumps(draw(arguments)).decode()
            cuts = sorted(draw(st.lists(st.integers(1, max(1, len(text) - 1)), max_size=3)))
            pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
            sig = draw(st.none() | signatures) if upstream == GEMINI else None
            signed = Signature(GEMINI, sig) if sig is not None else None
            block = [
                BlockStart(index, ToolCallPart(id=f"call_{index}", name=name, signature=signed))
            ]
            if signed is not None:
                expected.signatures[signed] += 1
            block += [ToolArgumentsDelta(index, p) for p in pieces if p]
            expected.calls.append((f"call_{index}", name, text))
        if fail_at == index:
            cut = draw(st.integers(1, len(block))) if fail_inside else 0
            events += block[:cut]
            if cut:
                events.append(BlockStop(index))
            break
        events += [*block, BlockStop(index)]
    cached, reasoning = draw(st.integers(0, 500)), draw(st.integers(0, 500))
    usage = Usage(
        input_tokens=cached + draw(st.integers(0, 5000)),
        output_tokens=reasoning + draw(st.integers(0, 5000)),
        cached_tokens=cached,
        reasoning_tokens=reasoning,
    )
    if draw(st.booleans()) and events:
        events.insert(1, UsageUpdate(Usage(input_tokens=usage.input_tokens)))
    if fail_at is not None:
        error = ApiError("overloaded", draw(st.text(string.ascii_letters + " ", min_size=1)), 503)
        events += [StreamError(error), MessageStop("error", usage=usage)]
        expected.errors.append(error)
        return Plan(events, expected, failed=True)
    stop: StopReason = "tool_calls" if expected.calls else draw(st.sampled_from(["stop", "length"]))
    events.append(MessageStop(stop, usage=usage))
    expected.stop, expected.usage = stop, usage
    return Plan(events, expected, failed=False)


def _request(fmt: WireFormat, model: str) -> Request:
    # include_usage: what encode_request asks of a chat upstream, and a chat client may ask
    return Request(model=model, stream=True, include_usage=True, source_format=fmt)


# --------------------------------------------------------------------------- (i) streams


@pytest.mark.parametrize(("client", "upstream"), PAIRS, ids=IDS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_translated_streams_are_well_formed_and_keep_their_content(
    client: WireFormat, upstream: WireFormat, data: st.DataObject
) -> None:
    plan = data.draw(canonical_streams(upstream), label="plan")
    raw = encode_stream(upstream, _request(upstream, "model-up"), plan.events)
    CHECK_STREAM[upstream](raw)
    check_grammar(decode_stream(upstream, [raw]))

    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=8), label="cuts")
    request = _request(client, "model-client")
    whole = translate_stream(client, upstream, request, raw)
    assert translate_stream(client, upstream, request, raw, cuts) == whole
    CHECK_STREAM[client](whole)

    events = decode_stream(client, [whole])  # what the client's SDK makes of it
    check_grammar(events)
    got, want = content_of(events), plan.content
    if plan.failed:
        assert want.text.startswith(got.text)
        assert want.thinking.startswith(got.thinking)
        assert [e.message for e in got.errors] == [e.message for e in want.errors]
        assert got.stop == "error"
        return
    assert got.text == want.text
    assert got.thinking == want.thinking
    assert got.arguments() == want.arguments()
    assert got.signatures == (Counter() if client == CHAT else want.signatures)
    assert got.stop == want.stop
    assert got.usage is not None and want.usage is not None
    keep = ("input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens")
    assert {k: getattr(got.usage, k) for k in keep} == {k: getattr(want.usage, k) for k in keep}


# --------------------------------------------------------------------------- (ii) signatures


def _anthropic_turn(thinking: dict[str, Any]) -> dict[str, Any]:
    tool = {"type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {"city": "P"}}
    return {
        "id": "msg_01A",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [thinking, tool],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 5},
    }


def _responses_turn(reasoning: dict[str, Any]) -> dict[str, Any]:
    call = {
        "id": "fc_1",
        "type": "function_call",
        "status": "completed",
        "call_id": "call_1",
        "name": "get_weather",
        "arguments": '{"city":"P"}',
    }
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1,
        "status": "completed",
        "model": "gpt-5",
        "output": [reasoning, call],
        "usage": {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15},
    }


def _gemini_turn(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5},
        "modelVersion": "gemini-2.5-pro",
        "responseId": "r-1",
    }


_OPAQUE_KEYS = frozenset({"signature", "data", "encrypted_content", "thoughtSignature"})


def opaque_values(value: Any) -> list[Any]:
    """Every value a body holds under a key for opaque reasoning, anywhere."""
    if isinstance(value, list):
        return [v for item in value for v in opaque_values(item)]
    if not isinstance(value, dict):
        return []
    found = [v for k, v in value.items() if k in _OPAQUE_KEYS]
    return found + [v for item in value.values() for v in opaque_values(item)]


def _without_thoughts(body: dict[str, Any]) -> dict[str, Any]:
    """A Gemini client's request as Gemini CLI sends it: no thought parts in its history."""
    for content in body["contents"]:
        content["parts"] = [p for p in content["parts"] if not p.get("thought")]
    return body


def _round_trip(
    client: WireFormat, upstream: WireFormat, previous: dict[str, Any], drop_thoughts: bool = False
) -> Any:
    """The upstream's next request after `previous` went to the client and came back."""
    body = client_request(client, upstream, previous)
    if drop_thoughts:
        body = _without_thoughts(body)
    return translate_request(client, upstream, body)


OTHERS = {u: [c for c in FORMATS if c != u] for u in FORMATS}


def _clients(upstream: WireFormat) -> list[Any]:
    """Every other client format, and a Gemini client that drops thought parts (Gemini CLI)."""
    cases = [pytest.param(c, False, id=str(c)) for c in OTHERS[upstream]]
    if upstream != GEMINI:
        cases.append(pytest.param(GEMINI, True, id="gemini-cli"))
    return cases


@pytest.mark.parametrize(("client", "drop_thoughts"), _clients(ANTHROPIC))
@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=40), sig=signatures, redacted=st.booleans())
def test_anthropic_thinking_comes_back_exactly(
    client: WireFormat, drop_thoughts: bool, text: str, sig: str, redacted: bool
) -> None:
    block = (
        {"type": "redacted_thinking", "data": sig}
        if redacted
        else {"type": "thinking", "thinking": text, "signature": sig}
    )
    body = _round_trip(client, ANTHROPIC, _anthropic_turn(block), drop_thoughts)
    assistant = body["messages"][1]
    assert assistant["role"] == "assistant"
    if client == CHAT:
        assert opaque_values(body) == []  # dropped, not altered
        assert assistant["content"][0]["type"] == "tool_use"
        shown = translate_response(client, ANTHROPIC, _anthropic_turn(block))
        message = shown["choices"][0]["message"]
        assert message.get("reasoning_content") == (text or None if not redacted else None)
    else:
        assert assistant["content"][0] == block


@pytest.mark.parametrize(("client", "drop_thoughts"), _clients(RESPONSES))
@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=40), encrypted=signatures, rid=st.text(string.hexdigits, min_size=1))
def test_responses_encrypted_reasoning_comes_back_exactly(
    client: WireFormat, drop_thoughts: bool, text: str, encrypted: str, rid: str
) -> None:
    summary = [{"type": "summary_text", "text": text}] if text else []
    item = {
        "id": f"rs_{rid}",
        "type": "reasoning",
        "summary": summary,
        "encrypted_content": encrypted,
    }
    body = _round_trip(client, RESPONSES, _responses_turn(item), drop_thoughts)
    reasoning = [i for i in body["input"] if i.get("type") == "reasoning"]
    if client == CHAT:
        assert reasoning == []
        assert opaque_values(body) == []
    else:
        assert reasoning == [item]


@pytest.mark.parametrize("client", OTHERS[GEMINI])
@settings(max_examples=60, deadline=None)
@given(
    thought=st.text(max_size=40),
    thought_sig=st.none() | signatures,
    call_sig=signatures,
    call_id=st.none() | st.just("call_7"),
)
def test_gemini_thought_signatures_come_back_exactly(
    client: WireFormat, thought: str, thought_sig: str | None, call_sig: str, call_id: str | None
) -> None:
    parts: list[dict[str, Any]] = []
    if thought or thought_sig:
        part: dict[str, Any] = {"text": thought, "thought": True}
        if thought_sig is not None:
            part["thoughtSignature"] = thought_sig
        parts.append(part)
    call: dict[str, Any] = {"name": "get_weather", "args": {"city": "P"}}
    if call_id is not None:
        call["id"] = call_id
    parts.append({"functionCall": call, "thoughtSignature": call_sig})
    body = _round_trip(client, GEMINI, _gemini_turn(parts))
    model = body["contents"][1]
    assert model["role"] == "model"
    sent_call = next(p for p in model["parts"] if "functionCall" in p)
    assert sent_call["functionCall"] == call
    if client == CHAT:
        # dropped, not altered: only the documented value that skips Gemini's check is sent
        assert sent_call["thoughtSignature"] == SKIP_SIGNATURE
        assert opaque_values(body) == [SKIP_SIGNATURE]
        return
    assert sent_call["thoughtSignature"] == call_sig
    if thought_sig is not None:
        assert {"text": thought, "thought": True, "thoughtSignature": thought_sig} in model["parts"]


def _plain_text(part: dict[str, Any]) -> bool:
    keys = ("functionCall", "functionResponse", "inlineData", "fileData")
    return (
        isinstance(part.get("text"), str)
        and not part.get("thought")
        and not any(k in part for k in keys)
    )


def gemini_cli_turn(stream: bytes) -> dict[str, Any]:
    """The model turn Gemini CLI keeps from a stream and sends back (geminiChat.ts of the
    google-gemini/gemini-cli repository): a chunk holding an empty non-thought text part is
    skipped; thought parts are dropped; consecutive text parts are merged into the first, which
    keeps its other fields; the first function call gets the skip value if it is unsigned."""
    parser = SSEParser()
    parts: list[dict[str, Any]] = []
    for event in parser.feed(stream) + parser.close():
        candidates = orjson.loads(event.data).get("candidates") or [{}]
        chunk_parts = (candidates[0].get("content") or {}).get("parts") or []
        if not chunk_parts or any(
            not p or (not p.get("thought") and p.get("text") == "") for p in chunk_parts
        ):
            continue
        parts += [dict(p) for p in chunk_parts if not p.get("thought")]
    kept: list[dict[str, Any]] = []
    for part in parts:
        if kept and kept[-1].get("text") and _plain_text(kept[-1]) and _plain_text(part):
            kept[-1]["text"] += part["text"]
        else:
            kept.append(part)
    for part in kept:
        if "functionCall" in part:
            part.setdefault("thoughtSignature", SKIP_SIGNATURE)
            break
    return {"role": "model", "parts": kept}


def _reasoning_block(upstream: WireFormat, index: int, text: str, sig: str, redacted: bool) -> Any:
    """Canonical events of one signed reasoning block as `upstream` streams it."""
    signature = Signature(upstream, sig)
    if redacted:
        return [BlockStart(index, ThinkingPart(signature=signature, redacted=True))]
    rid = "rs_1" if upstream == RESPONSES else None
    events: list[StreamEvent] = [BlockStart(index, ThinkingPart(id=rid))]
    if text:
        events.append(ThinkingDelta(index, text))
    return [*events, SignatureDelta(index, signature)]


@pytest.mark.parametrize("upstream", [ANTHROPIC, RESPONSES])
@settings(max_examples=60, deadline=None)
@given(
    text=st.text(min_size=1, max_size=40),
    sig=signatures,
    redacted=st.booleans(),
    preamble=st.lists(fragments, max_size=3),
)
def test_reasoning_survives_a_gemini_cli_client_of_a_stream(
    upstream: WireFormat, text: str, sig: str, redacted: bool, preamble: list[str]
) -> None:
    """Signed reasoning, maybe some text, a tool call: streamed to Gemini CLI, which sends its
    history back without thought parts and with its text merged. The upstream gets its reasoning
    back exactly, first in the turn (Anthropic refuses a tool turn that does not start with it;
    the codec would switch thinking off)."""
    redacted = redacted and upstream == ANTHROPIC
    events: list[StreamEvent] = [MessageStart(id="msg_01A", model="model-up")]
    events += [*_reasoning_block(upstream, 0, text, sig, redacted), BlockStop(0)]
    index = 1
    if preamble:
        events += [BlockStart(1, TextPart("")), *(TextDelta(1, t) for t in preamble), BlockStop(1)]
        index = 2
    call_id = "toolu_01A" if upstream == ANTHROPIC else "call_1"
    events += [
        BlockStart(index, ToolCallPart(id=call_id, name="get_weather")),
        ToolArgumentsDelta(index, '{"city":"P"}'),
        BlockStop(index),
        MessageStop("tool_calls", Usage(input_tokens=10, output_tokens=5)),
    ]
    raw = encode_stream(upstream, _request(upstream, "model-up"), events)
    shown = translate_stream(GEMINI, upstream, _request(GEMINI, "model-client"), raw)
    previous = (  # only its call (of id `call_id`) matters: the history is replaced below
        _anthropic_turn({"type": "text", "text": "-"})
        if upstream == ANTHROPIC
        else _responses_turn({"type": "message", "role": "assistant", "content": []})
    )
    client_body = client_request(GEMINI, upstream, previous)
    client_body["contents"][1] = gemini_cli_turn(shown)
    body = translate_request(GEMINI, upstream, client_body)
    if upstream == ANTHROPIC:
        assert body["thinking"]["type"] == "enabled"
        content = body["messages"][1]["content"]
        assert content[0] == (
            {"type": "redacted_thinking", "data": sig}
            if redacted
            else {"type": "thinking", "thinking": text, "signature": sig}
        )
        kinds = [b["type"] for b in content[1:]]
        assert kinds == (["text"] if preamble else []) + ["tool_use"]
        return
    items = [i for i in body["input"] if i.get("type") != "message" or i["role"] != "user"]
    assert items[0] == {
        "id": "rs_1",
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": text}],
        "encrypted_content": sig,
    }
    assert [i["type"] for i in items[1:]][-2:] == ["function_call", "function_call_output"]


# --------------------------------------------------------------------------- failure order


@pytest.mark.parametrize("client", FORMATS)
@pytest.mark.parametrize("error_first", [True, False], ids=["documented", "reversed"])
def test_encoders_cope_with_either_failure_order_and_ignore_what_follows(
    client: WireFormat, error_first: bool
) -> None:
    error = StreamError(ApiError("overloaded", "the upstream is busy", 503))
    stop = MessageStop("error")
    failure: list[StreamEvent] = [error, stop] if error_first else [stop, error]
    events: list[StreamEvent] = [
        MessageStart(id="msg_1", model="m"),
        BlockStart(0, TextPart("")),
        TextDelta(0, "partial"),
        BlockStop(0),
        *failure,
        # nothing below may reach the client
        BlockStart(1, TextPart("")),
        TextDelta(1, "late"),
        BlockStop(1),
        MessageStop("stop"),
    ]
    raw = encode_stream(client, _request(client, "m"), events)
    CHECK_STREAM[client](raw)
    assert b"late" not in raw
    decoded = decode_stream(client, [raw])
    check_grammar(decoded)
    assert content_of(decoded).text == "partial"
    last = decoded[-1]
    assert isinstance(last, MessageStop) and last.stop_reason == "error"
    if error_first:  # the documented order keeps the upstream's message
        assert [e.error.message for e in decoded if isinstance(e, StreamError)] == [
            "the upstream is busy"
        ]
