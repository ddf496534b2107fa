"""Gemini `Part` objects → canonical parts, shared by requests, responses and streams.

Decoding
- `text` → TextPart; `{text, thought: true}` → ThinkingPart; image `inlineData` / `fileData` →
  ImagePart; `functionCall` → ToolCallPart (args as JSON text; a stable invented id when Gemini
  sent none); `functionResponse` → ToolResultPart (paired by id, else by name and order with the
  calls of the last model turn).
- `thoughtSignature` on a text / thought / function-call part becomes that part's Signature,
  unless it holds foreign signed thinking packed by this codec (signatures.py): on a text or
  function-call part, that thinking rode on the part and is put back ahead of it (`settle`),
  the part itself staying unsigned; on a thought part (older histories, or nothing to ride on),
  the thought part is that thinking. The skip value (`SKIP_SIGNATURE`) signs nothing: it is kept
  in `extra` only, so that a Gemini upstream gets it back.
- Parts the model cannot carry (non-image media, executableCode, codeExecutionResult, …) are
  *opaque*: `decode` returns None and the caller keeps the raw part by position in `extra`.
Unknown keys of a part land in the canonical part's `extra`; unknown keys of the inner object
(`functionCall`, `inlineData`, …) under `extra["_inner"]`.
"""

from __future__ import annotations

from typing import Any

import orjson

from daemon.formats.gemini._wire import (
    SKIP_SIGNATURE,
    Fail,
    as_dict,
    as_str,
    invent_call_id,
    split,
)
from daemon.formats.gemini.signatures import is_foreign, packed_thinking, thinking_from_signature
from daemon.model import (
    ImagePart,
    Part,
    Signature,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolResultPart,
    WireFormat,
)

GEMINI = WireFormat.GEMINI
# Part.extra key (private) of the foreign thinking that rode on a decoded text / call part;
# `settle` (or the stream decoder) takes it off and puts the thinking back.
RIDERS = "_gemini_riders"
_PART_KEYS = frozenset(
    {"text", "thought", "thoughtSignature", "inlineData", "fileData", "functionCall"}
    | {"functionResponse"}
)
_CALL_KEYS = frozenset({"name", "args", "id"})
_RESULT_KEYS = frozenset({"name", "response", "id"})
_INLINE_KEYS = frozenset({"mimeType", "data"})
_FILE_KEYS = frozenset({"mimeType", "fileUri"})


# --------------------------------------------------------------------------- tool results


def result_from_response(response: dict[str, Any]) -> tuple[list[TextPart | ImagePart], bool]:
    """functionResponse.response → (content, is_error). `{"result": text}` and
    `{"error": text}` unwrap to their text; any other object becomes its JSON text."""
    if len(response) == 1:
        ((key, value),) = response.items()
        if key == "error" and isinstance(value, str):
            return [TextPart(value)], True
        if key == "result" and isinstance(value, str) and not value.lstrip().startswith("{"):
            return [TextPart(value)], False
    return [TextPart(orjson.dumps(response).decode())], False


# --------------------------------------------------------------------------- decoding


class PartDecoder:
    """Decodes the parts of one conversation (or one response), keeping call-id state."""

    __slots__ = ("_calls", "_fail", "_pending", "_seed", "names")

    def __init__(self, seed: str, fail: Fail) -> None:
        self._seed = seed
        self._fail = fail
        self._calls = 0
        self._pending: list[tuple[str, str]] = []  # calls of the last model turn, unanswered
        self.names: dict[str, str] = {}

    def model_turn(self) -> None:
        """A new model content begins: results pair with its calls only."""
        self._pending = []

    def decode(self, raw: Any, where: str) -> Part | None:
        """One canonical part, or None for a part only Gemini can express (keep it raw)."""
        obj = as_dict(raw, where, self._fail)
        found, extra = split(obj, _PART_KEYS)
        signature = found.get("thoughtSignature")
        if signature is not None:
            signature = as_str(signature, f"{where}.thoughtSignature", self._fail)
            if signature == SKIP_SIGNATURE:  # no signature; echoed to Gemini only
                extra["thoughtSignature"], signature = signature, None
        if "thought" in found and found["thought"] is not True:
            extra["thought"] = found.pop("thought")
        riders = None
        carrier = "functionCall" in found or ("text" in found and found.get("thought") is not True)
        if signature is not None and carrier:
            riders = packed_thinking(signature)
            if riders is not None:
                # foreign thinking rode on this part (signatures.py); the part is unsigned
                extra[RIDERS] = riders
                if "functionCall" in found:  # a Gemini upstream wants a call signed
                    extra["thoughtSignature"] = SKIP_SIGNATURE
                signature = None
        if "functionCall" in found:
            return self._call(found["functionCall"], signature, extra, where)
        if "functionResponse" in found:
            return self._result(found["functionResponse"], signature, extra, where)
        if "text" in found:
            text = as_str(found["text"], f"{where}.text", self._fail)
            if found.get("thought") is True:
                thinking = thinking_from_signature(signature, text)
                if extra:
                    thinking.extra.update(extra)
                return thinking
            sig = Signature(GEMINI, signature) if signature is not None else None
            return TextPart(text=text, signature=sig, extra=extra)
        if "inlineData" in found or "fileData" in found:
            return self._media(found, signature, extra, where)
        return None

    def _call(
        self, raw: Any, signature: str | None, extra: dict[str, Any], where: str
    ) -> ToolCallPart:
        call, inner = split(as_dict(raw, f"{where}.functionCall", self._fail), _CALL_KEYS)
        name = as_str(call.get("name"), f"{where}.functionCall.name", self._fail)
        args = call.get("args")
        arguments = "" if args is None else orjson.dumps(args).decode()
        if args is not None and not isinstance(args, dict):
            raise self._fail(f"{where}.functionCall.args must be an object")
        call_id = call.get("id")
        if call_id is None or call_id == "":
            call_id = invent_call_id(self._seed, self._calls, name)
        call_id = as_str(call_id, f"{where}.functionCall.id", self._fail)
        self._calls += 1
        self._pending.append((call_id, name))
        self.names[call_id] = name
        if inner:
            extra["_inner"] = inner
        sig = Signature(GEMINI, signature) if signature is not None else None
        return ToolCallPart(id=call_id, name=name, arguments=arguments, signature=sig, extra=extra)

    def _result(
        self, raw: Any, signature: str | None, extra: dict[str, Any], where: str
    ) -> ToolResultPart:
        result, inner = split(as_dict(raw, f"{where}.functionResponse", self._fail), _RESULT_KEYS)
        name = result.get("name")
        if name is not None:
            name = as_str(name, f"{where}.functionResponse.name", self._fail)
        call_id = result.get("id")
        if call_id is not None and call_id != "":
            call_id = as_str(call_id, f"{where}.functionResponse.id", self._fail)
            self._pending = [p for p in self._pending if p[0] != call_id]
        else:
            call_id = self._pair(name)
        response = as_dict(
            result.get("response", {}), f"{where}.functionResponse.response", self._fail
        )
        content, is_error = result_from_response(response)
        if signature is not None:
            extra["thoughtSignature"] = signature
        if inner:
            extra["_inner"] = inner
        return ToolResultPart(
            call_id=call_id,
            content=content,
            is_error=is_error,
            name=name if name is not None else self.names.get(call_id),
            extra=extra,
        )

    def _pair(self, name: str | None) -> str:
        for i, (call_id, call_name) in enumerate(self._pending):
            if name is None or call_name == name:
                del self._pending[i]
                return call_id
        if self._pending:
            return self._pending.pop(0)[0]
        self._calls += 1
        return invent_call_id(self._seed, self._calls - 1, name or "")

    def _media(
        self, found: dict[str, Any], signature: str | None, extra: dict[str, Any], where: str
    ) -> ImagePart | None:
        if signature is not None:
            extra["thoughtSignature"] = signature
        if "inlineData" in found:
            data, inner = split(
                as_dict(found["inlineData"], f"{where}.inlineData", self._fail), _INLINE_KEYS
            )
            mime = data.get("mimeType")
            if not (isinstance(mime, str) and mime.startswith("image/")):
                return None
            image = ImagePart(
                media_type=mime,
                data=as_str(data.get("data"), f"{where}.inlineData.data", self._fail),
            )
        else:
            data, inner = split(
                as_dict(found["fileData"], f"{where}.fileData", self._fail), _FILE_KEYS
            )
            mime = data.get("mimeType")
            if not (isinstance(mime, str) and mime.startswith("image/")):
                return None
            image = ImagePart(
                media_type=mime,
                url=as_str(data.get("fileUri"), f"{where}.fileData.fileUri", self._fail),
            )
        if inner:
            extra["_inner"] = inner
        image.extra = extra
        return image


def settle(parts: list[Part]) -> list[Part]:
    """Finish a decoded part list: put back the foreign signed thinking that rode on a text or
    function-call part (`RIDERS`), or on a thought part of its own.

    A client that kept the thought parts shows the thinking's text on unsigned thought parts
    (one, or several streamed pieces): the thinking takes their place, so its text is not
    doubled. A client that dropped them (Gemini CLI) leaves no trace of where it was: it goes
    ahead of its carrier and of the plain text just before it, where the upstream had it (a
    turn's reasoning comes first; Anthropic refuses a tool turn that does not start with it).
    """
    out: list[Part] = []
    for part in parts:
        riders: list[ThinkingPart] = []
        carrier: Part | None = part
        if isinstance(part, TextPart | ToolCallPart):
            riders = part.extra.pop(RIDERS, None) or []
        elif is_foreign(part) and isinstance(part, ThinkingPart):
            riders, carrier = [part], None  # a packed thought part: it is its own place
        at: int | None = None
        for rider in riders:
            shown = _shown_copy(out, rider.text) if rider.text else None
            if shown is not None:
                start, end = shown
                out[start:end] = [rider]
                at = start + 1
                continue
            if at is None:
                at = _ahead_of_text(out) if carrier is not None else len(out)
            out.insert(at, rider)
            at += 1
        if carrier is not None:
            out.append(carrier)
    return out


def _unsigned_thought(part: Part) -> bool:
    return (
        isinstance(part, ThinkingPart)
        and part.signature is None
        and not part.redacted
        and not part.extra.get("carrier")
    )


def _shown_copy(out: list[Part], text: str) -> tuple[int, int] | None:
    """Bounds of the run of unsigned thought parts in `out` whose text is `text`, searched
    back to the previous call or signed thinking (the end of the previous rider's span)."""
    end = len(out)
    while end > 0:
        last = out[end - 1]
        if isinstance(last, ToolCallPart) or (
            isinstance(last, ThinkingPart) and not _unsigned_thought(last)
        ):
            return None
        start, joined = end, ""
        while start > 0 and _unsigned_thought(prev := out[start - 1]):
            assert isinstance(prev, ThinkingPart)
            start -= 1
            joined = prev.text + joined
            if joined == text:
                return start, end
            if not text.endswith(joined):
                break
        end -= 1
    return None


def _ahead_of_text(out: list[Part]) -> int:
    """Where thinking goes when nothing shows its place: before the unsigned text at the end."""
    at = len(out)
    while at > 0 and isinstance(prev := out[at - 1], TextPart) and prev.signature is None:
        at -= 1
    return at
