"""`chat.completion` bodies ⇄ canonical `Response`.

Parts come out in the order thinking (`reasoning_content`), text (`content`), refusal, tool calls.
A refusal (`message.refusal`) becomes a `TextPart` marked as such, and stop reason "refusal";
encoding puts a marked part back in `message.refusal` with finish_reason "stop". A refusal from
another format (unmarked text, stop reason "refusal") is sent as content with "content_filter".
A "stop" finish with tool calls present is read as "tool_calls".

Choices beyond the first, and wire details of the first, are kept in notes for the same format.
Notes and extras (unknown wire fields) are used only when `Response.source_format` is chat:
another codec's extras are not chat fields (Anthropic's "type"/"role", Responses'
"tools"/"reasoning", ...). Extras never override a key set here.
"""

from __future__ import annotations

from typing import Any

from daemon.errors import InvalidRequest
from daemon.formats.openai_chat._common import (
    FINISH_TO_STOP,
    NOTE,
    STOP_TO_FINISH,
    decode_usage,
    encode_usage,
    notes_of,
    unknown,
    want_dict,
    wire_extra,
    with_notes,
)
from daemon.formats.openai_chat.messages import FMT
from daemon.formats.policy import drop
from daemon.model import (
    Part,
    Response,
    StopReason,
    TextPart,
    ThinkingPart,
    ToolCallPart,
)

_TOP_KEYS = frozenset({"id", "object", "created", "model", "choices", "usage"})
_CHOICE_KEYS = frozenset({"index", "message", "finish_reason"})
_MESSAGE_KEYS = frozenset(
    {"role", "content", "reasoning_content", "refusal", "tool_calls", "function_call"}
)
_NULLABLE = ("reasoning_content", "refusal", "tool_calls", "function_call")
_ABSENT = "<absent>"  # a note's value for a key the upstream did not send


def _str(value: Any, field: str, default: str = "") -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise InvalidRequest(f"upstream response: {field} must be a string", param=field)
    return value


def decode_response(body: dict[str, Any]) -> Response:
    body = want_dict(body, "response")
    notes: dict[str, Any] = {}
    if body.get("object") != "chat.completion":
        notes["object"] = body.get("object", _ABSENT)
    created = body.get("created", _ABSENT)
    if not isinstance(created, int) or isinstance(created, bool):
        notes["created"] = created
        created = None
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        notes["choices"] = body.get("choices", _ABSENT)
        choices = []
    parts: list[Part] = []
    stop: StopReason = "stop"
    if choices:
        parts, stop = _decode_choice(want_dict(choices[0], "choices[0]"), notes)
        if len(choices) > 1:
            notes["more_choices"] = choices[1:]
    usage_raw = body.get("usage")
    usage = decode_usage(usage_raw if isinstance(usage_raw, dict) else {})
    notes["usage"] = usage_raw if "usage" in body else _ABSENT
    return Response(
        id=_str(body.get("id"), "id"),
        model=_str(body.get("model"), "model"),
        parts=parts,
        stop_reason=stop,
        usage=usage,
        created=created,
        source_format=FMT,
        extra=with_notes(unknown(body, _TOP_KEYS), notes),
    )


def _decode_choice(choice: dict[str, Any], notes: dict[str, Any]) -> tuple[list[Part], StopReason]:
    message = choice.get("message")
    message = message if isinstance(message, dict) else {}
    _note(notes, "choice", unknown(choice, _CHOICE_KEYS))
    if choice.get("index") != 0:
        notes["index"] = choice.get("index", _ABSENT)
    _note(notes, "message", unknown(message, _MESSAGE_KEYS))
    _note(notes, "nulls", [k for k in _NULLABLE if k in message and message[k] is None])
    if message.get("role") != "assistant":
        notes["role"] = message.get("role")
    parts: list[Part] = []
    reasoning = message.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning:
        parts.append(ThinkingPart(text=reasoning))
    content = message.get("content")
    if isinstance(content, str) and content:
        parts.append(TextPart(content))
    elif content is not None:
        notes["content"] = content
    elif "content" not in message:
        notes["content"] = _ABSENT
    refusal = message.get("refusal")
    if isinstance(refusal, str):
        parts.append(TextPart(refusal, extra={NOTE: {"refusal": "field"}}))
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        if not calls:
            notes["empty_tool_calls"] = True
        for i, call in enumerate(calls):
            parts.append(_decode_call(want_dict(call, f"tool_calls[{i}]"), i))
    legacy = message.get("function_call")
    if isinstance(legacy, dict):
        part = _decode_call({"function": legacy}, len(parts))
        part.id = f"call_{len(parts)}"
        part.extra[NOTE] = {"legacy": True}
        parts.append(part)
    finish = choice.get("finish_reason")
    stop = FINISH_TO_STOP.get(finish, "stop") if isinstance(finish, str) else "stop"
    if stop == "stop" and any(isinstance(p, ToolCallPart) for p in parts):
        stop = "tool_calls"
    elif stop == "stop" and isinstance(refusal, str):
        stop = "refusal"
    if _finish_for(stop, parts) != finish:
        notes["finish_reason"] = finish
    return parts, stop


def _decode_call(call: dict[str, Any], i: int) -> ToolCallPart:
    fn = call.get("function")
    fn = fn if isinstance(fn, dict) else {}
    notes: dict[str, Any] = {}
    if call.get("type") != "function":
        notes["type"] = call.get("type")
    more = unknown(fn, frozenset({"name", "arguments"}))
    if more:
        notes["function"] = more
    return ToolCallPart(
        id=_str(call.get("id"), f"tool_calls[{i}].id"),
        name=_str(fn.get("name"), f"tool_calls[{i}].function.name"),
        arguments=_str(fn.get("arguments"), f"tool_calls[{i}].function.arguments"),
        extra=with_notes(unknown(call, frozenset({"id", "type", "function"})), notes),
    )


def _finish_for(stop: StopReason, parts: list[Part]) -> str:
    if stop == "refusal" and any(notes_of(p.extra).get("refusal") for p in parts):
        return "stop"
    return STOP_TO_FINISH[stop]


# --------------------------------------------------------------------------- encode


def encode_response(response: Response) -> dict[str, Any]:
    same = response.source_format == FMT  # decoded by this codec: its extras are chat fields
    notes = notes_of(response.extra) if same else {}
    thinking: list[str] = []
    texts: list[str] = []
    refusal: str | None = None
    calls: list[dict[str, Any]] = []
    legacy: dict[str, Any] | None = None
    for part in response.parts:
        if isinstance(part, ThinkingPart):
            if part.signature is not None:
                drop("thinking signature", FMT, "chat has no opaque reasoning field")
            if part.text and not part.redacted:
                thinking.append(part.text)
        elif isinstance(part, TextPart):
            if same and notes_of(part.extra).get("refusal"):
                refusal = part.text
            else:
                texts.append(part.text)
        elif isinstance(part, ToolCallPart):
            call = _encode_call(part, same)
            if same and notes_of(part.extra).get("legacy"):
                legacy = call["function"]
            else:
                calls.append(call)
        else:
            drop(f"response {type(part).__name__}", FMT, "chat responses cannot hold it")
    message: dict[str, Any] = {"role": notes.get("role", "assistant")}
    if texts:
        message["content"] = "".join(texts)
    elif notes.get("content") != _ABSENT:
        message["content"] = notes.get("content")
    if thinking:
        message["reasoning_content"] = "\n\n".join(thinking)
    if refusal is not None:
        message["refusal"] = refusal
    if calls or notes.get("empty_tool_calls"):
        message["tool_calls"] = calls
    if legacy is not None:
        message["function_call"] = legacy
    for key in notes.get("nulls", ()):
        message.setdefault(key, None)
    message.update(notes.get("message", {}))
    finish = notes.get("finish_reason", _finish_for(response.stop_reason, response.parts))
    choice: dict[str, Any] = {"index": notes.get("index", 0), "message": message}
    if choice["index"] == _ABSENT:
        del choice["index"]
    choice["finish_reason"] = finish
    choice.update(notes.get("choice", {}))
    created = response.created if response.created is not None else notes.get("created", 0)
    out: dict[str, Any] = {
        "id": response.id,
        "object": notes.get("object", "chat.completion"),
        "created": created,
        "model": response.model,
        "choices": notes["choices"]
        if "choices" in notes
        else [choice, *notes.get("more_choices", ())],
    }
    raw_usage = notes.get("usage")
    if raw_usage is None and "usage" in notes and response.usage == decode_usage({}):
        out["usage"] = None
    elif raw_usage != _ABSENT or response.usage != decode_usage({}):
        out["usage"] = encode_usage(response.usage, raw_usage)
    for key in ("object", "choices", "created"):
        if out[key] == _ABSENT:
            del out[key]
    if same:
        for key, value in wire_extra(response.extra).items():
            out.setdefault(key, value)
    return out


def _note(notes: dict[str, Any], key: str, value: Any) -> None:
    if value:
        notes[key] = value


def _encode_call(part: ToolCallPart, same: bool) -> dict[str, Any]:
    if part.signature is not None:
        drop("tool call signature", FMT, "chat cannot carry signed tool calls")
    notes = notes_of(part.extra) if same else {}
    fn: dict[str, Any] = {"name": part.name, "arguments": part.arguments}
    fn.update(notes.get("function", {}))
    call: dict[str, Any] = {"id": part.id, "type": notes.get("type", "function"), "function": fn}
    if notes.get("type", "function") is None:
        del call["type"]
    if same:
        call.update(wire_extra(part.extra))
    return call
