"""Small helpers shared by the Gemini codec: key spelling, shape checks, stable call ids.

Gemini's REST API speaks camelCase; the google-genai SDK and the Gemini CLI sometimes send
snake_case. Decoders accept both (via `split`), encoders always write camelCase.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from daemon.errors import InvalidRequest

# Tool-call ids we invent for Gemini calls that came without one. Encoders leave them out of
# Gemini bodies, so a Gemini history without ids round-trips without gaining any.
INVENTED_PREFIX = "gcall_"

# Gemini 3 rejects an unsigned function call in a model turn; this documented value skips the
# check (used only for calls that never had a signature, e.g. history from another format).
SKIP_SIGNATURE = "skip_thought_signature_validator"

Fail = Callable[[str], Exception]


def invalid(message: str) -> Exception:
    return InvalidRequest(message)


def camel(key: str) -> str:
    """`function_call` → `functionCall`; camelCase and `_private` keys are returned as given."""
    if "_" not in key or key[0] == "_":
        return key
    head, *rest = key.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def split(obj: dict[str, Any], known: frozenset[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(known fields by camelCase name, every other field under its own spelling)."""
    found: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in obj.items():
        name = camel(key)
        if name in known:
            found[name] = value
        else:
            extra[key] = value
    return found, extra


def as_dict(value: Any, where: str, fail: Fail = invalid) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail(f"{where} must be an object")
    return value


def as_list(value: Any, where: str, fail: Fail = invalid) -> list[Any]:
    if not isinstance(value, list):
        raise fail(f"{where} must be an array")
    return value


def as_str(value: Any, where: str, fail: Fail = invalid) -> str:
    if not isinstance(value, str):
        raise fail(f"{where} must be a string")
    return value


def opt_number(value: Any, where: str, fail: Fail = invalid) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(f"{where} must be a number")
    return value


def opt_int(value: Any, where: str, fail: Fail = invalid) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(f"{where} must be an integer")
    return value


def invent_call_id(seed: str, position: int, name: str) -> str:
    """A stable id for an id-less Gemini function call: the same history gives the same ids."""
    digest = hashlib.sha256(f"{seed}\0{position}\0{name}".encode()).hexdigest()[:20]
    return f"{INVENTED_PREFIX}{digest}"


def is_invented(call_id: str) -> bool:
    return call_id.startswith(INVENTED_PREFIX)
