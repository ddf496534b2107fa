"""Anthropic content blocks ⇄ canonical parts, shared by requests, responses and streams.

Private markers in `extra` (keys starting with "_" are never written to the wire):
- `_anthropic_string`: a message (or `system`) whose content was a bare string.
- `_anthropic_content`: a tool_result's content form, "string" or "blocks" (absent: omitted).
- `_anthropic_block`: a block the model has no part for (document, server-tool blocks, search
  results, unknown types). It rides on an empty `TextPart` (a text `document` also fills
  `text`, so other formats still see its contents) and is written back only in this format.
  Such blocks of a request (a text document excepted) are listed in `Request.same_format_only`
  (see `same_format_only_paths`), so the request is not sent to another format without them.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from daemon.errors import InvalidRequest
from daemon.formats import policy
from daemon.formats.reasoning import opaque_for, split_carriers, thinking_from_opaque
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

FMT = WireFormat.ANTHROPIC
STRING_FORM = "_anthropic_string"
INLINE_SYSTEM = "_anthropic_inline_system"  # a system message inside `messages`
CONTENT_FORM = "_anthropic_content"
RAW_BLOCK = "_anthropic_block"

# --------------------------------------------------------------------------- small helpers


def req_str(obj: dict[str, Any], key: str, path: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise InvalidRequest(f"{path}.{key} must be a string", param=f"{path}.{key}")
    return value


def opt_str(obj: dict[str, Any], key: str, path: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidRequest(f"{path}.{key} must be a string", param=f"{path}.{key}")
    return value


def req_dict(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidRequest(f"{path} must be an object", param=path)
    return value


def req_list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidRequest(f"{path} must be an array", param=path)
    return value


def dump_json(value: Any) -> str:
    """Compact JSON text; the stdlib covers what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def rest(obj: dict[str, Any], known: tuple[str, ...]) -> dict[str, Any]:
    """The fields of `obj` the model does not carry."""
    return {k: v for k, v in obj.items() if k not in known}


def put_extra(out: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Write extras back: keys not set by the encoder, nested objects merged under ours."""
    for key, value in wire_fields(extra).items():
        current = out.get(key)
        if key not in out:
            out[key] = value
        elif isinstance(current, dict) and isinstance(value, dict):
            out[key] = {**value, **current}
    return out


# --------------------------------------------------------------------------- decoding


def same_format_only_paths(content: Any, path: str) -> list[str]:
    """The blocks of a message's `content` that decode to a raw `_anthropic_block` (only an
    Anthropic upstream understands them), tool_result contents included."""
    found: list[str] = []
    if not isinstance(content, list):
        return found
    for i, block in enumerate(content):
        where = f"{path}.content[{i}]"
        if not isinstance(block, dict):
            continue
        btype = block.get("type")
        if btype == "tool_result":
            found.extend(same_format_only_paths(block.get("content"), where))
        elif btype not in ("text", "tool_use", "thinking", "redacted_thinking"):
            if btype == "image" or btype == "document":
                part = decode_text_or_image(block, where)
                if RAW_BLOCK not in part.extra or (isinstance(part, TextPart) and part.text):
                    continue  # an image we model, or a text document whose text is carried
            found.append(f"{where} ({btype})")
    return found


def decode_text_or_image(block: dict[str, Any], path: str) -> TextPart | ImagePart:
    """A block that may sit in a user turn or a tool_result's content."""
    btype = block.get("type")
    if btype == "text":
        return TextPart(text=req_str(block, "text", path), extra=rest(block, ("type", "text")))
    if btype == "image":
        source = req_dict(block.get("source"), f"{path}.source")
        extra = rest(block, ("type", "source"))
        stype = source.get("type")
        if stype == "base64" and set(source) <= {"type", "media_type", "data"}:
            return ImagePart(
                media_type=req_str(source, "media_type", f"{path}.source"),
                data=req_str(source, "data", f"{path}.source"),
                extra=extra,
            )
        if stype == "url" and set(source) <= {"type", "url"}:
            return ImagePart(url=req_str(source, "url", f"{path}.source"), extra=extra)
    if not isinstance(btype, str):
        raise InvalidRequest(f"{path}.type must be a string", param=f"{path}.type")
    text = ""
    doc = block.get("source")
    if btype == "document" and isinstance(doc, dict) and doc.get("type") == "text":
        text = str(doc.get("data") or "")
    return TextPart(text=text, extra={RAW_BLOCK: block})


def decode_block(block: Any, path: str) -> Part:
    """One content block of a message (either role) or of a response."""
    block = req_dict(block, path)
    btype = block.get("type")
    if btype == "tool_use":
        raw_input = block.get("input", {})
        if not isinstance(raw_input, dict):
            raise InvalidRequest(f"{path}.input must be an object", param=f"{path}.input")
        return ToolCallPart(
            id=req_str(block, "id", path),
            name=req_str(block, "name", path),
            arguments=dump_json(raw_input),
            extra=rest(block, ("type", "id", "name", "input")),
        )
    if btype == "tool_result":
        return decode_tool_result(block, path)
    if btype == "thinking":
        text = req_str(block, "thinking", path)
        signature = opt_str(block, "signature", path)
        extra = rest(block, ("type", "thinking", "signature"))
        if not signature:
            if signature is not None:
                extra["signature"] = signature
            return ThinkingPart(text=text, extra=extra)
        part = thinking_from_opaque(signature, FMT, text=text)
        if not part.extra:
            part.extra = extra
        return part
    if btype == "redacted_thinking":
        part = thinking_from_opaque(req_str(block, "data", path), FMT, redacted=True)
        if not part.extra:
            part.extra = rest(block, ("type", "data"))
        return part
    return decode_text_or_image(block, path)


def decode_tool_result(block: dict[str, Any], path: str) -> ToolResultPart:
    is_error = block.get("is_error")
    if is_error is not None and not isinstance(is_error, bool):
        raise InvalidRequest(f"{path}.is_error must be a boolean", param=f"{path}.is_error")
    extra = rest(block, ("type", "tool_use_id", "content", "is_error"))
    if is_error is False:
        extra["is_error"] = False  # stated explicitly; kept for the round trip
    content: list[TextPart | ImagePart] = []
    raw = block.get("content")
    if isinstance(raw, str):
        content = [TextPart(text=raw)]
        extra[CONTENT_FORM] = "string"
    elif isinstance(raw, list):
        extra[CONTENT_FORM] = "blocks"
        content = [
            decode_text_or_image(req_dict(b, f"{path}.content[{i}]"), f"{path}.content[{i}]")
            for i, b in enumerate(raw)
        ]
    elif raw is not None:
        raise InvalidRequest(
            f"{path}.content must be a string or an array", param=f"{path}.content"
        )
    return ToolResultPart(
        call_id=req_str(block, "tool_use_id", path),
        content=content,
        is_error=bool(is_error),
        extra=extra,
    )


# --------------------------------------------------------------------------- encoding


class PartEncoder:
    """Encodes canonical parts as Anthropic blocks.

    `native`: extras of parts are written back (a same-format request, or any response).
    `for_client`: the blocks go to a client, who will send them back later — foreign signed
    reasoning is packed into `signature`; towards an upstream it is dropped, since only its
    issuer can verify it.
    """

    __slots__ = ("for_client", "native", "target")

    def __init__(self, *, native: bool, for_client: bool) -> None:
        self.native = native
        self.for_client = for_client
        self.target = FMT

    def text(self, part: TextPart) -> dict[str, Any] | None:
        raw = part.extra.get(RAW_BLOCK)
        if raw is not None and self.native:
            return dict(raw)
        if part.signature is not None and not self.for_client:
            policy.drop("text signature", FMT, "Anthropic cannot sign text blocks")
        if not part.text.strip() and not self.native:
            policy.drop("empty text block", FMT, "Anthropic rejects empty text blocks")
            return None
        out: dict[str, Any] = {"type": "text", "text": part.text}
        return put_extra(out, part.extra) if self.native else out

    def image(self, part: ImagePart) -> dict[str, Any]:
        source: dict[str, Any]
        if part.data is not None:
            if not part.media_type:
                raise policy.reject("image.media_type", FMT, "base64 images need a media type")
            source = {"type": "base64", "media_type": part.media_type, "data": part.data}
        elif part.url and part.url.startswith("data:"):
            head, _, data = part.url.partition(",")
            media_type = head[5:].split(";")[0] or "image/png"
            if ";base64" not in head:
                raise policy.reject("image.url", FMT, "data URLs must be base64-encoded")
            source = {"type": "base64", "media_type": media_type, "data": data}
        elif part.url:
            source = {"type": "url", "url": part.url}
        else:
            raise policy.reject("image", FMT, "an image needs inline data or a URL")
        if part.detail is not None:
            policy.drop("image.detail", FMT, "Anthropic has no image detail setting")
        out: dict[str, Any] = {"type": "image", "source": source}
        return put_extra(out, part.extra) if self.native else out

    def tool_call(self, part: ToolCallPart) -> dict[str, Any]:
        if part.signature is not None and not self.for_client:
            policy.drop("tool call signature", FMT, "only its issuer can verify it")
        try:
            args = orjson.loads(part.arguments) if part.arguments.strip() else {}
        except orjson.JSONDecodeError:
            args = None
        if not isinstance(args, dict):
            policy.drop("tool call arguments", FMT, "not a JSON object; sent as {}")
            args = {}
        out: dict[str, Any] = {"type": "tool_use", "id": part.id, "name": part.name, "input": args}
        return put_extra(out, part.extra) if self.native else out

    def thinking(self, part: ThinkingPart) -> dict[str, Any] | None:
        sig = part.signature
        if sig is None:
            if not (self.native or self.for_client):
                policy.drop("unsigned reasoning", FMT, "Anthropic only replays signed thinking")
                return None
            out: dict[str, Any] = {"type": "thinking", "thinking": part.text}
            if self.for_client:
                out["signature"] = ""
            return put_extra(out, part.extra) if self.native else out
        if sig.format != FMT and not self.for_client:
            policy.drop("foreign reasoning signature", FMT, f"issued by {sig.format}")
            return None
        opaque = opaque_for(part, FMT)
        if part.redacted and sig.format == FMT:
            out = {"type": "redacted_thinking", "data": opaque}
        else:
            out = {"type": "thinking", "thinking": part.text, "signature": opaque}
        return put_extra(out, part.extra) if self.native else out

    def tool_result(self, part: ToolResultPart) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "tool_result", "tool_use_id": part.call_id}
        blocks = [b for b in (self.content_part(p) for p in part.content) if b is not None]
        form = part.extra.get(CONTENT_FORM) if self.native else None
        if form is None:
            form = "blocks" if blocks else None
            if not self.native and len(blocks) == 1 and _plain_text(blocks[0]):
                form = "string"
        if form == "string" and all(_plain_text(b) for b in blocks):
            out["content"] = "".join(b["text"] for b in blocks)
        elif form is not None:
            out["content"] = blocks
        if part.is_error:
            out["is_error"] = True
        return put_extra(out, part.extra) if self.native else out

    def content_part(self, part: TextPart | ImagePart) -> dict[str, Any] | None:
        return self.text(part) if isinstance(part, TextPart) else self.image(part)

    def assistant(self, parts: list[Part]) -> list[dict[str, Any]]:
        """The blocks of an assistant turn (or a response's content)."""
        if self.for_client:
            parts = split_carriers(parts)
        blocks: list[dict[str, Any]] = []
        for part in parts:
            block: dict[str, Any] | None
            if isinstance(part, TextPart):
                block = self.text(part)
            elif isinstance(part, ThinkingPart):
                block = self.thinking(part)
            elif isinstance(part, ToolCallPart):
                block = self.tool_call(part)
            elif isinstance(part, ImagePart):
                policy.drop("assistant image", FMT, "assistant turns cannot hold images")
                block = None
            else:
                policy.drop("assistant tool result", FMT, "tool results belong to user turns")
                block = None
            if block is not None:
                blocks.append(block)
        return blocks


def _plain_text(block: dict[str, Any]) -> bool:
    return block.get("type") == "text" and set(block) == {"type", "text"}
