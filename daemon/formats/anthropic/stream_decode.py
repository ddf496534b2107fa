"""An Anthropic Messages SSE stream → canonical stream events, one event at a time.

Blocks keep their order; canonical indices are assigned 0, 1, 2, … as blocks appear (Anthropic's
own indices are only used to match deltas to their block). Blocks the model has no part for
(server-tool blocks, …) travel as an empty `TextPart` with the raw block in
`extra["_anthropic_block"]`; their non-text deltas are dropped. A tool_use block that streamed
no argument fragments gets "{}" so its arguments are always JSON text.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import orjson

from daemon.formats.anthropic.blocks import FMT, RAW_BLOCK, dump_json
from daemon.formats.anthropic.errors import decode_error
from daemon.formats.anthropic.response import decode_usage, stop_of_native
from daemon.formats.reasoning import thinking_from_opaque
from daemon.formats.sse import SSEEvent
from daemon.formats.status import STATUS_OF_KIND
from daemon.model import (
    ApiError,
    BlockStart,
    BlockStop,
    MessageStart,
    MessageStop,
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
)

log = logging.getLogger("cliproxy.formats")


class AnthropicStreamDecoder:
    __slots__ = (
        "_args_seen",
        "_kind",
        "_next",
        "_open",
        "_started",
        "_stop",
        "_stop_sequence",
        "_usage",
        "done",
    )

    def __init__(self) -> None:
        self._next = 0  # next canonical block index
        self._open: dict[int, int] = {}  # Anthropic index → canonical index, open blocks
        self._kind: dict[int, str] = {}  # canonical index → block type
        self._args_seen: set[int] = set()
        self._usage = Usage()
        self._started = False
        self._stop: StopReason | None = None
        self._stop_sequence: str | None = None
        self.done = False

    def feed(self, event: SSEEvent) -> list[StreamEvent]:
        if self.done:
            return []
        try:
            data = orjson.loads(event.data)
        except orjson.JSONDecodeError:
            log.debug("anthropic stream: skipping a non-JSON event %r", event.data[:80])
            return []
        if not isinstance(data, dict):
            return []
        etype = data.get("type") or event.event
        if etype == "content_block_delta":
            return self._delta(data)
        if etype == "content_block_start":
            return self._block_start(data)
        if etype == "content_block_stop":
            return self._block_stop(data.get("index"))
        if etype == "message_start":
            return self._message_start(data)
        if etype == "message_delta":
            return self._message_delta(data)
        if etype == "message_stop":
            return self._finish(self._stop or "stop")
        if etype == "error":
            return self._error(data)
        return []  # ping, and event types added later

    def close(self) -> list[StreamEvent]:
        if self.done:
            return []
        error = ApiError(
            kind="bad_gateway",
            message="the upstream stream ended before message_stop",
            status=STATUS_OF_KIND["bad_gateway"],
        )
        return self._finish("error", error)

    # ------------------------------------------------------------------ message level

    def _message_start(self, data: dict[str, Any]) -> list[StreamEvent]:
        if self._started:
            return []
        self._started = True
        message = data.get("message")
        message = message if isinstance(message, dict) else {}
        decode_usage(message.get("usage"), self._usage)
        return [
            MessageStart(
                id=str(message.get("id") or ""),
                model=str(message.get("model") or ""),
                usage=replace(self._usage),
            )
        ]

    def _message_delta(self, data: dict[str, Any]) -> list[StreamEvent]:
        delta = data.get("delta")
        if isinstance(delta, dict):
            reason = delta.get("stop_reason")
            if isinstance(reason, str):
                self._stop = stop_of_native(reason)
            sequence = delta.get("stop_sequence")
            if isinstance(sequence, str):
                self._stop_sequence = sequence
        if not isinstance(data.get("usage"), dict):
            return []
        decode_usage(data["usage"], self._usage)
        return [UsageUpdate(usage=replace(self._usage))]

    def _error(self, data: dict[str, Any]) -> list[StreamEvent]:
        error = decode_error(500, orjson.dumps(data))
        inner = data.get("error")
        overloaded = isinstance(inner, dict) and inner.get("type") == "overloaded_error"
        status = 529 if overloaded else STATUS_OF_KIND[error.kind]
        return self._finish("error", replace(error, status=status))

    def _finish(self, stop: StopReason, error: ApiError | None = None) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        for anthropic_index in list(self._open):
            out.extend(self._block_stop(anthropic_index))
        if error is not None:
            out.append(StreamError(error=error))
        usage = replace(self._usage)
        out.append(MessageStop(stop_reason=stop, usage=usage, stop_sequence=self._stop_sequence))
        self.done = True
        return out

    # ------------------------------------------------------------------ blocks

    def _block_start(self, data: dict[str, Any]) -> list[StreamEvent]:
        index, block = data.get("index"), data.get("content_block")
        if not isinstance(index, int) or not isinstance(block, dict):
            return []
        out: list[StreamEvent] = []
        if index in self._open:
            out.extend(self._block_stop(index))
        canonical = self._next
        self._next += 1
        self._open[index] = canonical
        btype = str(block.get("type"))
        self._kind[canonical] = btype
        if btype == "text":
            out.append(BlockStart(index=canonical, part=TextPart(text="")))
            if block.get("text"):
                out.append(TextDelta(index=canonical, text=str(block["text"])))
        elif btype == "tool_use":
            part = ToolCallPart(id=str(block.get("id") or ""), name=str(block.get("name") or ""))
            out.append(BlockStart(index=canonical, part=part))
            initial = block.get("input")
            if isinstance(initial, dict) and initial:
                self._args_seen.add(canonical)
                out.append(ToolArgumentsDelta(canonical, dump_json(initial)))
        elif btype == "thinking":
            out.append(BlockStart(index=canonical, part=ThinkingPart()))
            if block.get("thinking"):
                out.append(ThinkingDelta(index=canonical, text=str(block["thinking"])))
            if block.get("signature"):
                out.append(_signature(canonical, str(block["signature"])))
        elif btype == "redacted_thinking":
            redacted = thinking_from_opaque(str(block.get("data") or ""), FMT, redacted=True)
            out.append(BlockStart(index=canonical, part=redacted))
        else:
            out.append(
                BlockStart(index=canonical, part=TextPart(text="", extra={RAW_BLOCK: block}))
            )
        return out

    def _delta(self, data: dict[str, Any]) -> list[StreamEvent]:
        index, delta = data.get("index"), data.get("delta")
        canonical = self._open.get(index) if isinstance(index, int) else None
        if canonical is None or not isinstance(delta, dict):
            return []
        dtype = delta.get("type")
        kind = self._kind[canonical]
        if dtype == "text_delta" and kind == "text":
            text = delta.get("text")
            return [TextDelta(canonical, text)] if isinstance(text, str) and text else []
        if dtype == "input_json_delta" and kind == "tool_use":
            fragment = delta.get("partial_json")
            if not isinstance(fragment, str) or not fragment:
                return []
            self._args_seen.add(canonical)
            return [ToolArgumentsDelta(canonical, fragment)]
        if dtype == "thinking_delta" and kind == "thinking":
            text = delta.get("thinking")
            return [ThinkingDelta(canonical, text)] if isinstance(text, str) and text else []
        if dtype == "signature_delta" and kind == "thinking":
            value = delta.get("signature")
            return [_signature(canonical, value)] if isinstance(value, str) and value else []
        log.debug("anthropic stream: dropping a %s delta on a %s block", dtype, kind)
        return []

    def _block_stop(self, index: Any) -> list[StreamEvent]:
        canonical = self._open.pop(index, None)
        if canonical is None:
            return []
        out: list[StreamEvent] = []
        if self._kind[canonical] == "tool_use" and canonical not in self._args_seen:
            out.append(ToolArgumentsDelta(canonical, "{}"))
        out.append(BlockStop(index=canonical))
        return out


def _signature(index: int, value: str) -> StreamEvent:
    restored = thinking_from_opaque(value, FMT)
    signature = restored.signature or Signature(FMT, value)
    return SignatureDelta(index=index, signature=signature)
