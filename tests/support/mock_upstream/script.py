"""The format-neutral part of the mock: what the model name scripts, and the reply it produces.

Every wire format extracts a `Conversation` from its request, `plan()` turns it into a `Reply`, and
the format renders that reply in its own shapes. Replies are hashable so rendered bytes can be
cached; per-response ids are written as `ID` and substituted when a response is sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson

# Stands for the per-response id in rendered bytes; replaced by 24 random hex characters.
ID = "MOCKID0000PLACEHOLDER000"
ID_BYTES = ID.encode()

_SLOW = re.compile(r"slow-first-byte-(\d+)")
_ERROR = re.compile(r"(?<!midstream-)error-(\d{3})")
_EVENTS = re.compile(r"events-(\d+)")
_TOOL_NAME = re.compile(r"tool=([a-z0-9_]+)")


@dataclass(frozen=True, slots=True)
class Script:
    """What a model name asks of the mock (see the package docstring for the conventions)."""

    tool: bool = False
    tool_name: str = ""  # `tool=<name>`: call this tool (lower case; matched case-insensitively)
    think: bool = False
    cached: bool = False
    stall: bool = False
    reset: bool = False
    midstream_error: bool = False
    slow_first_byte_ms: int = 0
    error_status: int = 0
    events: int = 0
    no_max_tokens: bool = False


@lru_cache(maxsize=4096)
def parse_script(model: str) -> Script:
    name = model.lower()
    slow = _SLOW.search(name)
    error = _ERROR.search(name)
    events = _EVENTS.search(name)
    tool_name = _TOOL_NAME.search(name)
    return Script(
        tool="tool" in name,
        tool_name=tool_name.group(1) if tool_name else "",
        think="think" in name,
        cached="cached" in name,
        stall="stall" in name,
        reset="reset" in name,
        midstream_error="midstream-error" in name,
        slow_first_byte_ms=int(slow.group(1)) if slow else 0,
        error_status=int(error.group(1)) if error else 0,
        events=int(events.group(1)) if events else 0,
        no_max_tokens="no-max-tokens" in name,
    )


@dataclass(frozen=True, slots=True)
class Options:
    """Per-request switches a format honours when rendering (hashable, part of the cache key)."""

    include_usage: bool = False  # chat: stream_options.include_usage
    include_encrypted: bool = False  # responses: include has "reasoning.encrypted_content"
    include_thoughts: bool = False  # gemini: thinkingConfig.includeThoughts
    sse: bool = True  # gemini: alt=sse (else one incrementally streamed JSON array)


@dataclass(slots=True)
class Conversation:
    """What the scripted behaviour needs from a request, whatever its format."""

    user_text: str = ""
    tool_result: str | None = None  # set when the last message is a tool result
    tool_name: str | None = None  # the first function tool the request defined
    tool_schema: dict[str, Any] | None = None
    tools: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # every one, in order

    def add_tool(self, name: str, schema: Any) -> None:
        """Record a function tool the request defines (the first one is `tool_name`)."""
        schema = schema if isinstance(schema, dict) else None
        self.tools.setdefault(name, schema)
        if self.tool_name is None:
            self.tool_name, self.tool_schema = name, schema

    def pick_tool(self, wanted: str) -> tuple[str, dict[str, Any] | None] | None:
        """The tool to call: the one named `wanted` (any case), or the first when `wanted` is ""."""
        if not wanted:
            return (self.tool_name, self.tool_schema) if self.tool_name is not None else None
        for name, schema in self.tools.items():
            if name.lower() == wanted:
                return name, schema
        return None


@dataclass(frozen=True, slots=True)
class ToolCall:
    name: str
    arguments: str  # JSON text
    fragments: tuple[str, ...]  # `arguments` split for streaming

    @property
    def args(self) -> dict[str, Any]:
        parsed: dict[str, Any] = orjson.loads(self.arguments)
        return parsed


@dataclass(frozen=True, slots=True)
class Reply:
    model: str
    text: str = ""
    chunks: tuple[str, ...] = ()  # `text` split into stream deltas
    thinking: str = ""
    signature: str = ""  # issued signature ("" when none): sig-n, enc-n or tsig-n
    tool: ToolCall | None = None
    input_tokens: int = 1
    cached_tokens: int = 0
    output_tokens: int = 1
    reasoning_tokens: int = 0

    @property
    def thinking_chunks(self) -> tuple[str, ...]:
        return split(self.thinking, 2) if self.thinking else ()


def text_of(content: Any) -> str:
    """Text of a content value: a string, or a list of parts/blocks carrying `text`."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        out = []
        for part in content:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, dict):
                text = part.get("text")
                if isinstance(text, str) and not part.get("thought"):
                    out.append(text)
        return "".join(out)
    return ""


def count_tokens(value: Any) -> int:
    """Deterministic token count of a request body: string characters / 4, at least 1.

    Counts every string value except the top-level `model`, so the same body gives the same count on
    a generate call and on a count-tokens call.
    """
    chars = _chars(value, top=True)
    return max(1, (chars + 3) // 4)


def _chars(value: Any, top: bool = False) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(_chars(v) for k, v in value.items() if not (top and k == "model"))
    if isinstance(value, list):
        return sum(_chars(v) for v in value)
    return 0


def split(text: str, n: int) -> tuple[str, ...]:
    """`text` in `n` near-equal non-empty slices (fewer when it is shorter than `n`)."""
    n = max(1, min(n, len(text)))
    size, extra = divmod(len(text), n)
    out, pos = [], 0
    for i in range(n):
        end = pos + size + (1 if i < extra else 0)
        out.append(text[pos:end])
        pos = end
    return tuple(out)


def tool_arguments(schema: dict[str, Any] | None) -> dict[str, Any]:
    """`{"<first required string property>": "Paris"}`, else `{"city": "Paris"}`."""
    if isinstance(schema, dict):
        props = schema.get("properties")
        props = props if isinstance(props, dict) else {}
        required = schema.get("required")
        for name in required if isinstance(required, list) else []:
            prop = props.get(name)
            kind = prop.get("type") if isinstance(prop, dict) else None
            kinds = kind if isinstance(kind, list) else [kind]
            if isinstance(name, str) and any(str(k).lower() == "string" for k in kinds):
                return {name: "Paris"}
    return {"city": "Paris"}


def _tokens(text: str) -> int:
    return (len(text) + 3) // 4


def _explicit_arguments(
    table: Mapping[str, Mapping[str, Any]] | None, name: str
) -> dict[str, Any] | None:
    for key, value in (table or {}).items():
        if key.lower() == name.lower():
            return dict(value)
    return None


def plan(
    model: str,
    script: Script,
    conv: Conversation,
    input_tokens: int,
    issue_signature: Callable[[str], str],
    sign_tool_calls: bool = False,
    arguments_by_tool: Mapping[str, Mapping[str, Any]] | None = None,
) -> Reply:
    """The scripted answer. `issue_signature(thinking)` mints and remembers a signature; one is
    issued for a `think` model, and for a tool call too when `sign_tool_calls` (Gemini).
    `arguments_by_tool` (tool name, any case → arguments) overrides the generated arguments."""
    tool: ToolCall | None = None
    text = ""
    picked = conv.pick_tool(script.tool_name) if script.tool else None
    if script.tool and conv.tool_result is not None:
        text = f"tool said: {conv.tool_result}"
    elif picked is not None:
        name, schema = picked
        args = _explicit_arguments(arguments_by_tool, name)
        arguments = orjson.dumps(args if args is not None else tool_arguments(schema)).decode()
        tool = ToolCall(name, arguments, split(arguments, 3))
    elif script.tool_name and conv.tools:
        text = f"no tool named {script.tool_name!r}; the request defines {', '.join(conv.tools)}"
    else:
        text = f"echo: {conv.user_text}"
    if script.events and tool is None:
        text = text.ljust(script.events, ".")
    chunks = split(text, script.events or 3) if text else ()
    thinking = f"Considering: {conv.user_text}"[:200] if script.think else ""
    signed = script.think or (sign_tool_calls and tool is not None)
    signature = issue_signature(thinking) if signed else ""
    cached = max(1, input_tokens // 2) if script.cached else 0
    reasoning = _tokens(thinking)
    output = max(1, _tokens(text) + (_tokens(tool.arguments) if tool else 0) + reasoning)
    return Reply(
        model=model,
        text=text,
        chunks=chunks,
        thinking=thinking,
        signature=signature,
        tool=tool,
        input_tokens=input_tokens,
        cached_tokens=cached,
        output_tokens=output,
        reasoning_tokens=reasoning,
    )


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)


def sse(data: Any, event: str | None = None) -> bytes:
    """One SSE event: optional `event:` line, one `data:` line, blank line."""
    body = b"data: " + orjson.dumps(data) + b"\n\n"
    return b"event: " + event.encode() + b"\n" + body if event else body
