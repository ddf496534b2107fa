"""Anthropic request options ⇄ canonical: tools, tool_choice, and thinking / effort.

See request.py for the mapping decisions (thinking budget, adaptive, effort).
"""

from __future__ import annotations

from typing import Any, Literal

from daemon.errors import InvalidRequest
from daemon.formats import policy
from daemon.formats.anthropic.blocks import (
    FMT,
    opt_str,
    put_extra,
    req_dict,
    req_str,
    rest,
)
from daemon.formats.reasoning import budget_for_effort
from daemon.model import ReasoningConfig, Request, ResponseFormat, Tool, ToolChoice

MIN_THINKING_BUDGET = 1024
WEB_SEARCH_TYPE = "web_search_20250305"

_Mode = Literal["auto", "none", "required", "tool"]
_CHOICE_OF_TYPE: dict[str, _Mode] = {
    "auto": "auto",
    "any": "required",
    "tool": "tool",
    "none": "none",
}
_TYPE_OF_CHOICE: dict[str, str] = {v: k for k, v in _CHOICE_OF_TYPE.items()}


def decode_tool(tool: Any, path: str) -> Tool:
    tool = req_dict(tool, path)
    name = req_str(tool, "name", path)
    ttype = tool.get("type")
    if ttype in (None, "custom"):
        schema = tool.get("input_schema")
        if not isinstance(schema, dict):
            raise InvalidRequest(f"{path}.input_schema must be an object", param=path)
        strict = tool.get("strict")
        return Tool(
            name=name,
            description=opt_str(tool, "description", path),
            parameters=schema,
            strict=strict if isinstance(strict, bool) else None,
            extra=rest(tool, ("name", "description", "input_schema", "strict")),
        )
    if not isinstance(ttype, str):
        raise InvalidRequest(f"{path}.type must be a string", param=f"{path}.type")
    kind, _, version = ttype.rpartition("_")
    if not (kind and version.isdigit()):
        kind = ttype
    return Tool(name=name, kind=kind, extra=rest(tool, ("name",)))


def decode_tool_choice(choice: Any, req: Request) -> None:
    if choice is None:
        return
    choice = req_dict(choice, "tool_choice")
    ctype = choice.get("type")
    if not isinstance(ctype, str) or ctype not in _CHOICE_OF_TYPE:
        raise InvalidRequest(
            "tool_choice.type must be auto, any, tool or none", param="tool_choice"
        )
    name = req_str(choice, "name", "tool_choice") if ctype == "tool" else None
    req.tool_choice = ToolChoice(mode=_CHOICE_OF_TYPE[ctype], name=name)
    disable = choice.get("disable_parallel_tool_use")
    if disable is not None:
        if not isinstance(disable, bool):
            raise InvalidRequest("tool_choice.disable_parallel_tool_use must be a boolean")
        req.parallel_tool_calls = not disable


def decode_thinking(body: dict[str, Any], req: Request) -> None:
    reasoning: ReasoningConfig | None = None
    if "thinking" in body:
        thinking = req_dict(body["thinking"], "thinking")
        ttype = thinking.get("type")
        reasoning = ReasoningConfig()
        if ttype == "enabled":
            budget = thinking.get("budget_tokens")
            if not isinstance(budget, int) or isinstance(budget, bool):
                raise InvalidRequest("thinking.budget_tokens must be an integer")
            reasoning.budget_tokens = budget
        elif ttype == "adaptive":
            reasoning.budget_tokens = -1
        elif ttype == "disabled":
            reasoning.budget_tokens = 0
        else:
            raise InvalidRequest("thinking.type must be enabled, adaptive or disabled")
        display = thinking.get("display")
        if display in ("summarized", "omitted"):
            reasoning.include_thoughts = display == "summarized"
        req.extra["thinking"] = rest(thinking, ("type", "budget_tokens"))
    if "output_config" in body:
        config = req_dict(body["output_config"], "output_config")
        effort = opt_str(config, "effort", "output_config")
        if effort is not None:
            reasoning = reasoning or ReasoningConfig()
            reasoning.effort = effort
        fmt = config.get("format")
        if fmt is not None:
            fmt = req_dict(fmt, "output_config.format")
            if fmt.get("type") != "json_schema" or not isinstance(fmt.get("schema"), dict):
                raise InvalidRequest("output_config.format must be a json_schema with a schema")
            req.response_format = ResponseFormat(type="json_schema", schema=fmt["schema"])
            if len(fmt) > 2:
                req.extra["_output_format"] = rest(fmt, ("type", "schema"))
        req.extra["output_config"] = rest(config, ("effort", "format"))
    req.reasoning = reasoning


def encode_tool(tool: Tool, native: bool) -> dict[str, Any] | None:
    if tool.kind == "function":
        out: dict[str, Any] = {"name": tool.name}
        if tool.description is not None:
            out["description"] = tool.description
        out["input_schema"] = tool.parameters or {"type": "object", "properties": {}}
        if tool.strict is not None:
            out["strict"] = tool.strict
        return put_extra(out, tool.extra) if native else out
    if native and isinstance(tool.extra.get("type"), str):
        return put_extra({"name": tool.name}, tool.extra)
    if tool.kind == "web_search":
        return {"type": WEB_SEARCH_TYPE, "name": "web_search"}
    policy.drop(f"tool {tool.kind}", FMT, "no Anthropic built-in of that kind")
    return None


def encode_tool_choice(
    request: Request, body: dict[str, Any], native: bool, thinking_on: bool
) -> None:
    choice = request.tool_choice
    out: dict[str, Any] | None = None
    if choice is not None:
        if not request.tools and not native:
            policy.drop("tool_choice", FMT, "no tools were given")
            return
        out = {"type": _TYPE_OF_CHOICE[choice.mode]}
        if choice.mode == "tool":
            out["name"] = choice.name or ""
        if thinking_on and choice.mode in ("required", "tool") and not native:
            policy.drop("forced tool_choice", FMT, "thinking cannot force tool use; using auto")
            out = {"type": "auto"}
    if request.parallel_tool_calls is not None and (request.tools or native):
        if out is None and request.parallel_tool_calls is False:
            out = {"type": "auto"}
        if out is not None and out["type"] != "none":
            out["disable_parallel_tool_use"] = not request.parallel_tool_calls
    if out is not None:
        body["tool_choice"] = out


def encode_thinking(request: Request, native: bool) -> tuple[dict[str, Any] | None, int | None]:
    """The `thinking` object and its budget (None: no thinking object)."""
    r = request.reasoning
    if r is None:
        return None, None
    budget = r.budget_tokens
    if budget is None:
        if r.effort is None or native:
            return None, None
        budget = budget_for_effort(r.effort)
        if budget is None:
            policy.drop(f"reasoning effort {r.effort}", FMT, "unknown effort level; medium used")
            budget = budget_for_effort("medium")
    if budget == 0:
        return {"type": "disabled"}, 0
    if budget is None or budget < 0:
        if native:
            return {"type": "adaptive"}, None
        budget = budget_for_effort("medium")
    assert budget is not None
    if not native and budget < MIN_THINKING_BUDGET:
        budget = MIN_THINKING_BUDGET
    return {"type": "enabled", "budget_tokens": budget}, budget
