"""Gemini stream (`alt=sse`) → canonical stream events.

Each SSE `data:` is a whole GenerateContentResponse (possibly inside the Code Assist envelope).
Gemini has no block boundaries, so they are synthesized: consecutive text parts share a block,
consecutive thought parts share a block, and each functionCall (which arrives whole) is a block
of its own (BlockStart, one ToolArgumentsDelta, BlockStop). A signed text part is a block of its
own too, as the non-stream decoder keeps signed parts apart. The `thoughtSignature` of a text or
function-call part rides on its BlockStart's part (model.py), so that an encoder that must put a
carrier in front of the part still can; a signed thought part continues the open thought block
and its signature, a SignatureDelta, ends it. Foreign signed thinking that rode on a text or
function-call part (signatures.py: what this codec sends a Gemini client) becomes a thinking
block of its own just before that part's, holding only the signature (the stream showed the
text on thought parts already), as a packed thought part keeps only the text it shows.
The chunk with `finishReason`
(or a prompt `blockReason`) ends the message. A failure (an `{"error": …}` event, a malformed
chunk, a stream cut short) ends it as model.py says: BlockStop of the open block, StreamError,
MessageStop("error"). Inline media and other parts without a stream event are dropped.
"""

from __future__ import annotations

from dataclasses import replace

import orjson

from daemon.errors import ProxyError
from daemon.formats.gemini.errors import decode_error
from daemon.formats.gemini.part_decode import RIDERS, PartDecoder
from daemon.formats.gemini.response import (
    bad_upstream,
    decode_usage,
    response_id,
    stop_reason_of,
    unwrap,
)
from daemon.formats.sse import SSEEvent
from daemon.model import (
    ApiError,
    BlockStart,
    BlockStop,
    MessageStart,
    MessageStop,
    SignatureDelta,
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
)

_CUT_SHORT = "the Gemini stream ended without a finish reason"


class GeminiStreamDecoder:
    __slots__ = ("_decoder", "_done", "_has_calls", "_kind", "_next", "_open", "_usage")

    def __init__(self) -> None:
        self._decoder: PartDecoder | None = None  # set by the first chunk (seeded by its id)
        self._done = False
        self._has_calls = False
        self._open: int | None = None  # index of the open text / thinking block
        self._kind: type[TextPart] | type[ThinkingPart] | None = None
        self._next = 0
        self._usage: Usage | None = None

    def feed(self, event: SSEEvent) -> list[StreamEvent]:
        data = event.data.strip()
        if self._done or not data or data == "[DONE]":
            return []
        try:
            payload = orjson.loads(data)
        except orjson.JSONDecodeError:
            return self._fail(ApiError("bad_gateway", "malformed Gemini stream event", 502))
        out: list[StreamEvent] = []
        for chunk in payload if isinstance(payload, list) else [payload]:
            if not self._done:
                out.extend(self._chunk(chunk))
        return out

    def close(self) -> list[StreamEvent]:
        if self._done:
            return []
        return self._fail(ApiError("bad_gateway", _CUT_SHORT, 502))

    # ------------------------------------------------------------------ internals

    def _fail(self, error: ApiError) -> list[StreamEvent]:
        out = self._stop_open()
        out.append(StreamError(error))
        out.append(MessageStop(stop_reason="error", usage=self._usage))
        self._done = True
        return out

    def _chunk(self, chunk: object) -> list[StreamEvent]:
        if not isinstance(chunk, dict):
            return self._fail(ApiError("bad_gateway", "malformed Gemini stream event", 502))
        if "error" in chunk:
            inner = chunk["error"]
            code = inner.get("code") if isinstance(inner, dict) else None
            status = code if isinstance(code, int) and 400 <= code < 600 else 500
            return self._fail(decode_error(status, orjson.dumps(chunk)))
        body, trace = unwrap(chunk)
        out: list[StreamEvent] = []
        start: MessageStart | None = None
        if self._decoder is None:
            rid = response_id(body, trace)
            self._decoder = PartDecoder(rid, bad_upstream)
            model = body.get("modelVersion") or body.get("model_version")
            start = MessageStart(id=rid, model=model if isinstance(model, str) else "")
            out.append(start)
        try:
            usage_raw = body.get("usageMetadata", body.get("usage_metadata"))
            if start is not None and usage_raw is not None:
                # the prompt's size, known up front (as Anthropic's message_start says it)
                self._usage, _ = decode_usage(usage_raw)
                start.usage = replace(self._usage)
            return self._parts(body, out)
        except ProxyError as exc:  # a malformed chunk from upstream ends the stream cleanly
            out.extend(self._fail(ApiError("bad_gateway", exc.message, 502)))
            return out

    def _parts(self, body: dict[str, object], out: list[StreamEvent]) -> list[StreamEvent]:
        candidates = body.get("candidates")
        candidate = candidates[0] if isinstance(candidates, list) and candidates else None
        if not isinstance(candidate, dict):
            candidate = {}
        content = candidate.get("content")
        parts = content.get("parts") if isinstance(content, dict) else None
        for i, raw in enumerate(parts if isinstance(parts, list) else []):
            assert self._decoder is not None
            part = self._decoder.decode(raw, f"parts[{i}]")
            if isinstance(part, ThinkingPart) and part.text and isinstance(raw, dict):
                # A packed foreign part holds its own text; the stream shows what was sent.
                part = replace(part, text=str(raw.get("text") or ""))
            if isinstance(part, TextPart | ToolCallPart):
                for rider in part.extra.pop(RIDERS, None) or []:
                    self._rider(rider, out)
            if isinstance(part, ToolCallPart):
                self._tool_call(part, out)
            elif isinstance(part, TextPart | ThinkingPart):
                self._text(part, out)
        usage_raw = body.get("usageMetadata", body.get("usage_metadata"))
        usage_changed = False
        if usage_raw is not None:
            usage, _ = decode_usage(usage_raw)
            usage_changed = usage != self._usage
            self._usage = usage
        finish = candidate.get("finishReason", candidate.get("finish_reason"))
        feedback = body.get("promptFeedback", body.get("prompt_feedback"))
        blocked = isinstance(feedback, dict) and bool(feedback.get("blockReason"))
        if finish is not None or (blocked and not candidates):
            out.extend(self._stop_open())
            reason = (
                stop_reason_of(finish if isinstance(finish, str) else "OTHER", self._has_calls)
                if finish is not None
                else "content_filter"
            )
            out.append(MessageStop(stop_reason=reason, usage=self._usage))
            self._done = True
        elif usage_changed and self._usage is not None:
            out.append(UsageUpdate(self._usage))
        return out

    def _text(self, part: TextPart | ThinkingPart, out: list[StreamEvent]) -> None:
        if not part.text and part.signature is None:
            return
        signed_text = isinstance(part, TextPart) and part.signature is not None
        if self._open is None or self._kind is not type(part) or signed_text:
            out.extend(self._stop_open())
            self._open, self._kind = self._next, type(part)
            self._next += 1
            header = (
                TextPart("", signature=part.signature)
                if isinstance(part, TextPart)
                else ThinkingPart()
            )
            out.append(BlockStart(self._open, header))
        if part.text:
            delta = TextDelta if isinstance(part, TextPart) else ThinkingDelta
            out.append(delta(self._open, part.text))
        if part.signature is not None:
            if not signed_text:
                out.append(SignatureDelta(self._open, part.signature))
            out.extend(self._stop_open())

    def _rider(self, thinking: ThinkingPart, out: list[StreamEvent]) -> None:
        out.extend(self._stop_open())
        index = self._next
        self._next += 1
        out.append(BlockStart(index, ThinkingPart(redacted=thinking.redacted, id=thinking.id)))
        if thinking.signature is not None:
            out.append(SignatureDelta(index, thinking.signature))
        out.append(BlockStop(index))

    def _tool_call(self, part: ToolCallPart, out: list[StreamEvent]) -> None:
        out.extend(self._stop_open())
        index = self._next
        self._next += 1
        self._has_calls = True
        header = ToolCallPart(id=part.id, name=part.name, signature=part.signature)
        out.append(BlockStart(index, header))
        if part.arguments:
            out.append(ToolArgumentsDelta(index, part.arguments))
        out.append(BlockStop(index))

    def _stop_open(self) -> list[StreamEvent]:
        if self._open is None:
            return []
        index, self._open, self._kind = self._open, None, None
        return [BlockStop(index)]
