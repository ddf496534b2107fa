"""Per-credential behaviour: a runtime table from an upstream API key to what requests carrying
that key get, whatever the model name scripts (see `MockUpstream.script_key`)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import orjson
from aiohttp import web

from .base import bearer

KeyMode = Literal["error", "reset", "stall", "ok"]
KEY_MODES: tuple[KeyMode, ...] = ("error", "reset", "stall", "ok")


@dataclass(frozen=True, slots=True)
class KeyScript:
    """What one key gets.

    `error`: `status` with the format's own error body (its reset hints on a 429, `retry_after`
    seconds), or exactly `body` when given; `headers` are added over the builder's.
    `reset`: a TCP RST before any byte of the response. `stall`: no response at all until the
    client leaves (a stalled first byte). `ok`: the usual answer. `delay` seconds pass first in
    every mode. `times`: only the next so many requests (None: every one until cleared).
    """

    mode: KeyMode = "error"
    status: int = 429
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    retry_after: int | None = None
    delay: float = 0.0
    times: int | None = None


def request_key(request: web.Request) -> str:
    """The credential a request carries, however its API sends it ("" when none)."""
    return (
        request.headers.get("x-api-key")
        or request.headers.get("x-goog-api-key")
        or request.query.get("key")
        or bearer(request)
        or ""
    )


def body_bytes(body: bytes | str | Mapping[str, Any] | list[Any] | None) -> bytes | None:
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return orjson.dumps(body)


class KeyTable:
    """Thread-safe: tests write it from their thread, the mock's loop reads it."""

    def __init__(self) -> None:
        self._scripts: dict[str, KeyScript] = {}
        self._lock = threading.Lock()

    def set(self, api_key: str, script: KeyScript) -> None:
        if script.mode not in KEY_MODES:
            raise ValueError(f"unknown key mode {script.mode!r}; expected one of {KEY_MODES}")
        if script.times is not None and script.times < 1:
            raise ValueError("times must be at least 1 (or None for every request)")
        with self._lock:
            self._scripts[api_key] = script

    def clear(self, api_key: str | None = None) -> None:
        with self._lock:
            if api_key is None:
                self._scripts.clear()
            else:
                self._scripts.pop(api_key, None)

    def take(self, api_key: str) -> KeyScript | None:
        """The script for the next request with `api_key`, counting it against `times`."""
        with self._lock:
            script = self._scripts.get(api_key)
            if script is None or script.times is None:
                return script
            if script.times <= 1:
                del self._scripts[api_key]
            else:
                self._scripts[api_key] = replace(script, times=script.times - 1)
            return script

    def get(self, api_key: str) -> KeyScript | None:
        with self._lock:
            return self._scripts.get(api_key)
