"""Shared pieces of the OpenAI Chat Completions codec: validation, notes, stop reasons, usage.

Notes: facts about the wire shape that the canonical model does not hold (which max-tokens
field was used, a `stop` given as a string, content given as a list, ...) live in the `extra`
dict of the level they belong to, under the key `NOTE`. They matter only to this codec's own
encoder; keys of `extra` other than `NOTE` are unknown wire fields written back verbatim.
"""

from __future__ import annotations

from typing import Any

from daemon.errors import InvalidRequest
from daemon.model import StopReason, Usage, wire_fields

NOTE = "_openai_chat"

FINISH_TO_STOP: dict[str, StopReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",  # legacy
    "content_filter": "content_filter",
}

STOP_TO_FINISH: dict[StopReason, str] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
    "refusal": "content_filter",  # chat states a refusal in `message.refusal`, see response.py
    "error": "stop",
}


def bad(field: str, problem: str) -> InvalidRequest:
    return InvalidRequest(f"{field}: {problem}", param=field)


def want_dict(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad(field, "must be an object")
    return value


def want_list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise bad(field, "must be an array")
    return value


def want_str(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise bad(field, "must be a string")
    return value


def opt_str(value: Any, field: str) -> str | None:
    return None if value is None else want_str(value, field)


def opt_int(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad(field, "must be an integer")
    return value


def opt_float(value: Any, field: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad(field, "must be a number")
    return value


def opt_bool(value: Any, field: str) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise bad(field, "must be a boolean")
    return value


def unknown(raw: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """The keys of `raw` this codec does not model."""
    return {k: v for k, v in raw.items() if k not in known}


def notes_of(extra: dict[str, Any]) -> dict[str, Any]:
    found = extra.get(NOTE)
    return found if isinstance(found, dict) else {}


def wire_extra(extra: dict[str, Any]) -> dict[str, Any]:
    """The unknown wire fields kept in `extra` (private keys of any codec left out)."""
    return wire_fields(extra)


def with_notes(extra: dict[str, Any], notes: dict[str, Any]) -> dict[str, Any]:
    if notes:
        extra[NOTE] = notes
    return extra


# --------------------------------------------------------------------------- usage


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def decode_usage(raw: dict[str, Any]) -> Usage:
    prompt_details = raw.get("prompt_tokens_details")
    completion_details = raw.get("completion_tokens_details")
    return Usage(
        input_tokens=_int(raw.get("prompt_tokens")),
        output_tokens=_int(raw.get("completion_tokens")),
        cached_tokens=_int(prompt_details.get("cached_tokens"))
        if isinstance(prompt_details, dict)
        else 0,
        reasoning_tokens=_int(completion_details.get("reasoning_tokens"))
        if isinstance(completion_details, dict)
        else 0,
    )


def encode_usage(usage: Usage, raw: Any = None) -> dict[str, Any]:
    """Chat usage; `raw` (the upstream's own usage object) is reused when it says the same."""
    if isinstance(raw, dict) and decode_usage(raw) == usage:
        return raw
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }
