"""Canonical stream events → a Gemini stream.

With `sse=True` every chunk is one SSE event (`data: <GenerateContentResponse>`), as with
`alt=sse`; with `sse=False` the chunks form ONE JSON array written incrementally (`[` before
the first, `,` between, `]` at close), as Gemini streams without alt=sse.

Text and thought deltas go out as they come. A function call goes out whole when its block
stops (only that call's arguments are accumulated). Gemini signatures go out when their block
stops: on a `{"text": "", "thoughtSignature"}` part for text, on a thought part for thinking.
Another format's signed thinking is packed (signatures.py) so that a Gemini client can hand it
back, and rides where Gemini puts its own signatures, as clients drop thought parts from their
history: on the next function call of the turn, which is written whole at its block stop; with
no call, on the turn's final text chunk, so while such a signature waits, the latest text delta
is held back until the next output shows whether it was the last (a text chunk can carry a
signature; an empty one could not, Gemini CLI drops it). With neither after it, it goes out on a
thought part at the end. The thinking's text is shown on thought parts as it streams. The last
chunk carries finishReason and usageMetadata; a StreamError becomes `{"error": {...}}` and ends
the stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from daemon.formats.gemini.errors import encode_error
from daemon.formats.gemini.part_encode import PartEncoder
from daemon.formats.gemini.response import encode_usage, finish_reason_for
from daemon.formats.gemini.signatures import (
    is_foreign,
    native_signature,
    thought_signature_of,
    wrap,
)
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
        "_held",
        "_id",
        "_model",
        "_parts",
        "_riders",
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
        self._riders: list[ThinkingPart] = []  # foreign signed thinking waiting for a carrier
        self._held: dict[str, Any] | None = None  # latest text part, while riders wait
        self._sent = 0  # chunks written
        self._finished = False  # the finishReason chunk is out
        self._closed = False  # nothing more may be written

    def feed(self, event: StreamEvent) -> bytes:
        if self._closed:
            return b""
        if isinstance(event, TextDelta):
            return self._text(event.text)
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
        out = self._emit(self._drain())
        self._closed = True
        if not self._sse:
            out += b"]" if self._sent else b"[]"
        return out

    # ------------------------------------------------------------------ internals

    def _start(self, event: BlockStart) -> bytes:
        part = event.part
        block = _Block(part, signature=part.signature)
        self._blocks[event.index] = block
        if isinstance(part, TextPart):
            return self._text(part.text)
        out = self._release()  # what follows a held text chunk shows it was not the last
        if isinstance(part, ToolCallPart):
            self._has_calls = True
            if part.arguments:
                block.pieces.append(part.arguments)
            return out
        if part.text:
            block.pieces.append(part.text)
            out += self._emit([{"text": part.text, "thought": True}])
        return out

    def _text(self, text: str) -> bytes:
        if not text:
            return b""
        if not self._riders:
            return self._emit([{"text": text}])
        out = self._release()
        self._held = {"text": text}
        return out

    def _finish_block(self, block: _Block, index: int) -> dict[str, Any] | None:
        header = block.header
        if isinstance(header, ToolCallPart):
            call = ToolCallPart(
                id=header.id,
                name=header.name,
                arguments="".join(block.pieces),
                signature=block.signature,
            )
            part = self._parts.encode(call, f"block[{index}]")
            if part is not None and self._riders and "thoughtSignature" not in part:
                part["thoughtSignature"], self._riders = wrap(self._riders), []
            return part
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
            if is_foreign(thinking):  # rides on a later part (its text is out already)
                self._riders.append(thinking)
                return None
            return {"text": "", "thought": True, "thoughtSignature": thought_signature_of(thinking)}
        value = native_signature(block.signature, f"block[{index}]")
        return None if value is None else {"text": "", "thoughtSignature": value}

    def _drain(self) -> list[dict[str, Any]]:
        """The parts still to go at the end of the turn: the held text chunk (carrying the
        waiting signatures, if it was the last output), blocks never stopped (robustness: the
        events should have stopped them), then signatures left without a carrier."""
        parts: list[dict[str, Any]] = []
        held, self._held = self._held, None
        if held is not None:
            if self._riders and all(isinstance(b.header, TextPart) for b in self._blocks.values()):
                held["thoughtSignature"], self._riders = wrap(self._riders), []
            parts.append(held)
        for index, block in sorted(self._blocks.items()):
            part = self._finish_block(block, index)
            if part is not None:
                parts.append(part)
        self._blocks.clear()
        for thinking in self._riders:
            parts.append(
                {"text": "", "thought": True, "thoughtSignature": thought_signature_of(thinking)}
            )
        self._riders = []
        return parts

    def _stop(self, event: MessageStop) -> bytes:
        if self._finished:
            return b""
        self._finished = True
        usage = event.usage or self._usage or Usage()
        candidate: dict[str, Any] = {}
        parts = self._drain()
        if parts:
            candidate["content"] = {"role": "model", "parts": parts}
        candidate["finishReason"] = finish_reason_for(event.stop_reason, None, self._has_calls)
        return self._frame(self._envelope(candidate, usage))

    def _error(self, event: StreamError) -> bytes:
        self._blocks.clear()
        self._riders = []
        out = self._release()
        out += self._frame(encode_error(event.error))
        self._closed = True
        if not self._sse:
            out += b"]"
        return out

    def _emit(self, parts: list[dict[str, Any]]) -> bytes:
        if self._finished or not parts:
            return b""
        out = self._release()
        return out + self._frame(
            self._envelope({"content": {"role": "model", "parts": parts}}, None)
        )

    def _release(self) -> bytes:
        """Write the held text chunk as it is: more output follows it."""
        held, self._held = self._held, None
        if held is None or self._finished:
            return b""
        return self._frame(self._envelope({"content": {"role": "model", "parts": [held]}}, None))

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
