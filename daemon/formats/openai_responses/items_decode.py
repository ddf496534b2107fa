"""Responses items (request `input`, response `output`) → canonical parts and messages.

Consecutive assistant-side items (assistant `message`, `function_call`, `reasoning`) merge into
one canonical assistant message, and consecutive `function_call_output` items into one tool
message, so other formats see one turn. Item boundaries and item-level fields are kept in each
part's marker (see common.py) so the same-format encoder can rebuild the items exactly.
Items the model cannot express (`item_reference`, `input_file`, built-in tool calls, ...) travel
raw, same-format only, and are listed in the request's `same_format_only` marker.
"""

from __future__ import annotations

from typing import Any

from daemon.formats import reasoning
from daemon.formats.openai_responses.common import (
    FMT,
    MARK,
    as_dict,
    as_list,
    fail,
    joined_tool_name,
    opt_str,
    req_str,
    rest,
    split_data_url,
)
from daemon.model import (
    ImagePart,
    Message,
    Part,
    Role,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolResultPart,
)

_INPUT_ROLES: dict[str, Role] = {
    "user": "user",
    "assistant": "assistant",
    "system": "system",
    "developer": "developer",
}
_MESSAGE_KEYS = frozenset({"type", "role", "content"})
_TEXT_KEYS = frozenset({"type", "text"})
_REFUSAL_KEYS = frozenset({"type", "refusal"})
_IMAGE_KEYS = frozenset({"type", "image_url", "detail"})
_CALL_KEYS = frozenset({"type", "call_id", "name", "arguments", "namespace"})
_OUTPUT_KEYS = frozenset({"type", "call_id", "output"})
_REASONING_KEYS = frozenset({"type", "id", "summary", "content", "encrypted_content"})


def decode_part(raw: Any, where: str, assistant: bool) -> TextPart | ImagePart | None:
    """One content part; None for a part only this format understands (kept raw)."""
    part = as_dict(raw, where)
    kind = part.get("type")
    default = "output_text" if assistant else "input_text"
    if kind in ("input_text", "output_text", "text"):
        text = TextPart(text=req_str(part, "text", where), extra=rest(part, _TEXT_KEYS))
        if kind != default:
            text.extra[MARK] = {"ptype": kind}
        return text
    if kind == "refusal":
        refusal = req_str(part, "refusal", where)
        return TextPart(text=refusal, extra={**rest(part, _REFUSAL_KEYS), MARK: {"refusal": True}})
    if kind == "input_image" and isinstance(part.get("image_url"), str):
        url: str = part["image_url"]
        detail = opt_str(part, "detail", where)
        extra = rest(part, _IMAGE_KEYS)
        inline = split_data_url(url)
        if inline is not None:
            return ImagePart(media_type=inline[0], data=inline[1], detail=detail, extra=extra)
        return ImagePart(url=url, detail=detail, extra=extra)
    if not isinstance(kind, str):
        raise fail(f"{where}.type", "is required and must be a string")
    return None


def decode_message_item(
    item: dict[str, Any], where: str
) -> tuple[Role, list[TextPart | ImagePart], dict[str, Any], list[list[Any]]]:
    """(role, parts, item-level extra with marker, opaque parts as [position, raw])."""
    role_raw = item.get("role")
    if not isinstance(role_raw, str) or role_raw not in _INPUT_ROLES:
        raise fail(f"{where}.role", "must be one of user, assistant, system, developer")
    role = _INPUT_ROLES[role_raw]
    extra = rest(item, _MESSAGE_KEYS)
    mark: dict[str, Any] = {}
    if "type" not in item:
        mark["no_type"] = True
    content = item.get("content")
    parts: list[TextPart | ImagePart] = []
    opaque: list[list[Any]] = []
    if isinstance(content, str):
        mark["string"] = True
        parts.append(TextPart(text=content))
    else:
        for i, raw in enumerate(as_list(content, f"{where}.content")):
            part = decode_part(raw, f"{where}.content[{i}]", role == "assistant")
            if part is None:
                opaque.append([i, raw])
            else:
                parts.append(part)
    if mark:
        extra[MARK] = mark
    return role, parts, extra, opaque


def decode_function_call(item: dict[str, Any], where: str) -> ToolCallPart:
    call_id = req_str(item, "call_id", where)
    name = req_str(item, "name", where)
    arguments = item.get("arguments", "")
    if not isinstance(arguments, str):
        raise fail(f"{where}.arguments", "must be a string of JSON")
    mark: dict[str, Any] = {"item": rest(item, _CALL_KEYS)}
    namespace = opt_str(item, "namespace", where)
    if namespace is not None:
        mark["ns"], mark["name"] = namespace, name
        name = joined_tool_name(namespace, name)
    return ToolCallPart(id=call_id, name=name, arguments=arguments, extra={MARK: mark})


def decode_reasoning(item: dict[str, Any], where: str) -> ThinkingPart:
    item_id = opt_str(item, "id", where)
    summary = item.get("summary", [])
    texts = [
        _summary_text(s, f"{where}.summary[{i}]")
        for i, s in enumerate(as_list(summary, f"{where}.summary"))
    ]
    content = item.get("content")
    if not texts and isinstance(content, list):
        texts = [
            c["text"] for c in content if isinstance(c, dict) and isinstance(c.get("text"), str)
        ]
    text = "\n\n".join(texts)
    encrypted = opt_str(item, "encrypted_content", where)
    if encrypted:
        part = reasoning.thinking_from_opaque(encrypted, FMT, text=text, id=item_id)
    else:
        part = ThinkingPart(text=text, id=item_id)
    mark: dict[str, Any] = {"item": rest(item, _REASONING_KEYS)}
    for key in ("id", "summary", "content", "encrypted_content"):
        if key in item:
            mark[key] = item[key]
    part.extra[MARK] = mark
    return part


def _summary_text(raw: Any, where: str) -> str:
    return req_str(as_dict(raw, where), "text", where)


def decode_function_call_output(
    item: dict[str, Any], where: str, names: dict[str, str]
) -> tuple[ToolResultPart, list[list[Any]]]:
    call_id = req_str(item, "call_id", where)
    output = item.get("output")
    extra = rest(item, _OUTPUT_KEYS)
    content: list[TextPart | ImagePart] = []
    opaque: list[list[Any]] = []
    if isinstance(output, str):
        extra[MARK] = {"string": True}
        content.append(TextPart(text=output))
    else:
        for i, raw in enumerate(as_list(output, f"{where}.output")):
            part = decode_part(raw, f"{where}.output[{i}]", assistant=False)
            if part is None:
                opaque.append([i, raw])
            else:
                content.append(part)
        if opaque:
            extra[MARK] = {"opaque": opaque}
    result = ToolResultPart(call_id=call_id, content=content, name=names.get(call_id), extra=extra)
    return result, opaque


def decode_input(value: Any) -> tuple[list[Message], list[str]]:
    """The request's `input`: messages, and the paths of items kept for same-format only."""
    if isinstance(value, str):
        return [Message(role="user", parts=[TextPart(text=value)])], []
    items = as_list(value, "input")
    messages: list[Message] = []
    same_format_only: list[str] = []
    names: dict[str, str] = {}
    assistant: Message | None = None
    tool: Message | None = None

    def flush() -> None:
        nonlocal assistant, tool
        if assistant is not None:
            assistant.parts = reasoning.restore_carriers(assistant.parts)
            messages.append(assistant)
        if tool is not None:
            messages.append(tool)
        assistant = tool = None

    def assistant_parts() -> list[Part]:
        nonlocal assistant, tool
        if tool is not None:
            flush()
        if assistant is None:
            assistant = Message(role="assistant")
        return assistant.parts

    for i, raw in enumerate(items):
        where = f"input[{i}]"
        item = as_dict(raw, where)
        kind = item.get("type", "message" if "role" in item else None)
        if kind == "message":
            role, parts, extra, opaque = decode_message_item(item, where)
            if role == "assistant" and parts and not opaque:
                item_mark = extra.pop(MARK, {})
                first = parts[0]
                first.extra[MARK] = {**first.extra.get(MARK, {}), **item_mark, "item": extra}
                for later in parts[1:]:
                    later.extra[MARK] = {**later.extra.get(MARK, {}), "cont": True}
                assistant_parts().extend(parts)
                continue
            if role == "assistant":
                flush()
                messages.append(_raw_message(item))
                same_format_only.append(f"{where} (assistant message with no text)")
                continue
            flush()
            if opaque:
                extra.setdefault(MARK, {})["opaque"] = opaque
                same_format_only.extend(f"{where}.content[{pos}]" for pos, _ in opaque)
            messages.append(Message(role=role, parts=list(parts), extra=extra))
        elif kind == "function_call":
            call = decode_function_call(item, where)
            names[call.id] = call.name
            assistant_parts().append(call)
        elif kind == "reasoning":
            assistant_parts().append(decode_reasoning(item, where))
        elif kind == "function_call_output":
            result, opaque = decode_function_call_output(item, where, names)
            same_format_only.extend(f"{where}.output[{pos}]" for pos, _ in opaque)
            if assistant is not None:
                flush()
            if tool is None:
                tool = Message(role="tool")
            tool.parts.append(result)
        elif isinstance(kind, str):
            flush()
            messages.append(_raw_message(item))
            same_format_only.append(f"{where} ({kind})")
        else:
            raise fail(f"{where}.type", "is required and must be a string")
    flush()
    return messages, same_format_only


def _raw_message(item: dict[str, Any]) -> Message:
    """An item only this format understands: carried whole, written back as it came."""
    role: Role = "user" if item.get("type") == "item_reference" else "assistant"
    return Message(role=role, extra={MARK: {"raw": item}})
