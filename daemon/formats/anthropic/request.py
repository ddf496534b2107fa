"""Anthropic Messages requests ⇄ canonical `Request`.

Decisions (see also the policy lines in the codec's report):
- `system` becomes one leading "system" message; when encoding, every system/developer message,
  wherever it stands, is hoisted into `system` in order.
- A user turn holding tool_result blocks decodes as a "tool" message (the results) followed by a
  "user" message (everything else). Encoding merges consecutive same-role turns, tool results
  first in their user turn, so roles alternate. Messages left empty are dropped (debug log).
- `thinking` ⇄ `ReasoningConfig`: enabled → budget, adaptive → budget -1, disabled → budget 0,
  `output_config.effort` → effort. Encoding for another source format: budget (or the effort's
  budget from the reasoning table, at least 1024) → enabled; -1 → enabled with the "medium"
  budget, as older models lack adaptive thinking; 0 / "none" → disabled. When the request
  ends in tool results whose assistant turn lost its signed thinking on the way (a chat client
  cannot carry it), thinking is disabled for that request: Anthropic refuses a tool turn
  without its thinking block.
- `max_tokens` is required here: without one we send `DEFAULT_MAX_TOKENS`, plus the thinking
  budget when thinking is on, so max_tokens > budget_tokens always holds.
- Structured output uses the GA `output_config.format` ({type: json_schema, schema}), confirmed
  in the SDK's `OutputConfigParam` and public docs; the schema name and `strict` are dropped.
"""

from __future__ import annotations

from typing import Any

from daemon.errors import InvalidRequest
from daemon.formats import policy
from daemon.formats.anthropic.blocks import (
    FMT,
    INLINE_SYSTEM,
    STRING_FORM,
    PartEncoder,
    decode_block,
    opt_str,
    put_extra,
    req_dict,
    req_list,
    req_str,
    rest,
    same_format_only_paths,
)
from daemon.formats.anthropic.options import (
    MIN_THINKING_BUDGET,
    decode_thinking,
    decode_tool,
    decode_tool_choice,
    encode_thinking,
    encode_tool,
    encode_tool_choice,
)
from daemon.formats.reasoning import restore_carriers
from daemon.model import (
    ImagePart,
    Message,
    Part,
    Request,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)

DEFAULT_MAX_TOKENS = 8192

_TOP_LEVEL = (
    "model", "messages", "system", "max_tokens", "tools", "tool_choice", "thinking",
    "temperature", "top_p", "top_k", "stop_sequences", "stream", "metadata", "output_config",
)  # fmt: skip


# --------------------------------------------------------------------------- decode


def decode_request(body: dict[str, Any]) -> Request:
    body = req_dict(body, "body")
    req = Request(model=req_str(body, "model", "body"), source_format=FMT)
    req.extra = rest(body, _TOP_LEVEL)
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
        raise InvalidRequest("max_tokens must be an integer", param="max_tokens")
    req.max_tokens = max_tokens
    req.messages = _decode_system(body.get("system"))
    for i, msg in enumerate(req_list(body.get("messages"), "messages")):
        path = f"messages[{i}]"
        req.messages.extend(_decode_message(msg, path))
        req.same_format_only.extend(same_format_only_paths(msg.get("content"), path))
    _name_tool_results(req.messages)
    req.tools = [decode_tool(t, f"tools[{i}]") for i, t in enumerate(_opt_list(body, "tools"))]
    decode_tool_choice(body.get("tool_choice"), req)
    req.temperature = _opt_number(body, "temperature")
    req.top_p = _opt_number(body, "top_p")
    top_k = body.get("top_k")
    if top_k is not None and (not isinstance(top_k, int) or isinstance(top_k, bool)):
        raise InvalidRequest("top_k must be an integer", param="top_k")
    req.top_k = top_k
    if "stop_sequences" in body:
        stops = req_list(body["stop_sequences"], "stop_sequences")
        if not all(isinstance(s, str) for s in stops):
            raise InvalidRequest("stop_sequences must be strings", param="stop_sequences")
        req.stop = list(stops)
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise InvalidRequest("stream must be a boolean", param="stream")
    req.stream = bool(stream)
    if stream is False:
        req.extra["stream"] = False
    if "metadata" in body:
        metadata = req_dict(body["metadata"], "metadata")
        req.user = opt_str(metadata, "user_id", "metadata")
        req.extra["metadata"] = rest(metadata, ("user_id",))
    decode_thinking(body, req)
    return req


def _opt_list(body: dict[str, Any], key: str) -> list[Any]:
    return [] if body.get(key) is None else req_list(body[key], key)


def _opt_number(body: dict[str, Any], key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise InvalidRequest(f"{key} must be a number", param=key)
    return value


def _decode_system(system: Any) -> list[Message]:
    if system is None:
        return []
    if isinstance(system, str):
        return [Message(role="system", parts=[TextPart(text=system)], extra={STRING_FORM: True})]
    return [Message(role="system", parts=_system_parts(req_list(system, "system"), "system"))]


def _system_parts(blocks: list[Any], where: str) -> list[Part]:
    parts: list[Part] = []
    for i, block in enumerate(blocks):
        path = f"{where}[{i}]" if where == "system" else f"{where}.content[{i}]"
        block = req_dict(block, path)
        if block.get("type") != "text":
            raise InvalidRequest(f"{path}.type must be 'text'", param=f"{path}.type")
        parts.append(
            TextPart(text=req_str(block, "text", path), extra=rest(block, ("type", "text")))
        )
    return parts


def _name_tool_results(messages: list[Message]) -> None:
    """Give each tool result the name of the call it answers (Gemini needs it; we have ids)."""
    names: dict[str, str] = {}
    for msg in messages:
        for part in msg.parts:
            if isinstance(part, ToolCallPart):
                names[part.id] = part.name
            elif isinstance(part, ToolResultPart) and part.name is None:
                part.name = names.get(part.call_id)


def _decode_message(msg: Any, path: str) -> list[Message]:
    msg = req_dict(msg, path)
    role = msg.get("role")
    if role not in ("user", "assistant", "system"):
        raise InvalidRequest(
            f"{path}.role must be 'user', 'assistant' or 'system'", param=f"{path}.role"
        )
    extra = rest(msg, ("role", "content"))
    content = msg.get("content")
    if role == "system":
        # Mid-conversation system messages (Claude Code sends them, with the beta
        # "mid-conversation-system"): kept in place for Anthropic, hoisted for others.
        extra[INLINE_SYSTEM] = True
        if isinstance(content, str):
            extra[STRING_FORM] = True
            return [Message(role="system", parts=[TextPart(text=content)], extra=extra)]
        blocks = req_list(content, f"{path}.content")
        return [Message(role="system", parts=_system_parts(blocks, path), extra=extra)]
    if isinstance(content, str):
        extra[STRING_FORM] = True
        return [Message(role=role, parts=[TextPart(text=content)], extra=extra)]
    blocks = req_list(content, f"{path}.content")
    parts = [decode_block(b, f"{path}.content[{i}]") for i, b in enumerate(blocks)]
    if role == "assistant":
        if any(isinstance(p, ToolResultPart) for p in parts):
            raise InvalidRequest(f"{path}: tool_result blocks belong in user turns", param=path)
        return [Message(role="assistant", parts=restore_carriers(parts), extra=extra)]
    results: list[Part] = [p for p in parts if isinstance(p, ToolResultPart)]
    others: list[Part] = [p for p in parts if not isinstance(p, ToolResultPart)]
    out: list[Message] = []
    if results:
        out.append(Message(role="tool", parts=results, extra=extra))
    if others or not results:
        out.append(Message(role="user", parts=others, extra={} if results else extra))
    return out


# --------------------------------------------------------------------------- encode


def encode_request(request: Request) -> dict[str, Any]:
    native = request.source_format == FMT
    enc = PartEncoder(native=native, for_client=False)
    body: dict[str, Any] = {"model": request.model}
    system, messages = _encode_messages(request.messages, enc, native)
    if system is not None:
        body["system"] = system
    body["messages"] = messages
    thinking, budget = encode_thinking(request, native)
    body["max_tokens"] = _max_tokens(request, budget, native)
    if thinking is not None:
        if budget and budget >= body["max_tokens"] and not native:
            budget = body["max_tokens"] - 1
            if budget < MIN_THINKING_BUDGET:
                policy.drop("thinking", FMT, "max_tokens leaves no room for a thinking budget")
                thinking, budget = {"type": "disabled"}, 0
            else:
                thinking["budget_tokens"] = budget
        if thinking["type"] != "disabled" and not native and _unsigned_tool_turn(messages):
            policy.drop(
                "thinking",
                FMT,
                "the tool turn in progress has no signed thinking to replay (its reasoning came "
                "through a format that cannot carry it); Anthropic refuses thinking without it",
            )
            thinking, budget = {"type": "disabled"}, 0
        body["thinking"] = thinking
    thinking_on = bool(thinking and thinking["type"] != "disabled")
    if request.tools:
        body["tools"] = [t for t in (encode_tool(t, native) for t in request.tools) if t]
    encode_tool_choice(request, body, native, thinking_on)
    _encode_sampling(request, body, native, thinking_on)
    if request.stream:
        body["stream"] = True
    if request.user is not None:
        body["metadata"] = {"user_id": request.user}
    output_config: dict[str, Any] = {}
    if request.reasoning and request.reasoning.effort and native:
        output_config["effort"] = request.reasoning.effort
    rf = request.response_format
    if rf is not None and rf.type == "json_schema" and rf.schema is not None:
        fmt = {"type": "json_schema", "schema": rf.schema}
        output_config["format"] = {**request.extra.get("_output_format", {}), **fmt}
        if rf.name is not None and not native:
            policy.drop("response_format.name", FMT, "output_config.format has no name")
    elif rf is not None and rf.type != "text":
        policy.drop(f"response_format {rf.type}", FMT, "only json_schema has an equivalent")
    if output_config:
        body["output_config"] = output_config
    if request.seed is not None:
        policy.drop("seed", FMT, "Anthropic has no sampling seed")
    if native:
        lifted = ("metadata", "output_config", "thinking")  # their leftovers; {} when none
        put_extra(body, {k: v for k, v in request.extra.items() if v or k not in lifted})
    return body


def _unsigned_tool_turn(messages: list[dict[str, Any]]) -> bool:
    """True when the conversation ends in tool results whose assistant turn does not start
    with a thinking block: with thinking enabled, Anthropic rejects such a request."""
    if len(messages) < 2 or messages[-1]["role"] != "user":
        return False
    last, assistant = messages[-1]["content"], messages[-2]
    if not isinstance(last, list) or not any(b.get("type") == "tool_result" for b in last):
        return False
    blocks = assistant["content"]
    if assistant["role"] != "assistant" or not isinstance(blocks, list) or not blocks:
        return False
    return blocks[0].get("type") not in ("thinking", "redacted_thinking")


def _max_tokens(request: Request, budget: int | None, native: bool) -> int:
    if request.max_tokens is not None:
        return request.max_tokens
    policy.drop("max_tokens (absent)", FMT, f"required; defaulting to {DEFAULT_MAX_TOKENS}")
    return DEFAULT_MAX_TOKENS + (budget if budget and budget > 0 else 0)


def _encode_messages(
    messages: list[Message], enc: PartEncoder, native: bool
) -> tuple[Any, list[dict[str, Any]]]:
    system_blocks: list[dict[str, Any]] = []
    system_string = False
    turns: list[dict[str, Any]] = []  # role, results, blocks, extra, string, count
    for msg in messages:
        if msg.name is not None and not native:
            policy.drop("message.name", FMT, "Anthropic messages carry no name")
        if native and msg.role == "system" and msg.extra.get(INLINE_SYSTEM):
            inline = [b for p in msg.parts if isinstance(p, TextPart) and (b := enc.text(p))]
            extra = {k: v for k, v in msg.extra.items() if k != INLINE_SYSTEM}
            turns.append(
                {"role": "system", "results": [], "blocks": inline, "extra": extra, "count": 1}
            )
            continue
        if msg.role in ("system", "developer"):
            for part in msg.parts:
                if isinstance(part, TextPart) and (block := enc.text(part)) is not None:
                    system_blocks.append(block)
                elif not isinstance(part, TextPart):
                    policy.drop("non-text system content", FMT, "system takes text only")
            system_string = bool(msg.extra.get(STRING_FORM)) or not native
            continue
        role = "assistant" if msg.role == "assistant" else "user"
        results: list[dict[str, Any]] = []
        blocks: list[dict[str, Any]] = []
        if role == "assistant":
            blocks = enc.assistant(msg.parts)
        else:
            for part in msg.parts:
                if isinstance(part, ToolResultPart):
                    results.append(enc.tool_result(part))
                elif isinstance(part, TextPart):
                    if (block := enc.text(part)) is not None:
                        blocks.append(block)
                elif isinstance(part, ImagePart):
                    blocks.append(enc.image(part))
                else:
                    policy.drop(f"{type(part).__name__} in a user turn", FMT, "not allowed there")
        if not results and not blocks:
            policy.drop(f"empty {msg.role} message", FMT, "Anthropic rejects empty content")
            continue
        if turns and turns[-1]["role"] == role:
            last = turns[-1]
            last["results"].extend(results)
            last["blocks"].extend(blocks)
            last["count"] += 1
            last["extra"] = {**msg.extra, **last["extra"]}
        else:
            turns.append(
                {"role": role, "results": results, "blocks": blocks, "extra": msg.extra, "count": 1}
            )
    out = [_turn(t, native) for t in turns]
    system: Any = None
    if system_blocks:
        single = len(system_blocks) == 1 and set(system_blocks[0]) == {"type", "text"}
        system = system_blocks[0]["text"] if single and system_string else system_blocks
    return system, out


def _turn(turn: dict[str, Any], native: bool) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = turn["results"] + turn["blocks"]
    extra: dict[str, Any] = turn["extra"]
    content: Any = blocks
    single = len(blocks) == 1 and set(blocks[0]) == {"type", "text"}
    if single and turn["count"] == 1 and (extra.get(STRING_FORM) or not native):
        content = blocks[0]["text"]
    out: dict[str, Any] = {"role": turn["role"], "content": content}
    return put_extra(out, extra) if native else out


def _encode_sampling(
    request: Request, body: dict[str, Any], native: bool, thinking_on: bool
) -> None:
    temperature, top_p, top_k = request.temperature, request.top_p, request.top_k
    if thinking_on and not native:
        if temperature is not None and temperature != 1:
            policy.drop("temperature", FMT, "not adjustable while thinking")
            temperature = None
        if top_k is not None:
            policy.drop("top_k", FMT, "not adjustable while thinking")
            top_k = None
        if top_p is not None and top_p < 0.95:
            policy.drop("top_p", FMT, "must be at least 0.95 while thinking")
            top_p = None
    if temperature is not None:
        body["temperature"] = temperature
    if top_p is not None:
        body["top_p"] = top_p
    if top_k is not None:
        body["top_k"] = top_k
    if request.stop is not None:
        body["stop_sequences"] = list(request.stop)
