"""Canonical parts → Gemini `Part` objects, shared by requests, responses and streams."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import orjson

from daemon.formats import policy
from daemon.formats.gemini._wire import is_invented
from daemon.formats.gemini.signatures import native_signature, ride_plan, thought_signature_of, wrap
from daemon.model import (
    ImagePart,
    Part,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolResultPart,
    WireFormat,
    wire_fields,
)

GEMINI = WireFormat.GEMINI
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

    def encode_turn(self, parts: Sequence[Part], where: str) -> list[dict[str, Any]]:
        """The parts of one model turn for a Gemini client: foreign signed thinking rides on a
        later part of the turn (signatures.py); its own thought part shows only its text."""
        plan = ride_plan(parts)
        riding = {j for carried in plan.values() for j in carried}
        out: list[dict[str, Any]] = []
        for i, part in enumerate(parts):
            if i in riding and isinstance(part, ThinkingPart):
                encoded = self._thinking(replace(part, signature=None), f"{where}[{i}]")
            else:
                encoded = self.encode(part, f"{where}[{i}]")
            if encoded is None:
                continue
            if i in plan:
                carried = [p for j in plan[i] if isinstance(p := parts[j], ThinkingPart)]
                encoded["thoughtSignature"] = wrap(carried)
            out.append(encoded)
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
