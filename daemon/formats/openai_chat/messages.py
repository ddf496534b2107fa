"""Chat messages ⇄ canonical messages.

Decoding keeps one canonical message per chat message (tool messages are not merged), so a
same-format round trip restores the list exactly. Encoding splits a canonical message when chat
needs several: each `ToolResultPart` becomes its own `tool` message, placed before any other
content of the same canonical message.

Content shape notes (message `extra[NOTE]["content"]`) record the wire form only when it differs
from what the encoder would choose anyway: one text → a string, no content → null for assistant
turns and "" otherwise, anything else → a list of parts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, cast

from daemon.formats.openai_chat._common import (
    NOTE,
    bad,
    notes_of,
    opt_str,
    unknown,
    want_dict,
    want_list,
    want_str,
    wire_extra,
    with_notes,
)
from daemon.formats.policy import drop, reject
from daemon.model import (
    ImagePart,
    Message,
    Part,
    Role,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolResultPart,
    WireFormat,
)

FMT = WireFormat.OPENAI_CHAT
_DATA_URI = re.compile(r"data:([^;,]+);base64,(.*)", re.DOTALL)
_ROLES: frozenset[str] = frozenset({"system", "developer", "user", "assistant", "tool"})
_BASE_KEYS = frozenset({"role", "content", "name"})
_KNOWN_KEYS: dict[str, frozenset[str]] = {
    "system": _BASE_KEYS,
    "developer": _BASE_KEYS,
    "user": _BASE_KEYS,
    "assistant": _BASE_KEYS | {"tool_calls", "reasoning_content", "refusal"},
    "tool": frozenset({"role", "content", "tool_call_id"}),
}
_NULLABLE = ("name", "tool_calls", "reasoning_content", "refusal")

Content = list[TextPart | ImagePart]


# --------------------------------------------------------------------------- decode


def decode_messages(value: Any) -> list[Message]:
    return [decode_message(raw, i) for i, raw in enumerate(want_list(value, "messages"))]


def decode_message(value: Any, i: int) -> Message:
    field = f"messages[{i}]"
    raw = want_dict(value, field)
    raw_role = raw.get("role")
    if not isinstance(raw_role, str) or raw_role not in _ROLES:
        raise bad(f"{field}.role", "must be one of system, developer, user, assistant, tool")
    role = cast(Role, raw_role)
    known = _KNOWN_KEYS[role]
    notes: dict[str, Any] = {}
    nulls = [k for k in _NULLABLE if k in known and k in raw and raw[k] is None]
    if nulls:
        notes["nulls"] = nulls
    name = opt_str(raw.get("name"), f"{field}.name") if "name" in known else None
    content, form, foreign = _decode_content(raw, field, role == "assistant")
    if foreign:
        notes["foreign"] = foreign
    if form != default_form(role, content):
        notes["content"] = form
    parts: list[Part] = []
    if role == "assistant":
        reasoning = opt_str(raw.get("reasoning_content"), f"{field}.reasoning_content")
        if reasoning:
            parts.append(ThinkingPart(text=reasoning))
        elif reasoning == "":
            notes["reasoning_empty"] = True
        parts.extend(content)
        refusal = opt_str(raw.get("refusal"), f"{field}.refusal")
        if refusal is not None:
            parts.append(TextPart(refusal, extra={NOTE: {"refusal": "field"}}))
        parts.extend(_decode_tool_calls(raw.get("tool_calls"), field, notes))
    elif role == "tool":
        call_id = want_str(raw.get("tool_call_id"), f"{field}.tool_call_id")
        parts.append(ToolResultPart(call_id=call_id, content=content))
    else:
        parts.extend(content)
    return Message(role=role, parts=parts, name=name, extra=with_notes(unknown(raw, known), notes))


def default_form(role: str, content: list[Any], same: bool = True) -> str:
    """The wire form the encoder picks for `content` (a text with extras needs a list)."""
    if not content:
        return "null" if role == "assistant" else "empty"
    if len(content) == 1 and isinstance(content[0], TextPart) and not (same and content[0].extra):
        return "string"
    return "list"


def _decode_content(
    raw: dict[str, Any], field: str, assistant: bool
) -> tuple[Content, str, list[list[Any]]]:
    """The content parts, the wire form, and parts kept raw (position, part) for pass-through."""
    if "content" not in raw:
        return [], "absent", []
    value = raw["content"]
    if value is None:
        return [], "null", []
    if isinstance(value, str):
        return ([TextPart(value)], "string", []) if value else ([], "empty", [])
    items = want_list(value, f"{field}.content")
    parts: Content = []
    foreign: list[list[Any]] = []
    for j, item in enumerate(items):
        where = f"{field}.content[{j}]"
        item = want_dict(item, where)
        kind = item.get("type")
        if kind == "text":
            text = want_str(item.get("text"), f"{where}.text")
            parts.append(TextPart(text, extra=unknown(item, frozenset({"type", "text"}))))
        elif kind == "refusal" and assistant:
            text = want_str(item.get("refusal"), f"{where}.refusal")
            extra = unknown(item, frozenset({"type", "refusal"}))
            parts.append(TextPart(text, extra=with_notes(extra, {"refusal": "part"})))
        elif kind == "image_url" and not assistant:
            parts.append(_decode_image(item, where))
        elif isinstance(kind, str):
            # input_audio, file, ...: the model has no part for them; same-format only.
            foreign.append([j, item])
        else:
            raise bad(f"{where}.type", "must be a string")
    return parts, "list", foreign


def _decode_image(item: dict[str, Any], field: str) -> ImagePart:
    notes: dict[str, Any] = {}
    spec = item.get("image_url")
    detail = None
    if isinstance(spec, str):
        url = spec
        notes["bare"] = True
    else:
        spec = want_dict(spec, f"{field}.image_url")
        url = want_str(spec.get("url"), f"{field}.image_url.url")
        detail = opt_str(spec.get("detail"), f"{field}.image_url.detail")
        more = unknown(spec, frozenset({"url", "detail"}))
        if more:
            notes["image_url"] = more
    extra = with_notes(unknown(item, frozenset({"type", "image_url"})), notes)
    match = _DATA_URI.fullmatch(url)
    if match:
        return ImagePart(media_type=match[1], data=match[2], detail=detail, extra=extra)
    return ImagePart(url=url, detail=detail, extra=extra)


def _decode_tool_calls(value: Any, field: str, notes: dict[str, Any]) -> list[ToolCallPart]:
    if value is None:
        return []
    items = want_list(value, f"{field}.tool_calls")
    if not items:
        notes["empty_tool_calls"] = True
    calls: list[ToolCallPart] = []
    foreign: list[list[Any]] = []
    for j, item in enumerate(items):
        where = f"{field}.tool_calls[{j}]"
        item = want_dict(item, where)
        kind = item.get("type", "function")
        if kind != "function":
            foreign.append([j, item])
            continue
        fn = want_dict(item.get("function"), f"{where}.function")
        call_notes: dict[str, Any] = {}
        if "type" not in item:
            call_notes["no_type"] = True
        more = unknown(fn, frozenset({"name", "arguments"}))
        if more:
            call_notes["function"] = more
        arguments = fn.get("arguments", "")
        calls.append(
            ToolCallPart(
                id=want_str(item.get("id"), f"{where}.id"),
                name=want_str(fn.get("name"), f"{where}.function.name"),
                arguments=want_str(arguments, f"{where}.function.arguments"),
                extra=with_notes(unknown(item, frozenset({"id", "type", "function"})), call_notes),
            )
        )
    if foreign:
        notes["foreign_calls"] = foreign
    return calls


# --------------------------------------------------------------------------- encode


def encode_messages(messages: list[Message], same: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for message in messages:
        _encode_message(message, same, out)
    return out


def _encode_message(message: Message, same: bool, out: list[dict[str, Any]]) -> None:
    notes = notes_of(message.extra) if same else {}
    extra = wire_extra(message.extra) if same else {}
    results = [p for p in message.parts if isinstance(p, ToolResultPart)]
    for result in results:
        out.append(_tool_message(result, notes, extra, same))
    rest = [p for p in message.parts if not isinstance(p, ToolResultPart)]
    if message.role == "tool" or results:
        if not rest:
            return
        notes, extra = {}, {}
    role: Role = "user" if message.role == "tool" else message.role
    if role == "assistant":
        msg = _assistant(rest, notes, same)
    else:
        msg = {"role": role}
        content: Content = []
        for part in rest:
            if isinstance(part, TextPart):
                if part.signature is not None:
                    drop("text signature", FMT, "chat cannot carry signed text")
                content.append(part)
            elif isinstance(part, ImagePart) and role == "user":
                content.append(part)
            else:
                drop(f"{role} {type(part).__name__}", FMT, f"chat {role} messages cannot hold it")
        _put_content(msg, content, role, notes, same)
    if message.name is not None:
        msg["name"] = message.name
    for key in notes.get("nulls", ()):
        msg.setdefault(key, None)
    msg.update(extra)
    out.append(msg)


def _tool_message(
    result: ToolResultPart, notes: dict[str, Any], extra: dict[str, Any], same: bool
) -> dict[str, Any]:
    if result.is_error:
        drop("tool_result.is_error", FMT, "chat tool messages have no error flag")
    content: Content = []
    for part in result.content:
        if isinstance(part, ImagePart) and not same:
            drop("tool_result image", FMT, "chat tool messages carry text only")
        else:
            content.append(part)
    msg: dict[str, Any] = {"role": "tool", "tool_call_id": result.call_id}
    _put_content(msg, content, "tool", notes, same)
    msg.update(extra)
    return msg


def _assistant(parts: Sequence[Part], notes: dict[str, Any], same: bool) -> dict[str, Any]:
    thinking: list[str] = []
    content: Content = []
    refusal: str | None = None
    calls: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, ThinkingPart):
            if part.redacted:
                drop("redacted_thinking", FMT, "chat has no opaque reasoning field")
                continue
            if part.signature is not None:
                drop("thinking signature", FMT, "chat has no opaque reasoning field")
            if part.text:
                thinking.append(part.text)
        elif isinstance(part, TextPart):
            if part.signature is not None:
                drop("text signature", FMT, "chat cannot carry signed text")
            if same and notes_of(part.extra).get("refusal") == "field":
                refusal = part.text
            else:
                content.append(part)
        elif isinstance(part, ToolCallPart):
            calls.append(_encode_call(part, same))
        else:
            drop(f"assistant {type(part).__name__}", FMT, "chat assistant turns cannot hold it")
    msg: dict[str, Any] = {"role": "assistant"}
    _put_content(msg, content, "assistant", notes, same)
    if thinking:
        msg["reasoning_content"] = "\n\n".join(thinking)
    elif notes.get("reasoning_empty"):
        msg["reasoning_content"] = ""
    if refusal is not None:
        msg["refusal"] = refusal
    for position, raw in notes.get("foreign_calls", ()):
        calls.insert(position, raw)
    if calls or notes.get("empty_tool_calls"):
        msg["tool_calls"] = calls
    return msg


def _encode_call(part: ToolCallPart, same: bool) -> dict[str, Any]:
    if part.signature is not None:
        drop("tool call signature", FMT, "chat cannot carry signed tool calls")
    notes = notes_of(part.extra) if same else {}
    fn: dict[str, Any] = {"name": part.name, "arguments": part.arguments}
    fn.update(notes.get("function", {}))
    call: dict[str, Any] = {"id": part.id}
    if not notes.get("no_type"):
        call["type"] = "function"
    call["function"] = fn
    if same:
        call.update(wire_extra(part.extra))
    return call


def _put_content(
    msg: dict[str, Any], content: Content, role: str, notes: dict[str, Any], same: bool
) -> None:
    """Set msg["content"] in the noted wire form when it still fits, else the default form."""
    form = notes.get("content") or default_form(role, content, same)
    foreign = notes.get("foreign", [])
    fits_string = len(content) == 1 and isinstance(content[0], TextPart)
    if foreign:
        form = "list"
    elif (form == "string" and not fits_string) or (
        form != "list" and form != "string" and content
    ):
        form = default_form(role, content, same)
    if form == "absent":
        return
    if form == "null":
        msg["content"] = None
    elif form == "empty":
        msg["content"] = ""
    elif form == "string":
        msg["content"] = content[0].text if isinstance(content[0], TextPart) else ""
    else:
        items = [_encode_part(part, same) for part in content]
        for position, raw in foreign:
            items.insert(position, raw)
        msg["content"] = items


def _encode_part(part: TextPart | ImagePart, same: bool) -> dict[str, Any]:
    notes = notes_of(part.extra) if same else {}
    extra = wire_extra(part.extra) if same else {}
    if isinstance(part, TextPart):
        if notes.get("refusal") == "part":
            return {"type": "refusal", "refusal": part.text, **extra}
        return {"type": "text", "text": part.text, **extra}
    url = image_url(part)
    if notes.get("bare"):
        return {"type": "image_url", "image_url": url, **extra}
    spec: dict[str, Any] = {"url": url}
    if part.detail is not None:
        spec["detail"] = part.detail
    spec.update(notes.get("image_url", {}))
    return {"type": "image_url", "image_url": spec, **extra}


def image_url(part: ImagePart) -> str:
    if part.data is not None:
        return f"data:{part.media_type or 'application/octet-stream'};base64,{part.data}"
    if part.url:
        return part.url
    raise reject("image", FMT, "an image part has neither data nor url")
