"""Responses request bodies ⇄ canonical `Request`.

Tools: `function` tools are flat; Codex `namespace` tools group functions, which are flattened
into canonical function tools named `joined_tool_name(namespace, name)` (the grouping stays in the
marker, so the same-format encoder regroups them and calls map back to `namespace` + `name`).
`web_search` / `web_search_preview` become kind "web_search"; other built-ins keep their type
as `kind` and travel raw (other formats drop or reject them).
"""

from __future__ import annotations

from typing import Any

from daemon.formats import policy
from daemon.formats.openai_responses.common import (
    FMT,
    MARK,
    as_dict,
    as_list,
    fail,
    joined_tool_name,
    marker,
    opt_bool,
    opt_float,
    opt_int,
    opt_str,
    req_str,
    rest,
    wire_extra,
)
from daemon.formats.openai_responses.items_decode import decode_input
from daemon.formats.openai_responses.items_encode import encode_input, namespace_map
from daemon.formats.reasoning import OPENAI_EFFORTS, effort_for_budget, effort_within
from daemon.model import (
    Message,
    ReasoningConfig,
    Request,
    ResponseFormat,
    TextPart,
    Tool,
    ToolChoice,
    WireFormat,
)

_KNOWN = frozenset(
    {
        "model",
        "input",
        "instructions",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "max_output_tokens",
        "temperature",
        "top_p",
        "reasoning",
        "text",
        "stream",
        "user",
    }
)
_FUNCTION_KEYS = frozenset({"type", "name", "description", "parameters", "strict"})
_NAMESPACE_KEYS = frozenset({"type", "name", "tools"})
_WEB_SEARCH = frozenset({"web_search", "web_search_preview", "web_search_2025_08_26"})
_FORMAT_KEYS = frozenset({"type", "name", "schema", "strict"})


# --------------------------------------------------------------------------- decode


def decode_request(body: dict[str, Any]) -> Request:
    body = as_dict(body, "body")
    mark: dict[str, Any] = {}
    request = Request(model=req_str(body, "model", ""), source_format=FMT)
    messages: list[Message] = []
    instructions = opt_str(body, "instructions", "")
    if instructions is not None:
        messages.append(
            Message(
                role="system",
                parts=[TextPart(text=instructions)],
                extra={MARK: {"instructions": True}},
            )
        )
    if "input" not in body:
        mark["no_input"] = True
    else:
        decoded, same_only = decode_input(body["input"])
        messages.extend(decoded)
        if isinstance(body["input"], str):
            mark["input_string"] = True
        request.same_format_only = same_only
    request.messages = messages
    if body.get("tools") is not None:
        request.tools = decode_tools(body["tools"])
    if body.get("tool_choice") is not None:
        request.tool_choice = _decode_tool_choice(body["tool_choice"], mark)
    request.parallel_tool_calls = opt_bool(body, "parallel_tool_calls", "")
    request.max_tokens = opt_int(body, "max_output_tokens", "")
    request.temperature = opt_float(body, "temperature", "")
    request.top_p = opt_float(body, "top_p", "")
    if body.get("reasoning") is not None:
        raw = as_dict(body["reasoning"], "reasoning")
        request.reasoning = ReasoningConfig(
            effort=opt_str(raw, "effort", "reasoning"), summary=opt_str(raw, "summary", "reasoning")
        )
        mark["reasoning"] = rest(raw, frozenset({"effort", "summary"}))
    if body.get("text") is not None:
        request.response_format = _decode_text(as_dict(body["text"], "text"), mark)
    stream = opt_bool(body, "stream", "")
    request.stream = bool(stream)
    if "stream" in body:
        mark["stream"] = body["stream"]
    request.user = opt_str(body, "user", "")
    request.extra = rest(body, _KNOWN)
    nulls = [key for key in _KNOWN if key in body and body[key] is None]
    if nulls:
        mark["nulls"] = nulls
    request.extra[MARK] = mark
    return request


def same_format_only(request: Request) -> list[str]:
    """Paths of input content only a Responses upstream understands (empty when none):
    `Request.same_format_only` of a request decoded here."""
    return list(request.same_format_only) if request.source_format == FMT else []


def ensure_translatable(request: Request, target: WireFormat) -> None:
    """Raise the policy error when `request` holds Responses-only content bound elsewhere
    (kept for callers of this codec; `policy.check_translatable` is the general form)."""
    policy.check_translatable(request, target)


def decode_tools(raw: Any) -> list[Tool]:
    tools: list[Tool] = []
    for i, entry in enumerate(as_list(raw, "tools")):
        where = f"tools[{i}]"
        tool = as_dict(entry, where)
        kind = tool.get("type")
        if kind == "function":
            tools.append(_decode_function(tool, where))
        elif kind == "namespace" and isinstance(tool.get("tools"), list) and tool["tools"]:
            ns = req_str(tool, "name", where)
            for j, inner in enumerate(tool["tools"]):
                at = f"{where}.tools[{j}]"
                nested = as_dict(inner, at)
                if nested.get("type") == "function":
                    flat = _decode_function(nested, at)
                else:
                    name = nested.get("name")
                    flat = Tool(
                        name=str(name or nested.get("type")),
                        kind=str(nested.get("type")),
                        extra={MARK: {"raw": nested}},
                    )
                mark = flat.extra.setdefault(MARK, {})
                mark.update({"ns": ns, "name": flat.name})
                if j == 0:
                    mark["ns_item"] = rest(tool, _NAMESPACE_KEYS)
                flat.name = joined_tool_name(ns, flat.name)
                tools.append(flat)
        elif isinstance(kind, str):
            name = tool.get("name")
            canonical_kind = "web_search" if kind in _WEB_SEARCH else kind
            tools.append(
                Tool(
                    name=name if isinstance(name, str) else kind,
                    kind=canonical_kind,
                    extra={MARK: {"raw": tool}},
                )
            )
        else:
            raise fail(f"{where}.type", "is required and must be a string")
    return tools


def _decode_function(tool: dict[str, Any], where: str) -> Tool:
    params = tool.get("parameters")
    if params is not None and not isinstance(params, dict):
        raise fail(f"{where}.parameters", "must be a JSON Schema object")
    return Tool(
        name=req_str(tool, "name", where),
        description=opt_str(tool, "description", where),
        parameters=params,
        strict=opt_bool(tool, "strict", where),
        extra=rest(tool, _FUNCTION_KEYS),
    )


def _decode_tool_choice(raw: Any, mark: dict[str, Any]) -> ToolChoice | None:
    if raw in ("auto", "none", "required"):
        return ToolChoice(mode=raw)
    if isinstance(raw, dict) and raw.get("type") == "function" and set(raw) == {"type", "name"}:
        return ToolChoice(mode="tool", name=req_str(raw, "name", "tool_choice"))
    if isinstance(raw, dict) and isinstance(raw.get("type"), str):
        mark["tool_choice"] = raw  # allowed_tools, a built-in, mcp, custom: same format only
        return None
    raise fail("tool_choice", "must be auto, none, required or a tool choice object")


def _decode_text(text: dict[str, Any], mark: dict[str, Any]) -> ResponseFormat | None:
    mark["text"] = rest(text, frozenset({"format"}))
    if text.get("format") is None:
        return None
    fmt = as_dict(text["format"], "text.format")
    kind = fmt.get("type")
    if kind not in ("text", "json_object", "json_schema"):
        raise fail("text.format.type", "must be text, json_object or json_schema")
    schema = fmt.get("schema")
    if schema is not None and not isinstance(schema, dict):
        raise fail("text.format.schema", "must be a JSON Schema object")
    mark["format"] = rest(fmt, _FORMAT_KEYS)
    return ResponseFormat(
        type=kind,
        name=opt_str(fmt, "name", "text.format"),
        schema=schema,
        strict=opt_bool(fmt, "strict", "text.format"),
    )


# --------------------------------------------------------------------------- encode


def encode_request(request: Request) -> dict[str, Any]:
    same = request.source_format == FMT
    mark = marker(request.extra) if same else {}
    ns = namespace_map(request.tools)
    instructions, items = encode_input(request.messages, same, ns)
    body: dict[str, Any] = {"model": request.model}
    if mark.get("input_string") and _single_text(items):
        body["input"] = items[0]["content"][0]["text"]
    elif items or not mark.get("no_input"):
        body["input"] = items
    if instructions is not None:
        body["instructions"] = instructions
    if request.tools:
        body["tools"] = encode_tools(request.tools, same)
    if isinstance(mark.get("tool_choice"), dict):
        body["tool_choice"] = mark["tool_choice"]
    elif request.tool_choice is not None:
        body["tool_choice"] = _encode_tool_choice(request.tool_choice)
    if request.parallel_tool_calls is not None:
        body["parallel_tool_calls"] = request.parallel_tool_calls
    if request.max_tokens is not None:
        body["max_output_tokens"] = request.max_tokens
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.reasoning is not None:
        body["reasoning"] = _encode_reasoning(request.reasoning, same, mark)
        effort = body["reasoning"].get("effort")
        if not same and effort != "none":
            body["include"] = ["reasoning.encrypted_content"]
    text = _encode_text(request.response_format, mark)
    if text is not None:
        body["text"] = text
    if same:
        if "stream" in mark:
            body["stream"] = mark["stream"]
        elif request.stream:
            body["stream"] = True
    else:
        body["stream"] = request.stream
    if request.user is not None:
        body["user"] = request.user
    if not same:
        # Stateless, as the other formats are: nothing refers to a stored response later, and
        # replayed reasoning travels as encrypted_content (the Codex backend requires it).
        body["store"] = False
        _drop_unsupported(request)
    else:
        for key in mark.get("nulls", []):
            body.setdefault(key, None)
        body.update(wire_extra(request.extra))
    return body


def _single_text(items: list[dict[str, Any]]) -> bool:
    """One user message holding one plain text part: what a string `input` decodes to."""
    if len(items) != 1 or items[0].get("role") != "user" or items[0].get("type") != "message":
        return False
    content = items[0].get("content")
    return (
        isinstance(content, list)
        and len(content) == 1
        and content[0] == {"type": "input_text", "text": content[0].get("text")}
    )


def _drop_unsupported(request: Request) -> None:
    if request.top_k is not None:
        policy.drop("top_k", FMT, "Responses has no top_k")
    if request.stop:
        policy.drop("stop", FMT, "Responses has no stop sequences")
    if request.seed is not None:
        policy.drop("seed", FMT, "Responses has no seed")


def encode_tools(tools: list[Tool], same: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    group: dict[str, Any] | None = None
    for tool in tools:
        mark = marker(tool.extra) if same else {}
        raw = mark.get("raw")
        if isinstance(raw, dict) and "ns" not in mark:
            out.append(raw)
            group = None
            continue
        if isinstance(raw, dict):
            entry = raw
        elif tool.kind == "function":
            entry = _encode_function(tool, same)
        elif tool.kind == "web_search":
            entry = {"type": "web_search"}
        else:
            policy.drop(f"tools[kind={tool.kind}]", FMT, "no Responses built-in matches it")
            continue
        ns = mark.get("ns")
        if isinstance(ns, str):
            entry = dict(entry)
            entry["name"] = mark.get("name", entry.get("name"))
            if group is None or group["name"] != ns or "ns_item" in mark:
                group = {"type": "namespace", "name": ns}
                group.update(mark.get("ns_item", {}))
                group["tools"] = []
                out.append(group)
            group["tools"].append(entry)
        else:
            group = None
            out.append(entry)
    return out


def _encode_function(tool: Tool, same: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": "function", "name": tool.name}
    if tool.description is not None:
        entry["description"] = tool.description
    if same:
        if tool.parameters is not None:
            entry["parameters"] = tool.parameters
        if tool.strict is not None:
            entry["strict"] = tool.strict
        entry.update(wire_extra(tool.extra))
    else:
        entry["parameters"] = tool.parameters or {"type": "object", "properties": {}}
        # Responses turns strict mode on by itself when a schema allows; other formats do not.
        entry["strict"] = bool(tool.strict)
    return entry


def _encode_tool_choice(choice: ToolChoice) -> Any:
    if choice.mode == "tool":
        if not choice.name:
            raise fail("tool_choice", "a named tool choice needs a name")
        return {"type": "function", "name": choice.name}
    return choice.mode


def _encode_reasoning(config: ReasoningConfig, same: bool, mark: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    effort = config.effort
    if effort is None and config.budget_tokens is not None and not same:
        effort = effort_for_budget(config.budget_tokens)
    if effort is not None and not same:
        known = effort_within(effort, OPENAI_EFFORTS)  # e.g. Anthropic "max" → "xhigh"
        if known is None:
            policy.drop(f"reasoning effort {effort!r}", FMT, "not a Responses effort level")
        effort = known
    if effort is not None:
        out["effort"] = effort
    summary = config.summary
    if summary is None and config.include_thoughts and not same:
        summary = "auto"
    if summary is not None:
        out["summary"] = summary
    if same and isinstance(mark.get("reasoning"), dict):
        out.update(mark["reasoning"])
    return out


def _encode_text(fmt: ResponseFormat | None, mark: dict[str, Any]) -> dict[str, Any] | None:
    text_rest = mark.get("text")
    if fmt is None:
        return dict(text_rest) if isinstance(text_rest, dict) else None
    entry: dict[str, Any] = {"type": fmt.type}
    if fmt.type == "json_schema":
        entry["name"] = fmt.name or "response"
        entry["schema"] = fmt.schema if fmt.schema is not None else {"type": "object"}
        if fmt.strict is not None:
            entry["strict"] = fmt.strict
    if isinstance(mark.get("format"), dict):
        entry.update(mark["format"])
    out: dict[str, Any] = {"format": entry}
    if isinstance(text_rest, dict):
        out.update(text_rest)
    return out
