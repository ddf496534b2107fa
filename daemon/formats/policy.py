"""What happens to a field the target format cannot express: dropped with a debug log, or
rejected with a client error. Codecs call `drop` or `reject`, never decide silently, so every
such decision is greppable by its field name. THE table of those decisions is below; keep it in
step with the `drop(` / `reject(` calls (grep them) when a codec changes.

Rules that hold for every target:
- Unknown wire fields (`extra`) are written back only by the source format's own codec; to any
  other target they are left out without a log (model.py).
- Input only its source format can express (`Request.same_format_only`: Responses
  item_reference / input_file / built-in tool items, Anthropic PDF documents / server-tool
  blocks / search results, Gemini executableCode / non-image media, chat input_audio / file /
  custom tool calls) is REJECTED for any other target by `check_translatable` — the data plane
  calls it before encoding. Same-format requests pass it through.
- Signed reasoning goes to an upstream only if that upstream signed it; to a client it is
  carried in the client format's opaque field (reasoning.py). Chat has none: see below.

    field                              target     fate      why
    ---------------------------------  ---------  --------  ----------------------------------------
    same_format_only input             any other  REJECTED  only its source format understands it
    signatures (thinking, text, call)  chat       dropped   chat has no opaque field (any direction)
    redacted_thinking                  chat       dropped   opaque data, nowhere to put it
    top_k (from another format)        chat       dropped   Chat Completions has no top_k
    built-in tools (kind≠function)     chat       dropped   no built-in tools in chat
    reasoning effort not an OpenAI     chat       dropped   "max" becomes "xhigh" first (reasoning)
      level
    reasoning.include_thoughts         chat       dropped   no switch for visible reasoning
    reasoning.summary                  chat       dropped   no reasoning summaries
    tool result is_error               chat       dropped   tool messages have no error flag
    image in tool result / system /    chat       dropped   those chat messages carry text only
      assistant / developer message
    image with neither data nor url    chat       REJECTED  nothing to send
    top_k, stop, seed                  responses  dropped   the Responses API has none of them
    message name                       responses  dropped   message items have no name
    tool result is_error               responses  dropped   function_call_output has no error flag
    assistant image                    responses  dropped   assistant items hold no images
    reasoning signed by another        responses  dropped   only its issuer can verify it
      format / unsigned (request)
    content in a tool message that     responses  dropped   only function_call_output fits there
      is not a tool result
    built-in tool without equivalent   responses  dropped   (web_search maps to web_search)
    reasoning effort not a Responses   responses  dropped   "max" maps to "xhigh" first
      level
    signature after its item began     responses  dropped   a carrier must precede its part (stream)
    seed                               anthropic  dropped   no sampling seed
    response_format json_object        anthropic  dropped   only json_schema has an equivalent
    response_format.name               anthropic  dropped   output_config.format has no name
    message name                       anthropic  dropped   messages carry no name
    non-text system content            anthropic  dropped   system takes text only
    thinking / tool call in user turn  anthropic  dropped   not allowed there
    empty message / empty text block   anthropic  dropped   Anthropic rejects empty content
    temperature≠1, top_k, top_p<0.95   anthropic  dropped   not adjustable while thinking
    thinking (budget)                  anthropic  dropped   disabled when max_tokens leaves no room,
                                                            or when the tool turn in progress lost
                                                            its signed thinking (chat client)
    forced tool_choice while thinking  anthropic  dropped   Anthropic forbids it; auto is sent
    tool_choice without tools          anthropic  dropped   nothing to choose from
    max_tokens (absent)                anthropic  dropped   required: 8192 (+ thinking budget) sent
    unknown effort level               anthropic  dropped   the "medium" budget is used
    built-in tool without equivalent   anthropic  dropped   (web_search maps to web_search_20250305)
    text / tool-call signature,        anthropic  dropped   only its issuer can verify it
      foreign or unsigned thinking
      (request)
    tool-call arguments not a JSON     anthropic  dropped   tool_use.input must be an object: {}
      object
    image.detail                       anthropic  dropped   no detail setting
    assistant image / tool result      anthropic  dropped   not allowed in assistant turns
    base64 image without media type,   anthropic  REJECTED  cannot be expressed
      non-base64 data URL, image
      without data or url
    signatures of another format       gemini     dropped   only its issuer can verify it; a model
      (thinking, text, call; request)                       turn's first call gets Gemini's
                                                            documented skip value instead
    message name, user                 gemini     dropped   no author name, no end-user id
    parallel_tool_calls = false        gemini     dropped   Gemini cannot forbid parallel calls
    tool_choice without tools          gemini     dropped   nothing to choose from
    empty content                      gemini     dropped   Gemini refuses contents without parts
    strict (tools), response_format    gemini     dropped   Gemini schemas have neither
      name / strict
    built-in tool without equivalent   gemini     dropped   (web_search → googleSearch,
                                                            code_execution → codeExecution)
    unknown effort level               gemini     dropped   no thinkingBudget is sent
    function-call arguments not a      gemini     dropped   args must be an object: {}
      JSON object
    image in a tool result             gemini     dropped   functionResponse carries no images
    image.detail                       gemini     dropped   no detail setting
    tool result whose call name is     gemini     REJECTED  functionResponse needs the name
      unknown
    no user or model turn at all       gemini     REJECTED  Gemini needs one
    non-base64 data URL, image         gemini     REJECTED  cannot be expressed
      without data or url
"""

from __future__ import annotations

import logging

from daemon.errors import TranslationError
from daemon.model import Request, WireFormat

log = logging.getLogger("cliproxy.formats")


def drop(field: str, target: WireFormat, reason: str) -> None:
    """Leave `field` out of a request for `target`, and say so at debug level."""
    log.debug("dropping %s for %s: %s", field, target, reason)


def reject(field: str, target: WireFormat, reason: str) -> TranslationError:
    """The error to raise when `field` cannot be sent to `target` at all."""
    return TranslationError(f"{field} cannot be sent to a {target} upstream: {reason}", param=field)


def check_translatable(request: Request, target: WireFormat) -> None:
    """Raise the policy error when `request` holds input only its own format can express
    (`Request.same_format_only`) and is bound for an upstream of another format."""
    if request.source_format != target and request.same_format_only:
        listed = request.same_format_only
        more = f" ({len(listed) - 1} more such inputs)" if len(listed) > 1 else ""
        raise reject(
            listed[0],
            target,
            f"only {request.source_format} upstreams understand it{more}; "
            "send it to a model served by one, or leave it out",
        )
