"""Gemini request options ⇄ canonical: tools, toolConfig and generationConfig.

Effort ⇄ thinking (see daemon/formats/reasoning.py for the budget table):
- `thinkingBudget` ⇄ `budget_tokens`; `thinkingLevel` ⇄ `effort` (lower-cased).
- Encoding an effort for another format's client: Gemini 3 models get `thinkingLevel`
  (none/minimal/low → "low", medium/high/xhigh → "high", the two levels every Gemini 3 model
  accepts); other models get `thinkingBudget` from the table.
"""

from __future__ import annotations

from typing import Any

from daemon.formats import policy
from daemon.formats.gemini._wire import (
    as_dict,
    as_list,
    as_str,
    camel,
    invalid,
    opt_int,
    opt_number,
    split,
)
from daemon.formats.gemini.schema import clean_parameters, clean_schema
from daemon.formats.reasoning import budget_for_effort
from daemon.model import (
    ReasoningConfig,
    Request,
    ResponseFormat,
    Tool,
    ToolChoice,
    WireFormat,
    wire_fields,
)

GEMINI = WireFormat.GEMINI
_DECL_KEYS = frozenset({"name", "description", "parameters", "parametersJsonSchema"})
_GEN_KEYS = frozenset(
    {"temperature", "topP", "topK", "maxOutputTokens", "stopSequences", "seed"}
    | {"responseMimeType", "responseSchema", "responseJsonSchema", "thinkingConfig"}
)
_THINK_KEYS = frozenset({"thinkingBudget", "includeThoughts", "thinkingLevel"})
_FCC_KEYS = frozenset({"mode", "allowedFunctionNames"})
_BUILTIN_KIND = {"googleSearch": "web_search", "codeExecution": "code_execution"}
_BUILTIN_KEY = {kind: key for key, kind in _BUILTIN_KIND.items()}
_LOW_LEVEL = frozenset({"none", "minimal", "low"})


# --------------------------------------------------------------------------- tools


def decode_tools(raw: Any) -> list[Tool]:
    tools: list[Tool] = []
    for i, item in enumerate(as_list(raw, "tools")):
        for key, value in as_dict(item, f"tools[{i}]").items():
            name = camel(key)
            if name == "functionDeclarations":
                for j, decl in enumerate(as_list(value, f"tools[{i}].functionDeclarations")):
                    tools.append(_declaration(decl, f"tools[{i}].functionDeclarations[{j}]"))
                continue
            kind = _BUILTIN_KIND.get(name) or _snake(name)
            config = value if isinstance(value, dict) else {}
            tools.append(
                Tool(name=kind, kind=kind, extra={"_gemini_key": key, "_gemini_config": config})
            )
    return tools


def _declaration(raw: Any, where: str) -> Tool:
    decl, extra = split(as_dict(raw, where), _DECL_KEYS)
    description = decl.get("description")
    schema = decl.get("parametersJsonSchema")
    if schema is not None:
        extra["_gemini_schema_key"] = "parametersJsonSchema"
    else:
        schema = decl.get("parameters")
    return Tool(
        name=as_str(decl.get("name"), f"{where}.name"),
        description=None if description is None else as_str(description, f"{where}.description"),
        parameters=None if schema is None else as_dict(schema, f"{where}.parameters"),
        extra=extra,
    )


def encode_tools(tools: list[Tool], same: bool) -> list[dict[str, Any]]:
    """Functions share one tool object; each built-in sits in a tool object of its own."""
    functions: list[dict[str, Any]] = []
    builtins: list[dict[str, Any]] = []
    for i, tool in enumerate(tools):
        if tool.kind == "function":
            functions.append(_encode_declaration(tool, same, f"tools[{i}]"))
        elif same and "_gemini_key" in tool.extra:
            builtins.append({tool.extra["_gemini_key"]: tool.extra.get("_gemini_config") or {}})
        elif tool.kind in _BUILTIN_KEY:
            builtins.append({_BUILTIN_KEY[tool.kind]: {}})
        else:
            policy.drop(f"tools[kind={tool.kind}]", GEMINI, "no Gemini built-in matches it")
    return ([{"functionDeclarations": functions}] if functions else []) + builtins


def _encode_declaration(tool: Tool, same: bool, where: str) -> dict[str, Any]:
    decl: dict[str, Any] = {"name": tool.name}
    if tool.description is not None:
        decl["description"] = tool.description
    if tool.strict:
        policy.drop(f"{where}.strict", GEMINI, "Gemini has no strict function schemas")
    if same:
        if tool.parameters is not None:
            decl[tool.extra.get("_gemini_schema_key", "parameters")] = tool.parameters
        decl.update(wire_fields(tool.extra))
    else:
        params = clean_parameters(tool.parameters)
        if params is not None:
            decl["parameters"] = params
    return decl


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


# --------------------------------------------------------------------------- tool choice


def decode_tool_choice(raw: Any, request: Request) -> None:
    config = as_dict(raw, "toolConfig")
    known, extra = split(config, frozenset({"functionCallingConfig"}))
    if extra:
        request.extra["toolConfig"] = extra
    if "functionCallingConfig" not in known:
        return
    fcc = as_dict(known["functionCallingConfig"], "toolConfig.functionCallingConfig")
    found, _ = split(fcc, _FCC_KEYS)
    mode = str(found.get("mode") or "AUTO").upper()
    names = found.get("allowedFunctionNames") or []
    if mode == "NONE":
        choice = ToolChoice("none")
    elif mode == "ANY" and isinstance(names, list) and len(names) == 1:
        choice = ToolChoice("tool", as_str(names[0], "allowedFunctionNames[0]"))
    elif mode == "ANY":
        choice = ToolChoice("required")
    else:
        choice = ToolChoice("auto")
    request.tool_choice = choice
    if encode_tool_choice(choice) != fcc:
        request.extra["_gemini_fcc"] = fcc  # VALIDATED, several names, snake keys…


def encode_tool_choice(choice: ToolChoice) -> dict[str, Any]:
    if choice.mode == "none":
        return {"mode": "NONE"}
    if choice.mode == "required":
        return {"mode": "ANY"}
    if choice.mode == "tool" and choice.name:
        return {"mode": "ANY", "allowedFunctionNames": [choice.name]}
    return {"mode": "AUTO"}


# --------------------------------------------------------------------------- generation config


def decode_generation(raw: Any, request: Request) -> None:
    gen, extra = split(as_dict(raw, "generationConfig"), _GEN_KEYS)
    where = "generationConfig"
    request.temperature = opt_number(gen.get("temperature"), f"{where}.temperature")
    request.top_p = opt_number(gen.get("topP"), f"{where}.topP")
    request.top_k = opt_int(gen.get("topK"), f"{where}.topK")
    request.max_tokens = opt_int(gen.get("maxOutputTokens"), f"{where}.maxOutputTokens")
    request.seed = opt_int(gen.get("seed"), f"{where}.seed")
    if "stopSequences" in gen:
        stops = as_list(gen["stopSequences"], f"{where}.stopSequences")
        request.stop = [as_str(s, f"{where}.stopSequences[]") for s in stops]
    mime = gen.get("responseMimeType")
    if mime == "application/json":
        if gen.get("responseJsonSchema") is not None:
            schema = as_dict(gen["responseJsonSchema"], f"{where}.responseJsonSchema")
            request.extra["_gemini_schema_key"] = "responseJsonSchema"
            request.response_format = ResponseFormat("json_schema", schema=schema)
        elif gen.get("responseSchema") is not None:
            schema = as_dict(gen["responseSchema"], f"{where}.responseSchema")
            request.response_format = ResponseFormat("json_schema", schema=schema)
        else:
            request.response_format = ResponseFormat("json_object")
    elif mime == "text/plain" and not gen.get("responseSchema"):
        request.response_format = ResponseFormat("text")
    else:  # enum output (text/x.enum) and the like: only Gemini can express it
        for key in ("responseMimeType", "responseSchema", "responseJsonSchema"):
            if key in gen:
                extra[key] = gen[key]
    if "thinkingConfig" in gen:
        raw_think = as_dict(gen["thinkingConfig"], f"{where}.thinkingConfig")
        think, think_extra = split(raw_think, _THINK_KEYS)
        if think_extra:
            extra["thinkingConfig"] = think_extra
        level = think.get("thinkingLevel")
        include = think.get("includeThoughts")
        if include is not None and not isinstance(include, bool):
            raise invalid(f"{where}.thinkingConfig.includeThoughts must be a boolean")
        effort = None if level is None else as_str(level, "thinkingLevel").lower()
        if level is not None and level != effort:
            request.extra["_gemini_thinking_level"] = level
        request.reasoning = ReasoningConfig(
            effort=effort,
            budget_tokens=opt_int(think.get("thinkingBudget"), "thinkingConfig.thinkingBudget"),
            include_thoughts=include,
        )
    if extra:
        request.extra["generationConfig"] = extra


def encode_generation(request: Request, same: bool) -> dict[str, Any]:
    gen: dict[str, Any] = {}
    if request.temperature is not None:
        gen["temperature"] = request.temperature
    if request.top_p is not None:
        gen["topP"] = request.top_p
    if request.top_k is not None:
        gen["topK"] = request.top_k
    if request.max_tokens is not None:
        gen["maxOutputTokens"] = request.max_tokens
    if request.stop is not None:
        gen["stopSequences"] = list(request.stop)
    if request.seed is not None:
        gen["seed"] = request.seed
    fmt = request.response_format
    if fmt is not None:
        if fmt.type == "text":
            gen["responseMimeType"] = "text/plain"
        else:
            gen["responseMimeType"] = "application/json"
        if fmt.type == "json_schema" and fmt.schema is not None:
            if same:
                gen[request.extra.get("_gemini_schema_key", "responseSchema")] = fmt.schema
            else:
                gen["responseSchema"] = clean_schema(fmt.schema)
        if not same and (fmt.name or fmt.strict):
            policy.drop("response_format.name/strict", GEMINI, "Gemini schemas have neither")
    if request.reasoning is not None:
        gen["thinkingConfig"] = _encode_thinking(request.reasoning, request, same)
    if same:
        for key, value in (request.extra.get("generationConfig") or {}).items():
            if key == "thinkingConfig" and isinstance(value, dict):
                gen["thinkingConfig"] = {**gen.get("thinkingConfig", {}), **value}
            else:
                gen.setdefault(key, value)
    return gen


def _encode_thinking(reasoning: ReasoningConfig, request: Request, same: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if reasoning.budget_tokens is not None:
        out["thinkingBudget"] = reasoning.budget_tokens
    if reasoning.effort is not None and (same or reasoning.budget_tokens is None):
        if same:
            out["thinkingLevel"] = request.extra.get("_gemini_thinking_level", reasoning.effort)
        elif "gemini-3" in request.model.lower():
            out["thinkingLevel"] = "low" if reasoning.effort in _LOW_LEVEL else "high"
        else:
            budget = budget_for_effort(reasoning.effort)
            if budget is None:
                policy.drop(f"reasoning effort {reasoning.effort!r}", GEMINI, "unknown level")
            else:
                out["thinkingBudget"] = budget
    if reasoning.include_thoughts is not None:
        out["includeThoughts"] = reasoning.include_thoughts
    elif reasoning.summary is not None and not same:
        # A Responses client asking for reasoning summaries gets Gemini's thought summaries
        # (the Responses encoder maps includeThoughts to summary "auto" the other way).
        out["includeThoughts"] = reasoning.summary != "none"
    return out
