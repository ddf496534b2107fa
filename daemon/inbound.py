"""Facts about an inbound request that every route needs before routing: which API shape the
client speaks (so errors come back in it) and whether it carries a valid client key."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from urllib.parse import parse_qsl

from daemon.model import WireFormat

_GEMINI_PREFIXES = ("/v1beta/", "/v1alpha/")
_ANTHROPIC_PATHS = ("/v1/messages",)
_RESPONSES_PATHS = ("/v1/responses", "/openai/v1/responses", "/backend-api/codex/responses")
_CHAT_PATHS = ("/v1/chat/", "/v1/completions", "/openai/")


def detect_format(path: str, headers: dict[str, str]) -> WireFormat:
    """The API shape a client expects, from the path first and its headers where paths overlap."""
    if (
        path.startswith(_GEMINI_PREFIXES)
        or ":generateContent" in path
        or (":streamGenerateContent" in path or ":countTokens" in path)
    ):
        return WireFormat.GEMINI
    if path.startswith(_ANTHROPIC_PATHS):
        return WireFormat.ANTHROPIC
    if path.startswith(_RESPONSES_PATHS):
        return WireFormat.OPENAI_RESPONSES
    if path.startswith(_CHAT_PATHS):
        return WireFormat.OPENAI_CHAT
    # Shared paths such as /v1/models: the client's own headers tell who is asking.
    if "anthropic-version" in headers or headers.get("user-agent", "").startswith("claude-cli"):
        return WireFormat.ANTHROPIC
    if "x-goog-api-key" in headers or "google-genai" in headers.get("x-goog-api-client", ""):
        return WireFormat.GEMINI
    return WireFormat.OPENAI_CHAT


def presented_keys(headers: dict[str, str], query_string: bytes) -> list[str]:
    """Every client key the request carries, in any of the places SDKs put one."""
    keys: list[str] = []
    auth = headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        keys.append(auth[7:].strip())
    for name in ("x-api-key", "x-goog-api-key"):
        if headers.get(name):
            keys.append(headers[name].strip())
    if query_string and b"key=" in query_string:
        for name, value in parse_qsl(query_string.decode("latin-1")):
            if name == "key" and value:
                keys.append(value)
    return keys


def key_is_valid(presented: Iterable[str], configured: Iterable[str]) -> bool:
    """Constant-time comparison against every configured key (no early exit on a match)."""
    ok = False
    for candidate in presented:
        encoded = candidate.encode()
        for key in configured:
            ok |= hmac.compare_digest(encoded, key.encode())
    return ok
