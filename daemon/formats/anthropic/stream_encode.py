"""Canonical stream events → an Anthropic Messages SSE stream, well formed whatever happens.

One `message_start` first (synthesized if the source never sent one), blocks numbered from 0
in order, each started before its deltas and stopped before the next starts, then one
`message_delta` (stop reason, cumulative usage) and `message_stop`. A `StreamError` closes the
open block and ends the stream with an `error` event; nothing follows it.

Signatures: a thinking block's signature goes out as one `signature_delta` just before the
block stops (a foreign one packed with the block's text, see reasoning.py). Anthropic cannot
sign text or tool_use blocks, so a Gemini signature on one travels in a *carrier* thinking block
emitted just before it; to allow that, text and tool_use blocks are opened lazily, at their
first delta. A signature arriving after its text/tool block has started is dropped (logged).
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

from daemon.formats.anthropic.blocks import FMT, RAW_BLOCK
from daemon.formats.anthropic.errors import encode_error
from daemon.formats.anthropic.response import encode_usage, native_stop
from daemon.formats.reasoning import opaque_for
from daemon.formats.sse import encode_event
from daemon.model import (
    ApiError,
    BlockStart,
    BlockStop,
    MessageStart,
    MessageStop,
    Request,
    Signature,
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

log = logging.getLogger("cliproxy.formats")


_FAILED = ApiError(kind="server_error", message="the upstream failed mid-stream", status=500)


def _frame(payload: dict[str, Any]) -> bytes:
    return encode_event(orjson.dumps(payload).decode(), event=payload["type"])


class AnthropicStreamEncoder:
    __slots__ = (
        "_current",
        "_done",
        "_kind",
        "_model",
        "_next",
        "_pending",
        "_signature",
        "_started",
        "_thinking",
        "_thinking_text",
        "_usage",
    )

    def __init__(self, request: Request) -> None:
        self._model = request.model
        self._started = False
        self._done = False
        self._next = 0  # next Anthropic block index
        self._current: int | None = None  # canonical index of the current block
        self._kind = ""  # text / tool_use / thinking / redacted / raw
        self._pending: TextPart | ToolCallPart | None = None  # block not yet opened
        self._thinking = ThinkingPart()
        self._thinking_text: list[str] = []
        self._signature: Signature | None = None
        self._usage: Usage | None = None

    # ------------------------------------------------------------------ public

    def feed(self, event: StreamEvent) -> bytes:
        if self._done:
            return b""
        if isinstance(event, MessageStart):
            if self._started:
                return b""
            self._usage = event.usage or self._usage
            return self._start(event.id, event.model or self._model)
        if isinstance(event, StreamError):
            return self._error(event.error)
        if isinstance(event, UsageUpdate):
            self._usage = event.usage
            return b""
        if isinstance(event, MessageStop) and event.stop_reason == "error":
            return self._error(_FAILED)
        out = b"" if self._started else self._start("", self._model)
        if isinstance(event, TextDelta | ThinkingDelta | ToolArgumentsDelta | SignatureDelta):
            if event.index != self._current:
                log.debug("anthropic stream: delta for block %d, which is not open", event.index)
                return out
            return out + self._delta(event)
        if isinstance(event, BlockStart):
            return out + self._close_block() + self._block_start(event)
        if isinstance(event, BlockStop):
            return out + (self._close_block() if event.index == self._current else b"")
        return out + self._message_stop(event)

    def close(self) -> bytes:
        if self._done:
            return b""
        message = "the upstream stream ended unexpectedly"
        return self._error(ApiError(kind="bad_gateway", message=message, status=502))

    # ------------------------------------------------------------------ message level

    def _start(self, message_id: str, model: str) -> bytes:
        self._started = True
        message: dict[str, Any] = {
            "id": message_id or "msg_cliproxy",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": encode_usage(self._usage or Usage()),
        }
        return _frame({"type": "message_start", "message": message})

    def _message_stop(self, event: MessageStop) -> bytes:
        out = self._close_block()
        usage = event.usage or self._usage or Usage()
        delta = {
            "stop_reason": native_stop(event.stop_reason, event.stop_sequence),
            "stop_sequence": event.stop_sequence,
        }
        out += _frame({"type": "message_delta", "delta": delta, "usage": encode_usage(usage)})
        self._done = True
        return out + _frame({"type": "message_stop"})

    def _error(self, error: ApiError) -> bytes:
        out = self._close_block()
        self._done = True
        return out + _frame(encode_error(error))

    # ------------------------------------------------------------------ blocks

    def _block_start(self, event: BlockStart) -> bytes:
        self._current = event.index
        part = event.part
        if isinstance(part, ThinkingPart):
            sig = part.signature
            if part.redacted and sig is not None and sig.format == FMT:
                return self._open("redacted", {"type": "redacted_thinking", "data": sig.value})
            self._thinking, self._thinking_text, self._signature = part, [], sig
            out = self._open("thinking", {"type": "thinking", "thinking": "", "signature": ""})
            return out + self._delta(ThinkingDelta(event.index, part.text))
        raw = part.extra.get(RAW_BLOCK) if isinstance(part, TextPart) else None
        if isinstance(raw, dict):
            return self._open("raw", raw)
        self._pending = part
        out = b""
        if part.signature is not None:
            out = self._carrier(part.signature)
        if isinstance(part, TextPart) and part.text:
            out += self._delta(TextDelta(event.index, part.text))
        elif isinstance(part, ToolCallPart) and part.arguments:
            out += self._delta(ToolArgumentsDelta(event.index, part.arguments))
        return out

    def _open(self, kind: str, block: dict[str, Any]) -> bytes:
        self._kind = kind
        payload = {"type": "content_block_start", "index": self._next, "content_block": block}
        return _frame(payload)

    def _open_pending(self) -> bytes:
        part, self._pending = self._pending, None
        if isinstance(part, ToolCallPart):
            block = {"type": "tool_use", "id": part.id, "name": part.name, "input": {}}
            return self._open("tool_use", block)
        if isinstance(part, TextPart):
            return self._open("text", {"type": "text", "text": ""})
        return b""

    def _carrier(self, signature: Signature) -> bytes:
        """An empty thinking block holding a text / tool_use block's foreign signature."""
        opaque = opaque_for(ThinkingPart(signature=signature, extra={"carrier": True}), FMT)
        out = self._open("thinking", {"type": "thinking", "thinking": "", "signature": ""})
        delta = {"type": "signature_delta", "signature": opaque}
        out += _frame({"type": "content_block_delta", "index": self._next, "delta": delta})
        out += _frame({"type": "content_block_stop", "index": self._next})
        self._next += 1
        self._kind = ""
        return out

    def _delta(
        self, event: TextDelta | ThinkingDelta | ToolArgumentsDelta | SignatureDelta
    ) -> bytes:
        if isinstance(event, SignatureDelta):
            if self._kind == "thinking":
                self._signature = event.signature
                return b""
            if self._pending is not None:
                return self._carrier(event.signature)
            log.debug("anthropic stream: dropping a late signature on a %s block", self._kind)
            return b""
        out = self._open_pending() if self._pending is not None else b""
        delta: dict[str, Any]
        if isinstance(event, TextDelta) and self._kind == "text":
            delta = {"type": "text_delta", "text": event.text}
        elif isinstance(event, ThinkingDelta) and self._kind == "thinking":
            self._thinking_text.append(event.text)
            delta = {"type": "thinking_delta", "thinking": event.text}
        elif isinstance(event, ToolArgumentsDelta) and self._kind == "tool_use":
            delta = {"type": "input_json_delta", "partial_json": event.fragment}
        else:
            return out
        text = delta.get("text", delta.get("thinking", delta.get("partial_json")))
        if not text:
            return out
        payload = {"type": "content_block_delta", "index": self._next, "delta": delta}
        return out + _frame(payload)

    def _close_block(self) -> bytes:
        if self._current is None:
            return b""
        out = self._open_pending() if self._pending is not None else b""
        if self._kind == "thinking" and self._signature is not None:
            part = self._thinking
            whole = ThinkingPart(
                text="".join(self._thinking_text),
                signature=self._signature,
                redacted=part.redacted,
                id=part.id,
                extra=part.extra,
            )
            delta = {"type": "signature_delta", "signature": opaque_for(whole, FMT)}
            out += _frame({"type": "content_block_delta", "index": self._next, "delta": delta})
        out += _frame({"type": "content_block_stop", "index": self._next})
        self._next += 1
        self._current, self._kind, self._signature = None, "", None
        return out
