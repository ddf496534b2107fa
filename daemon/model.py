"""The canonical model: one shape every wire format decodes into and encodes from.

Four codecs (OpenAI chat, OpenAI responses, Anthropic messages, Gemini) translate to and from
these types, so N formats need 2N translators rather than N² pairwise ones.

Conventions
- A conversation is a flat list of `Message`s. System and developer instructions are messages
  too (role "system" / "developer"); formats with a separate system field hoist them.
- Tool results live in messages of role "tool", one `ToolResultPart` each or several; formats
  that put them in a user turn (Anthropic, Gemini) move them there when encoding.
- Tool-call arguments are JSON *text*, exactly as the model produced it (it may be invalid JSON).
- Signed reasoning keeps the format that issued it (`Signature.format`) so it can be restored
  byte-for-byte for that upstream after a trip through a client of another format.
- `extra` on a type holds wire fields the model does not carry, at the level they appeared.
  Only the codec of the source format writes them back: a request's extras when
  `Request.source_format` is the encoder's own format, a response's when
  `Response.source_format` is (same-format pass-through). Every other encoder ignores them.
- Keys of `extra` starting with "_" are private to the codec that set them (wire-shape notes
  such as "_openai_chat", "_responses", "_anthropic_block", "_gemini_opaque"): they are never
  written to the wire, not even by their own codec. `extra["carrier"]` (see
  daemon/formats/reasoning.py) marks a thinking part that only carries another part's
  signature; it is never written either. `wire_fields(extra)` gives what may be written.
- Input that only the source format can express (a Responses `item_reference`, an Anthropic
  PDF document or server-tool block, a Gemini `executableCode` part, ...) is kept raw in
  `extra` for same-format pass-through and listed in `Request.same_format_only`;
  `daemon.formats.policy.check_translatable` refuses to send such a request elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, TypeAlias


class WireFormat(StrEnum):
    """The four client-facing and upstream API shapes."""

    OPENAI_CHAT = "openai_chat"
    OPENAI_RESPONSES = "openai_responses"
    ANTHROPIC = "anthropic"
    GEMINI = "gemini"


def wire_fields(extra: dict[str, Any]) -> dict[str, Any]:
    """The entries of an `extra` that may be written to the wire (see the module docstring)."""
    return {k: v for k, v in extra.items() if not k.startswith("_") and k != "carrier"}


Role: TypeAlias = Literal["system", "developer", "user", "assistant", "tool"]

StopReason: TypeAlias = Literal[
    "stop",  # natural end of turn (also: a stop sequence matched)
    "length",  # output token limit
    "tool_calls",  # the model wants tool results
    "content_filter",  # safety / policy block
    "refusal",  # the model declined
    "error",  # the upstream failed mid-way
]

ErrorKind: TypeAlias = Literal[
    "invalid_request",  # 400
    "authentication",  # 401
    "permission",  # 403
    "not_found",  # 404
    "request_too_large",  # 413
    "rate_limit",  # 429
    "server_error",  # 500
    "bad_gateway",  # 502
    "overloaded",  # 503 / Anthropic 529
    "timeout",  # 504
]


# --------------------------------------------------------------------------- content parts


@dataclass(slots=True, frozen=True)
class Signature:
    """Opaque proof an upstream attached to reasoning; valid only for the format that issued it."""

    format: WireFormat
    value: str


@dataclass(slots=True)
class TextPart:
    text: str
    # Gemini may sign a plain text part; it must be echoed back on the same part.
    signature: Signature | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ImagePart:
    """An image given inline (base64 `data` + `media_type`) or by `url`; exactly one is set."""

    media_type: str | None = None
    data: str | None = None
    url: str | None = None
    detail: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ThinkingPart:
    """Model reasoning: visible text (or a summary of it) and/or an opaque signed payload.

    `redacted` marks Anthropic `redacted_thinking`, whose opaque data travels in `signature`.
    `id` is the Responses reasoning item id, when the block came from there.
    """

    text: str = ""
    signature: Signature | None = None
    redacted: bool = False
    id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ToolCallPart:
    id: str
    name: str
    arguments: str = ""  # JSON text as produced by the model
    # Gemini attaches thoughtSignature to function-call parts.
    signature: Signature | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ToolResultPart:
    call_id: str
    content: list[TextPart | ImagePart] = field(default_factory=list)
    is_error: bool = False
    name: str | None = None  # the called tool's name; Gemini requires it, others may not send it
    extra: dict[str, Any] = field(default_factory=dict)


Part: TypeAlias = TextPart | ImagePart | ThinkingPart | ToolCallPart | ToolResultPart


@dataclass(slots=True)
class Message:
    role: Role
    parts: list[Part] = field(default_factory=list)
    name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- request options


@dataclass(slots=True)
class Tool:
    """A function the model may call, or a provider built-in (`kind` other than "function")."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None  # JSON Schema
    strict: bool | None = None
    kind: str = "function"  # "function", "web_search", "code_execution", ...
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ToolChoice:
    mode: Literal["auto", "none", "required", "tool"] = "auto"
    name: str | None = None  # set when mode == "tool"


@dataclass(slots=True)
class ReasoningConfig:
    """What the client asked of the model's thinking, in whichever terms it used.

    `effort` is one of none/minimal/low/medium/high/xhigh; `budget_tokens` is a token budget
    (-1 = let the model decide, 0 = off). Codecs map one to the other where the target needs it
    (see daemon/formats/reasoning.py for the table).
    """

    effort: str | None = None
    budget_tokens: int | None = None
    include_thoughts: bool | None = None
    summary: str | None = None  # Responses: auto / concise / detailed


@dataclass(slots=True)
class ResponseFormat:
    type: Literal["text", "json_object", "json_schema"] = "text"
    name: str | None = None
    schema: dict[str, Any] | None = None
    strict: bool | None = None


@dataclass(slots=True)
class Request:
    model: str
    messages: list[Message] = field(default_factory=list)
    tools: list[Tool] = field(default_factory=list)
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: list[str] | None = None
    seed: int | None = None
    response_format: ResponseFormat | None = None
    reasoning: ReasoningConfig | None = None
    stream: bool = False
    include_usage: bool | None = None  # OpenAI chat stream_options.include_usage
    user: str | None = None  # end-user id (OpenAI user, Anthropic metadata.user_id)
    source_format: WireFormat | None = None
    # Descriptions (wire paths) of input kept raw that only `source_format` can express; a
    # request with any cannot be translated (policy.check_translatable).
    same_format_only: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- responses


@dataclass(slots=True)
class Usage:
    input_tokens: int = 0  # all prompt tokens, cached ones included
    output_tokens: int = 0  # all generated tokens, reasoning included
    cached_tokens: int = 0  # prompt tokens read from cache
    cache_creation_tokens: int = 0  # prompt tokens written to cache (Anthropic)
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(slots=True)
class Response:
    id: str
    model: str
    parts: list[Part] = field(default_factory=list)  # the assistant's output, in order
    stop_reason: StopReason = "stop"
    stop_sequence: str | None = None
    usage: Usage = field(default_factory=Usage)
    created: int | None = None  # unix seconds
    source_format: WireFormat | None = None  # the codec that decoded it; its encoder alone
    extra: dict[str, Any] = field(default_factory=dict)  # writes `extra` back


@dataclass(slots=True)
class ApiError:
    """An error as any API can state it: a kind, an HTTP status and a message."""

    kind: ErrorKind
    message: str
    status: int
    code: str | None = None  # machine-readable code, e.g. "model_not_found"
    param: str | None = None
    retry_after: float | None = None  # seconds, when the upstream said


# --------------------------------------------------------------------------- stream events
#
# Output is a sequence of blocks, as in Anthropic's stream: each block is started, receives
# deltas, and is stopped before the next block starts. Decoders of formats without explicit
# block boundaries (OpenAI chat, Gemini) synthesize them; encoders of such formats ignore them.
#
# Every decoder emits, in order:
#     MessageStart, (BlockStart, deltas…, BlockStop)*, UsageUpdate any time, MessageStop
# Block indices are 0, 1, 2, … in order of appearance. When the upstream fails after the stream
# began (an error event, unparsable data, a stream cut short), the decoder ends with exactly:
#     BlockStop (of the open block, if any), StreamError, MessageStop(stop_reason="error")
# and emits nothing after. (A failure before any output may come without MessageStart.) A
# MessageStop("error") may also come alone, when the upstream itself ended the message with an
# error-like stop reason (e.g. Gemini MALFORMED_FUNCTION_CALL).
# Every encoder produces a well-formed stream of its format for any such sequence, also when
# StreamError follows MessageStop("error") instead of preceding it, when MessageStart is missing
# or a block is never stopped; it ignores whatever comes after the stream has ended.


@dataclass(slots=True)
class MessageStart:
    id: str
    model: str
    created: int | None = None
    usage: Usage | None = None  # prompt usage when known up front (Anthropic)


@dataclass(slots=True)
class BlockStart:
    """A new output block; `part` carries the block's kind and any header (tool id and name)."""

    index: int
    part: TextPart | ThinkingPart | ToolCallPart


@dataclass(slots=True)
class TextDelta:
    index: int
    text: str


@dataclass(slots=True)
class ThinkingDelta:
    index: int
    text: str


@dataclass(slots=True)
class SignatureDelta:
    """The signature of a thinking block (or a Gemini-signed text / tool-call part).

    A thinking block's may come anywhere in the block (Anthropic sends it last). A text or
    tool-call block's signature (Gemini's) rides on the `part` of its BlockStart instead:
    encoders of formats that cannot sign such parts put a carrier in front of the part
    (reasoning.py), which they can only do before it has begun. (Encoders still take a
    SignatureDelta on such a block when they can place it, and drop it with a log otherwise.)
    """

    index: int
    signature: Signature


@dataclass(slots=True)
class ToolArgumentsDelta:
    index: int
    fragment: str


@dataclass(slots=True)
class BlockStop:
    index: int


@dataclass(slots=True)
class UsageUpdate:
    """Cumulative usage so far."""

    usage: Usage


@dataclass(slots=True)
class MessageStop:
    stop_reason: StopReason
    usage: Usage | None = None
    stop_sequence: str | None = None


@dataclass(slots=True)
class StreamError:
    """The upstream failed after the stream began; the encoder ends the stream well-formed."""

    error: ApiError


StreamEvent: TypeAlias = (
    MessageStart
    | BlockStart
    | TextDelta
    | ThinkingDelta
    | SignatureDelta
    | ToolArgumentsDelta
    | BlockStop
    | UsageUpdate
    | MessageStop
    | StreamError
)
