"""Gemini `Part` objects ⇄ canonical parts, shared by requests, responses and streams.

Decoding
- `text` → TextPart; `{text, thought: true}` → ThinkingPart; image `inlineData` / `fileData` →
  ImagePart; `functionCall` → ToolCallPart (args as JSON text; a stable invented id when Gemini
  sent none); `functionResponse` → ToolResultPart (paired by id, else by name and order with the
  calls of the last model turn).
- `thoughtSignature` on a text / thought / function-call part becomes that part's Signature.
  A foreign signed thinking part packed by `opaque_for` travels base64-wrapped (Gemini and the
  google-genai SDK require `thoughtSignature` to be base64; the packed form contains a dot).
- Parts the model cannot carry (non-image media, executableCode, codeExecutionResult, …) are
  *opaque*: `decode` returns None and the caller keeps the raw part by position in `extra`.
Unknown keys of a part land in the canonical part's `extra`; unknown keys of the inner object
(`functionCall`, `inlineData`, …) under `extra["_inner"]`.
"""

from __future__ import annotations

from typing import Any

import orjson

from daemon.formats import policy
from daemon.formats.gemini._wire import (
    Fail,
    as_dict,
    as_str,
    invent_call_id,
    is_invented,
    split,
)
from daemon.formats.gemini.signatures import (
    native_signature,
    thinking_from_signature,
    thought_signature_of,
)
from daemon.model import (
    ImagePart,
    Part,
    Signature,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolResultPart,
    WireFormat,
    wire_fields,
)

GEMINI = WireFormat.GEMINI
_PART_KEYS = frozenset(
    {"text", "thought", "thoughtSignature", "inlineData", "fileData", "functionCall"}
    | {"functionResponse"}
)
_CALL_KEYS = frozenset({"name", "args", "id"})
_RESULT_KEYS = frozenset({"name", "response", "id"})
_INLINE_KEYS = frozenset({"mimeType", "data"})
_FILE_KEYS = frozenset({"mimeType", "fileUri"})
_MEDIA_OF_SUFFIX = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".heif": "image/heif",
}


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


def response_from_result(part: ToolResultPart, where: str) -> dict[str, Any]:
    """The inverse of `result_from_response`: Gemini wants an object."""
    texts: list[str] = []
    for item in part.content:
        if isinstance(item, TextPart):
            texts.append(item.text)
        else:
            policy.drop(f"{where}.content (image)", GEMINI, "function responses carry no images")
    text = "".join(texts)
    if part.is_error:
        return {"error": text}
    if text.lstrip().startswith("{"):
        try:
            parsed = orjson.loads(text)
        except orjson.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict):
            return parsed
    return {"result": text}


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
        if "thought" in found and found["thought"] is not True:
            extra["thought"] = found.pop("thought")
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
    """Finish a decoded part list: drop the unsigned thought text that a stream already showed
    before a packed foreign thinking part (the packed part carries that text itself)."""
    out: list[Part] = []
    for part in parts:
        if (
            isinstance(part, ThinkingPart)
            and part.signature is not None
            and part.signature.format != GEMINI
            and part.text
        ):
            start, joined = len(out), ""
            while start > 0:
                prev = out[start - 1]
                if not (isinstance(prev, ThinkingPart) and prev.signature is None):
                    break
                start -= 1
                joined = prev.text + joined
                if joined == part.text:
                    del out[start:]
                    break
        out.append(part)
    return out


# --------------------------------------------------------------------------- encoding


class PartEncoder:
    """Encodes canonical parts as Gemini parts; remembers call names for later results."""

    __slots__ = ("names", "pass_extra", "request")

    def __init__(self, *, request: bool, pass_extra: bool) -> None:
        self.request = request  # encoding a request for Gemini (foreign reasoning is dropped)
        self.pass_extra = pass_extra  # write `extra` back (same-format pass-through)
        self.names: dict[str, str] = {}

    def encode(self, part: Part, where: str) -> dict[str, Any] | None:
        out: dict[str, Any]
        if isinstance(part, TextPart):
            out = {"text": part.text}
            sig = native_signature(part.signature, where)
        elif isinstance(part, ThinkingPart):
            return self._thinking(part, where)
        elif isinstance(part, ToolCallPart):
            call: dict[str, Any] = {"name": part.name}
            if part.arguments.strip():
                call["args"] = self._args(part, where)
            if not is_invented(part.id):
                call["id"] = part.id
            self.names[part.id] = part.name
            self._inner(call, part.extra)
            out = {"functionCall": call}
            sig = native_signature(part.signature, where)
        elif isinstance(part, ToolResultPart):
            name = part.name or self.names.get(part.call_id)
            if name is None:
                raise policy.reject(
                    f"{where}.name", GEMINI, f"no function name for tool result {part.call_id!r}"
                )
            result: dict[str, Any] = {"name": name, "response": response_from_result(part, where)}
            if not is_invented(part.call_id):
                result["id"] = part.call_id
            self._inner(result, part.extra)
            out = {"functionResponse": result}
            sig = None
        else:
            out = self._image(part, where)
            sig = None
        if sig is not None:
            out["thoughtSignature"] = sig
        if self.pass_extra:
            for key, value in wire_fields(part.extra).items():
                out.setdefault(key, value)
        return out

    def _thinking(self, part: ThinkingPart, where: str) -> dict[str, Any] | None:
        if part.signature is not None and part.signature.format != GEMINI and self.request:
            policy.drop(where, GEMINI, f"{part.signature.format} reasoning cannot be replayed")
            return None
        sig = thought_signature_of(part)
        if sig is None and not part.text:
            return None
        out: dict[str, Any] = {"text": part.text}
        out["thought"] = True
        if sig is not None:
            out["thoughtSignature"] = sig
        if self.pass_extra:
            for key, value in wire_fields(part.extra).items():
                out.setdefault(key, value)
        return out

    def _args(self, part: ToolCallPart, where: str) -> Any:
        try:
            args = orjson.loads(part.arguments)
        except orjson.JSONDecodeError:
            args = None
        if isinstance(args, dict):
            return args
        policy.drop(f"{where}.arguments", GEMINI, "not a JSON object; sent as {}")
        return {}

    def _image(self, part: ImagePart, where: str) -> dict[str, Any]:
        if part.detail is not None:
            policy.drop(f"{where}.detail", GEMINI, "Gemini has no image detail setting")
        if part.data is not None:
            inline: dict[str, Any] = {"mimeType": part.media_type or "image/png", "data": part.data}
            self._inner(inline, part.extra)
            return {"inlineData": inline}
        url = part.url or ""
        if url.startswith("data:"):
            head, _, data = url[5:].partition(",")
            media_type, _, encoding = head.partition(";")
            if encoding != "base64":
                raise policy.reject(f"{where}.url", GEMINI, "a data: URL must be base64")
            return {"inlineData": {"mimeType": media_type or "image/png", "data": data}}
        if not url:
            raise policy.reject(where, GEMINI, "an image needs data or a URL")
        file: dict[str, Any] = {"mimeType": part.media_type or _media_type_of(url), "fileUri": url}
        self._inner(file, part.extra)
        return {"fileData": file}

    def _inner(self, obj: dict[str, Any], extra: dict[str, Any]) -> None:
        inner = extra.get("_inner")
        if self.pass_extra and isinstance(inner, dict):
            for key, value in inner.items():
                obj.setdefault(key, value)


def _media_type_of(url: str) -> str:
    """Gemini's fileData needs a mimeType; guess it from the URL's suffix (JPEG if unknown)."""
    path = url.split("?", 1)[0].split("#", 1)[0].lower()
    for suffix, media_type in _MEDIA_OF_SUFFIX.items():
        if path.endswith(suffix):
            return media_type
    return "image/jpeg"
