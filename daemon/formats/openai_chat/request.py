"""Chat Completions request bodies ⇄ canonical `Request`.

Unknown top-level fields (n, logprobs, penalties, logit_bias, metadata, store, modalities, ...)
stay in `Request.extra` and are written back only for a same-format upstream; encoding a request
that came from another format never invents them.
"""

from __future__ import annotations

from typing import Any

from daemon.formats.openai_chat._common import (
    NOTE,
    bad,
    notes_of,
    opt_bool,
    opt_float,
    opt_int,
    opt_str,
    unknown,
    want_dict,
    want_list,
    want_str,
    wire_extra,
    with_notes,
)
from daemon.formats.openai_chat.messages import FMT, decode_messages, encode_messages
from daemon.formats.policy import drop
from daemon.formats.reasoning import OPENAI_EFFORTS, effort_for_budget, effort_within
from daemon.model import (
    Message,
    ReasoningConfig,
    Request,
    ResponseFormat,
    Tool,
    ToolChoice,
    WireFormat,
)

_KNOWN = frozenset(
    {
        "model",
        "messages",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "max_tokens",
        "max_completion_tokens",
        "temperature",
        "top_p",
        "top_k",  # not OpenAI's, but vLLM / Qwen-style upstreams take it
        "stop",
        "seed",
        "response_format",
        "reasoning_effort",
        "stream",
        "stream_options",
        "user",
    }
)
_CHOICE_MODES = frozenset({"none", "auto", "required"})


# --------------------------------------------------------------------------- decode


def decode_request(body: dict[str, Any]) -> Request:
    body = want_dict(body, "body")
    notes: dict[str, Any] = {}
    nulls = sorted(k for k in _KNOWN if k in body and body[k] is None)
    if nulls:
        notes["nulls"] = nulls
    max_tokens = opt_int(body.get("max_tokens"), "max_tokens")
    max_completion = opt_int(body.get("max_completion_tokens"), "max_completion_tokens")
    if max_completion is not None:
        notes["max_tokens_field"] = "max_completion_tokens"
        if max_tokens is not None:
            notes["max_tokens"] = max_tokens
        max_tokens = max_completion
    stop = body.get("stop")
    if isinstance(stop, str):
        notes["stop_string"] = True
        stop = [stop]
    elif stop is not None:
        stop = [want_str(s, f"stop[{i}]") for i, s in enumerate(want_list(stop, "stop"))]
    stream = opt_bool(body.get("stream"), "stream")
    if stream is False:
        notes["stream_false"] = True
    include_usage = None
    if body.get("stream_options") is not None:
        options = want_dict(body["stream_options"], "stream_options")
        include_usage = opt_bool(options.get("include_usage"), "stream_options.include_usage")
        more = unknown(options, frozenset({"include_usage"}))
        if more or include_usage is None:
            notes["stream_options"] = more
    effort = opt_str(body.get("reasoning_effort"), "reasoning_effort")
    tools = _decode_tools(body.get("tools"), notes)
    messages = decode_messages(body.get("messages"))
    return Request(
        model=want_str(body.get("model"), "model"),
        messages=messages,
        tools=tools,
        tool_choice=_decode_tool_choice(body.get("tool_choice"), notes),
        parallel_tool_calls=opt_bool(body.get("parallel_tool_calls"), "parallel_tool_calls"),
        max_tokens=max_tokens,
        temperature=opt_float(body.get("temperature"), "temperature"),
        top_p=opt_float(body.get("top_p"), "top_p"),
        top_k=opt_int(body.get("top_k"), "top_k"),
        stop=stop,
        seed=opt_int(body.get("seed"), "seed"),
        response_format=_decode_response_format(body.get("response_format"), notes),
        reasoning=ReasoningConfig(effort=effort) if effort is not None else None,
        stream=bool(stream),
        include_usage=include_usage,
        user=opt_str(body.get("user"), "user"),
        source_format=WireFormat.OPENAI_CHAT,
        same_format_only=_same_format_only(messages),
        extra=with_notes(unknown(body, _KNOWN), notes),
    )


def _same_format_only(messages: list[Message]) -> list[str]:
    """Content parts (input_audio, file, …) and tool calls (custom, …) kept raw in notes."""
    found: list[str] = []
    for i, message in enumerate(messages):  # one canonical message per chat message
        notes = notes_of(message.extra)
        for j, raw in notes.get("foreign", []):
            found.append(f"messages[{i}].content[{j}] ({raw.get('type')})")
        for j, raw in notes.get("foreign_calls", []):
            found.append(f"messages[{i}].tool_calls[{j}] ({raw.get('type')})")
    return found


def _decode_tools(value: Any, notes: dict[str, Any]) -> list[Tool]:
    if value is None:
        return []
    items = want_list(value, "tools")
    if not items:
        notes["empty_tools"] = True
    tools: list[Tool] = []
    for i, item in enumerate(items):
        where = f"tools[{i}]"
        item = want_dict(item, where)
        kind = want_str(item.get("type", "function"), f"{where}.type")
        if kind != "function":
            spec = item.get(kind)
            name = spec.get("name") if isinstance(spec, dict) else None
            tools.append(
                Tool(name=str(name or kind), kind=kind, extra={NOTE: {"raw": item}}),
            )
            continue
        fn = want_dict(item.get("function"), f"{where}.function")
        parameters = fn.get("parameters")
        if parameters is not None:
            parameters = want_dict(parameters, f"{where}.function.parameters")
        tool_notes: dict[str, Any] = {}
        more = unknown(fn, frozenset({"name", "description", "parameters", "strict"}))
        if more:
            tool_notes["function"] = more
        if "type" not in item:
            tool_notes["no_type"] = True
        tools.append(
            Tool(
                name=want_str(fn.get("name"), f"{where}.function.name"),
                description=opt_str(fn.get("description"), f"{where}.function.description"),
                parameters=parameters,
                strict=opt_bool(fn.get("strict"), f"{where}.function.strict"),
                extra=with_notes(unknown(item, frozenset({"type", "function"})), tool_notes),
            )
        )
    return tools


def _decode_tool_choice(value: Any, notes: dict[str, Any]) -> ToolChoice | None:
    if value is None:
        return None
    if isinstance(value, str):
        if value not in _CHOICE_MODES:
            raise bad("tool_choice", "must be none, auto, required or a function object")
        return ToolChoice(mode=value)  # type: ignore[arg-type]
    choice = want_dict(value, "tool_choice")
    fn = choice.get("function")
    if (
        choice.get("type") == "function"
        and isinstance(fn, dict)
        and len(choice) == len(fn) + 1 == 2
    ):
        return ToolChoice(mode="tool", name=want_str(fn.get("name"), "tool_choice.function"))
    notes["tool_choice"] = choice  # allowed_tools, custom, ...: same-format only
    return None


def _decode_response_format(value: Any, notes: dict[str, Any]) -> ResponseFormat | None:
    if value is None:
        return None
    raw = want_dict(value, "response_format")
    kind = raw.get("type")
    if kind in ("text", "json_object") and len(raw) == 1:
        return ResponseFormat(type=kind)
    if kind != "json_schema":
        notes["response_format"] = raw
        return None
    spec = want_dict(raw.get("json_schema"), "response_format.json_schema")
    schema = spec.get("schema")
    if schema is not None:
        schema = want_dict(schema, "response_format.json_schema.schema")
    more = unknown(spec, frozenset({"name", "schema", "strict"}))
    outer = unknown(raw, frozenset({"type", "json_schema"}))
    if more or outer:
        notes["json_schema"] = [outer, more]
    return ResponseFormat(
        type="json_schema",
        name=opt_str(spec.get("name"), "response_format.json_schema.name"),
        schema=schema,
        strict=opt_bool(spec.get("strict"), "response_format.json_schema.strict"),
    )


# --------------------------------------------------------------------------- encode


def encode_request(request: Request) -> dict[str, Any]:
    same = request.source_format == WireFormat.OPENAI_CHAT
    notes = notes_of(request.extra) if same else {}
    out: dict[str, Any] = {
        "model": request.model,
        "messages": encode_messages(request.messages, same),
    }
    tools = [t for t in (_encode_tool(tool, same) for tool in request.tools) if t is not None]
    if tools or notes.get("empty_tools"):
        out["tools"] = tools
    if request.tool_choice is not None:
        out["tool_choice"] = _encode_tool_choice(request.tool_choice)
    elif "tool_choice" in notes:
        out["tool_choice"] = notes["tool_choice"]
    if request.parallel_tool_calls is not None:
        out["parallel_tool_calls"] = request.parallel_tool_calls
    if request.max_tokens is not None:
        out[notes.get("max_tokens_field", "max_tokens")] = request.max_tokens
        if "max_tokens" in notes:
            out["max_tokens"] = notes["max_tokens"]
    _put(out, "temperature", request.temperature)
    _put(out, "top_p", request.top_p)
    if request.top_k is not None:
        if same:
            out["top_k"] = request.top_k
        else:
            drop("top_k", FMT, "Chat Completions has no top_k")
    if request.stop is not None:
        stop = request.stop
        out["stop"] = stop[0] if notes.get("stop_string") and len(stop) == 1 else stop
    _put(out, "seed", request.seed)
    if request.response_format is not None:
        out["response_format"] = _encode_response_format(request.response_format, notes, same)
    elif "response_format" in notes:
        out["response_format"] = notes["response_format"]
    _encode_reasoning(request.reasoning, out, same)
    if request.stream:
        out["stream"] = True
    elif notes.get("stream_false"):
        out["stream"] = False
    _encode_stream_options(request, out, notes, same)
    _put(out, "user", request.user)
    if same:
        for key in notes.get("nulls", ()):
            out.setdefault(key, None)
        out.update(wire_extra(request.extra))
    return out


def _put(out: dict[str, Any], key: str, value: object) -> None:
    if value is not None:
        out[key] = value


def _encode_tool(tool: Tool, same: bool) -> dict[str, Any] | None:
    notes = notes_of(tool.extra) if same else {}
    if tool.kind != "function":
        if "raw" in notes:
            raw: dict[str, Any] = notes["raw"]
            return raw
        drop(f"tools[type={tool.kind}]", FMT, "Chat Completions has no built-in tools")
        return None
    fn: dict[str, Any] = {"name": tool.name}
    _put(fn, "description", tool.description)
    _put(fn, "parameters", tool.parameters)
    _put(fn, "strict", tool.strict)
    fn.update(notes.get("function", {}))
    out: dict[str, Any] = {} if notes.get("no_type") else {"type": "function"}
    out["function"] = fn
    if same:
        out.update(wire_extra(tool.extra))
    return out


def _encode_tool_choice(choice: ToolChoice) -> str | dict[str, Any]:
    if choice.mode == "tool":
        return {"type": "function", "function": {"name": choice.name or ""}}
    return choice.mode


def _encode_response_format(
    fmt: ResponseFormat, notes: dict[str, Any], same: bool
) -> dict[str, Any]:
    if fmt.type != "json_schema":
        return {"type": fmt.type}
    spec: dict[str, Any] = {}
    if fmt.name is not None or not same:
        spec["name"] = fmt.name or "response"  # required by OpenAI
    if fmt.schema is not None or not same:
        spec["schema"] = fmt.schema if fmt.schema is not None else {}
    _put(spec, "strict", fmt.strict)
    outer, more = notes.get("json_schema", [{}, {}])
    spec.update(more)
    return {"type": "json_schema", "json_schema": spec, **outer}


def _encode_reasoning(reasoning: ReasoningConfig | None, out: dict[str, Any], same: bool) -> None:
    if reasoning is None:
        return
    effort = reasoning.effort
    if effort is None and reasoning.budget_tokens is not None:
        effort = effort_for_budget(reasoning.budget_tokens)
    if effort is not None and not same:
        known = effort_within(effort, OPENAI_EFFORTS)  # e.g. Anthropic "max" → "xhigh"
        if known is None:
            drop(f"reasoning effort {effort!r}", FMT, "not an OpenAI reasoning_effort level")
        effort = known
    if effort is not None:
        out["reasoning_effort"] = effort
    if not same and reasoning.include_thoughts is not None:
        drop("reasoning.include_thoughts", FMT, "chat has no switch for visible reasoning")
    if not same and reasoning.summary is not None:
        drop("reasoning.summary", FMT, "chat has no reasoning summaries")


def _encode_stream_options(
    request: Request, out: dict[str, Any], notes: dict[str, Any], same: bool
) -> None:
    include = request.include_usage
    if not same and request.stream and include is None:
        include = True  # a client of another format needs usage at the end of the stream
    if include is None and "stream_options" not in notes:
        return
    if not request.stream and not same:
        return  # OpenAI rejects stream_options without stream
    options: dict[str, Any] = dict(notes.get("stream_options", {}))
    if include is not None:
        options["include_usage"] = include
    out["stream_options"] = options
