"""Canonical stream events → a Gemini stream.

With `sse=True` every chunk is one SSE event (`data: <GenerateContentResponse>`), as with
`alt=sse`; with `sse=False` the chunks form ONE JSON array written incrementally (`[` before
the first, `,` between, `]` at close), as Gemini streams without alt=sse.

Text and thought deltas go out as they come. A function call goes out whole when its block
stops (only that call's arguments are accumulated). Signatures go out when their block stops:
on a `{"text": "", "thoughtSignature"}` part for text, on a thought part for thinking (another
format's signed thinking is packed, so a Gemini client can hand it back; the packed part holds
the thought text itself, which the request decoder uses to drop the streamed copy). The last
chunk carries finishReason and usageMetadata; a StreamError becomes `{"error": {...}}` and ends
the stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from daemon.formats.gemini.errors import encode_error
from daemon.formats.gemini.parts import PartEncoder
from daemon.formats.gemini.response import encode_usage, finish_reason_for
from daemon.formats.gemini.signatures import native_signature, thought_signature_of
from daemon.formats.sse import encode_event
from daemon.model import (
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


@dataclass(slots=True)
class _Block:
    header: TextPart | ThinkingPart | ToolCallPart
    pieces: list[str] = field(default_factory=list)  # call arguments / thinking text
    signature: Signature | None = None


class GeminiStreamEncoder:
    __slots__ = (
        "_blocks",
        "_closed",
        "_finished",
        "_has_calls",
        "_id",
        "_model",
        "_parts",
        "_sent",
        "_sse",
        "_usage",
    )

    def __init__(self, request: Request, sse: bool = True) -> None:
        self._sse = sse
        self._id = ""
        self._model = request.model
        self._blocks: dict[int, _Block] = {}
        self._parts = PartEncoder(request=False, pass_extra=False)
        self._usage: Usage | None = None
        self._has_calls = False
        self._sent = 0  # chunks written
        self._finished = False  # the finishReason chunk is out
        self._closed = False  # nothing more may be written

    def feed(self, event: StreamEvent) -> bytes:
        if self._closed:
            return b""
        if isinstance(event, TextDelta):
            return self._emit([{"text": event.text}]) if event.text else b""
        if isinstance(event, ThinkingDelta):
            block = self._blocks.get(event.index)
            if block is not None:
                block.pieces.append(event.text)
            return self._emit([{"text": event.text, "thought": True}]) if event.text else b""
        if isinstance(event, ToolArgumentsDelta):
            block = self._blocks.get(event.index)
            if block is not None:
                block.pieces.append(event.fragment)
            return b""
        if isinstance(event, BlockStart):
            return self._start(event)
        if isinstance(event, SignatureDelta):
            block = self._blocks.get(event.index)
            if block is not None:
                block.signature = event.signature
            return b""
        if isinstance(event, BlockStop):
            block = self._blocks.pop(event.index, None)
            part = None if block is None else self._finish_block(block, event.index)
            return self._emit([part]) if part is not None else b""
        if isinstance(event, UsageUpdate):
            self._usage = event.usage
            return b""
        if isinstance(event, MessageStart):
            self._id, self._model = event.id, event.model or self._model
            return b""
        if isinstance(event, MessageStop):
            return self._stop(event)
        return self._error(event)

    def close(self) -> bytes:
        if self._closed:
            return b""
        out = self._emit(self._flush()) if self._blocks else b""
        self._closed = True
        if not self._sse:
            out += b"]" if self._sent else b"[]"
        return out

    # ------------------------------------------------------------------ internals

    def _start(self, event: BlockStart) -> bytes:
        part = event.part
        block = _Block(part, signature=part.signature)
        self._blocks[event.index] = block
        if isinstance(part, ToolCallPart):
            self._has_calls = True
            if part.arguments:
                block.pieces.append(part.arguments)
            return b""
        if not part.text:
            return b""
        if isinstance(part, ThinkingPart):
            block.pieces.append(part.text)
            return self._emit([{"text": part.text, "thought": True}])
        return self._emit([{"text": part.text}])

    def _finish_block(self, block: _Block, index: int) -> dict[str, Any] | None:
        header = block.header
        if isinstance(header, ToolCallPart):
            call = ToolCallPart(
                id=header.id,
                name=header.name,
                arguments="".join(block.pieces),
                signature=block.signature,
            )
            return self._parts.encode(call, f"block[{index}]")
        if block.signature is None:
            return None
        if isinstance(header, ThinkingPart):
            thinking = ThinkingPart(
                text="".join(block.pieces),
                signature=block.signature,
                redacted=header.redacted,
                id=header.id,
                extra=header.extra,
            )
            return {"text": "", "thought": True, "thoughtSignature": thought_signature_of(thinking)}
        value = native_signature(block.signature, f"block[{index}]")
        return None if value is None else {"text": "", "thoughtSignature": value}

    def _flush(self) -> list[dict[str, Any]]:
        """Parts of blocks never stopped (robustness: the events should have stopped them)."""
        parts: list[dict[str, Any]] = []
        for index, block in sorted(self._blocks.items()):
            part = self._finish_block(block, index)
            if part is not None:
                parts.append(part)
        self._blocks.clear()
        return parts

    def _stop(self, event: MessageStop) -> bytes:
        if self._finished:
            return b""
        self._finished = True
        usage = event.usage or self._usage or Usage()
        candidate: dict[str, Any] = {}
        parts = self._flush()
        if parts:
            candidate["content"] = {"role": "model", "parts": parts}
        candidate["finishReason"] = finish_reason_for(event.stop_reason, None, self._has_calls)
        return self._frame(self._envelope(candidate, usage))

    def _error(self, event: StreamError) -> bytes:
        self._blocks.clear()
        out = self._frame(encode_error(event.error))
        self._closed = True
        if not self._sse:
            out += b"]"
        return out

    def _emit(self, parts: list[dict[str, Any]]) -> bytes:
        if self._finished or not parts:
            return b""
        return self._frame(self._envelope({"content": {"role": "model", "parts": parts}}, None))

    def _envelope(self, candidate: dict[str, Any], usage: Usage | None) -> dict[str, Any]:
        body: dict[str, Any] = {"candidates": [candidate]}
        if usage is not None:
            body["usageMetadata"] = encode_usage(usage)
        if self._model:
            body["modelVersion"] = self._model
        if self._id:
            body["responseId"] = self._id
        return body

    def _frame(self, body: dict[str, Any]) -> bytes:
        data = orjson.dumps(body)
        self._sent += 1
        if self._sse:
            return encode_event(data.decode())
        return (b"[" if self._sent == 1 else b",\r\n") + data
