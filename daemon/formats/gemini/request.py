"""Gemini `GenerateContentRequest` ⇄ canonical `Request`.

The model name lives in the URL (`/v1beta/models/<model>:generateContent`), not the body:
`decode_request(body)` leaves `Request.model` empty (or takes a `model` key if the body has
one); use `decode_request_for(body, model)` to set it. `encode_request` never writes a model.
Streaming is chosen by the URL too (`:streamGenerateContent`): callers set `Request.stream`.

- `systemInstruction` ⇄ leading system messages; system / developer messages anywhere in the
  conversation are hoisted into it.
- A user content holding `functionResponse` parts becomes a `tool` message (plus a `user`
  message for its other parts, in order); encoding puts tool results back into a user content and
  merges consecutive same-role contents, since Gemini wants turns to alternate.
- Unknown top-level fields (safetySettings, cachedContent, labels, …) and unknown keys of
  generationConfig / toolConfig ride in `Request.extra` and are written back only for a Gemini
  client (same-format). Keys of `extra` starting with "_gemini" are this codec's own markers
  (private: never written to the wire).
- Parts only Gemini can express (executableCode, non-image media, …) stay raw, by position, in
  the message's `extra["_gemini_opaque"]` and are listed in `Request.same_format_only`.
"""

from __future__ import annotations

from typing import Any

from daemon.formats import policy
from daemon.formats.gemini._wire import as_dict, as_list, invalid, split
from daemon.formats.gemini.options import (
    decode_generation,
    decode_tool_choice,
    decode_tools,
    encode_generation,
    encode_tool_choice,
    encode_tools,
)
from daemon.formats.gemini.part_decode import PartDecoder, settle
from daemon.formats.gemini.part_encode import PartEncoder
from daemon.formats.gemini.signatures import add_skip_signature
from daemon.formats.reasoning import restore_carriers
from daemon.model import (
    Message,
    Request,
    Role,
    TextPart,
    ToolResultPart,
    WireFormat,
    wire_fields,
)

GEMINI = WireFormat.GEMINI
_BODY_KEYS = frozenset(
    {"contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "model"}
)
_CONTENT_KEYS = frozenset({"role", "parts"})
_MERGED_EXTRA = frozenset({"generationConfig", "toolConfig"})
OPAQUE = "_gemini_opaque"


# --------------------------------------------------------------------------- decode


def decode_request_for(body: dict[str, Any], model: str) -> Request:
    """Decode a body whose model came from the URL."""
    request = decode_request(body)
    request.model = model
    return request


def decode_request(body: dict[str, Any]) -> Request:
    found, extra = split(as_dict(body, "request body"), _BODY_KEYS)
    model = found.get("model")
    request = Request(
        model=model if isinstance(model, str) else "", source_format=GEMINI, extra=extra
    )
    if "systemInstruction" in found and found["systemInstruction"] is not None:
        system = _system(found["systemInstruction"])
        request.messages.append(system)
        request.same_format_only.extend(_opaque_paths([system], "systemInstruction"))
    decoder = PartDecoder("request", invalid)
    for i, content in enumerate(as_list(found.get("contents", []), "contents")):
        where = f"contents[{i}]"
        messages = decode_content(content, where, decoder)
        request.messages.extend(messages)
        request.same_format_only.extend(_opaque_paths(messages, where))
    if found.get("tools") is not None:
        request.tools = decode_tools(found["tools"])
    if found.get("toolConfig") is not None:
        decode_tool_choice(found["toolConfig"], request)
    if found.get("generationConfig") is not None:
        decode_generation(found["generationConfig"], request)
    return request


def _opaque_paths(messages: list[Message], where: str) -> list[str]:
    """Describe the parts kept raw (only Gemini can express them) for `same_format_only`."""
    found: list[str] = []
    for message in messages:
        for _, raw in message.extra.get(OPAQUE, []):
            keys = [k for k in raw if k not in ("thoughtSignature", "thought_signature")]
            found.append(f"{where}.parts ({keys[0] if keys else 'empty part'})")
    return found


def _system(raw: Any) -> Message:
    if isinstance(raw, str):
        return Message(role="system", parts=[TextPart(raw)])
    messages = decode_content(raw, "systemInstruction", PartDecoder("system", invalid), "system")
    message = messages[0]
    for other in messages[1:]:
        message.parts.extend(other.parts)
    return message


def decode_content(
    raw: Any, where: str, decoder: PartDecoder, role: Role | None = None
) -> list[Message]:
    """One Gemini content → one message, or several when tool results share it with other parts."""
    found, extra = split(as_dict(raw, where), _CONTENT_KEYS)
    wire_role = found.get("role")
    if role is None:
        if wire_role == "model":
            role = "assistant"
            decoder.model_turn()
        elif wire_role in (None, "user", "function"):
            role = "user"
        else:
            raise invalid(f"{where}.role must be 'user' or 'model'")
    if role == "system" and wire_role is not None:
        extra["role"] = wire_role
    messages: list[Message] = []
    current: Message | None = None
    for i, raw_part in enumerate(as_list(found.get("parts", []), f"{where}.parts")):
        part = decoder.decode(raw_part, f"{where}.parts[{i}]")
        if part is None:
            if current is None:
                current = Message(role=role)
                messages.append(current)
            current.extra.setdefault(OPAQUE, []).append([len(current.parts), raw_part])
            continue
        want: Role = "tool" if isinstance(part, ToolResultPart) else role
        if current is None or current.role != want:
            current = Message(role=want)
            messages.append(current)
        current.parts.append(part)
    if not messages:
        messages.append(Message(role=role))
    messages[0].extra.update(extra)
    for message in messages:
        message.parts = restore_carriers(settle(message.parts))
    return messages


# --------------------------------------------------------------------------- encode


def encode_request(request: Request) -> dict[str, Any]:
    same = request.source_format == GEMINI
    encoder = PartEncoder(request=True, pass_extra=same)
    system: dict[str, Any] = {"parts": []}
    contents: list[dict[str, Any]] = []
    for i, message in enumerate(request.messages):
        where = f"messages[{i}]"
        if message.name is not None and not same:
            policy.drop(f"{where}.name", GEMINI, "Gemini contents have no author name")
        if message.role in ("system", "developer"):
            system["parts"].extend(encode_parts(message, encoder, where, same))
            if same:
                _merge_extra(system, message.extra)
            continue
        parts = encode_parts(message, encoder, where, same)
        if not parts:
            policy.drop(where, GEMINI, "a content without parts is refused by Gemini")
            continue
        role = "model" if message.role == "assistant" else "user"
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
        if same:
            _merge_extra(contents[-1], message.extra)
    if not same:
        if not contents:
            raise policy.reject("messages", GEMINI, "at least one user or model turn is needed")
        for content in contents:
            if content["role"] == "model":
                add_skip_signature(content["parts"])
    body: dict[str, Any] = {"contents": contents}
    if system["parts"]:
        body["systemInstruction"] = system
    if request.tools:
        body["tools"] = encode_tools(request.tools, same)
    _encode_tool_config(request, body, same)
    if not same:
        if request.parallel_tool_calls is False:
            policy.drop("parallel_tool_calls", GEMINI, "Gemini cannot forbid parallel calls")
        if request.user is not None:
            policy.drop("user", GEMINI, "Gemini has no end-user id")
    generation = encode_generation(request, same)
    if generation:
        body["generationConfig"] = generation
    if same:
        for key, value in request.extra.items():
            if key not in _MERGED_EXTRA and not key.startswith("_"):
                body.setdefault(key, value)
    return body


def encode_parts(
    message: Message, encoder: PartEncoder, where: str, same: bool
) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for j, part in enumerate(message.parts):
        encoded = encoder.encode(part, f"{where}.parts[{j}]")
        if encoded is not None:
            parts.append(encoded)
    if same:
        for position, raw in message.extra.get(OPAQUE, []):
            parts.insert(min(position, len(parts)), raw)
    return parts


def _merge_extra(content: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in wire_fields(extra).items():
        content.setdefault(key, value)


def _encode_tool_config(request: Request, body: dict[str, Any], same: bool) -> None:
    config: dict[str, Any] = {}
    if request.tool_choice is not None:
        if same and "_gemini_fcc" in request.extra:
            config["functionCallingConfig"] = request.extra["_gemini_fcc"]
        elif same or request.tools:
            config["functionCallingConfig"] = encode_tool_choice(request.tool_choice)
        else:
            policy.drop("tool_choice", GEMINI, "no tools to choose from")
    if same:
        config.update(request.extra.get("toolConfig") or {})
    if config:
        body["toolConfig"] = config
