"""Mock LLM upstreams on loopback: one aiohttp server speaking four wire formats.

Routes: OpenAI `POST /v1/chat/completions`, `POST /v1/responses`, `GET /v1/models`; Anthropic
`POST /v1/messages`, `POST /v1/messages/count_tokens`; Gemini `POST /{v1beta,v1}/models/{m}:
{generateContent,streamGenerateContent,countTokens}`, `GET /v1beta/models`. `GET /v1/models` answers
in Gemini's shape when the request carries `x-goog-api-key` or `?key=`, in Anthropic's when it
carries `anthropic-version`, else OpenAI's. Credentials are checked the real API's way against
`MockConfig.api_keys` (OpenAI Bearer; Anthropic `x-api-key`, or Bearer, plus a required
`anthropic-version`; Gemini `x-goog-api-key`, `?key=` or Bearer) and refused with the API's own 401.

The model name scripts the answer (substrings, case-insensitive, combinable):
- default: text `"echo: <last user text>"`; input tokens = characters of all request strings
  except the top-level `model`, / 4 rounded up (the same count `count_tokens` answers).
- `cached`: cached input tokens = input // 2 (OpenAI `cached_tokens`, Anthropic
  `cache_read_input_tokens` with `input_tokens` the uncached rest, Gemini
  `cachedContentTokenCount`).
- `tool`: last message not a tool result → one call to the first function tool of the request with
  `{"<first required string property>": "Paris"}` (else `{"city": "Paris"}`), stop reason tool call;
  last message a tool result → text `"tool said: <result text>"`. No tools defined → echo.
- `tool=<name>` (letters, digits, `_`): call the tool of that name (any case) instead of the first;
  its arguments come from `MockConfig.tool_arguments[<name>]` when given (also for the first tool),
  else as above. A request without a tool of that name gets a text saying which tools it defines.
- `think`: a thinking block first: Anthropic thinking + signature `sig-<n>`; Responses reasoning
  item (summary, and `encrypted_content` `enc-<n>` when `include` asks for it); Gemini thought
  part (when `includeThoughts`) and `thoughtSignature` base64("tsig-<n>") (the field is bytes, the
  SDKs decode it); chat `reasoning_content`. Gemini function calls always carry an `id` and one.
  Signatures coming back are recorded as `SignatureEcho(format, signature, matched)` on the request
  (`matched`: byte-identical to an issued one, and for Anthropic with its thinking unchanged).
- `slow-first-byte-<ms>`: wait before the headers. `stall`: headers and the first event, then
  silence until the client leaves. `reset`: a few events, then a TCP RST.
- `error-<status>`: that status with the format's error body; 429 adds reset hints.
- `events-<n>`: exactly n text delta events (text padded with "." to n characters if shorter).
- `midstream-error`: a few events, then the format's in-stream error event.
- `no-max-tokens`: chat only, as OpenAI's reasoning models: a body with `max_tokens` gets their
  400 `unsupported_parameter` naming `max_completion_tokens`.

Per credential, whatever the model name says: `mock.script_key(api_key, status=429, headers=...,
body=None, times=None, mode=..., retry_after=None, delay=0)` makes the requests carrying that
upstream key (once past the credential check) get `status` with the format's own error body and
its reset hints (or exactly `body`, JSON-encoded unless bytes; `headers` go over the builder's,
case-insensitively, "" removing one), or with `mode="reset"` a TCP RST before any byte,
`mode="stall"` no answer until the client leaves, `mode="ok"` the usual answer (after `delay`
seconds, which every mode waits first). `times=n` scripts only the next n requests with that key.
`mock.clear_scripts()` forgets them all. Each recorded request carries its `api_key` and the
`keyed` mode it met; `mock.by_key(predicate)` counts requests per key.
"""

from __future__ import annotations

from .keys import KeyMode, KeyScript
from .records import DEFAULT_KEY, DEFAULT_MODELS, MockConfig, RecordedRequest, SignatureEcho
from .script import Script, parse_script
from .server import MockUpstream, run_mock

__all__ = [
    "DEFAULT_KEY",
    "DEFAULT_MODELS",
    "KeyMode",
    "KeyScript",
    "MockConfig",
    "MockUpstream",
    "RecordedRequest",
    "Script",
    "SignatureEcho",
    "parse_script",
    "run_mock",
]
