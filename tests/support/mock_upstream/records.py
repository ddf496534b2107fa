"""Mock configuration and what the mock records about every request it receives."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_KEY = "sk-mock-upstream-key"
DEFAULT_MODELS = (
    "mock-model",
    "mock-tool",
    "mock-think",
    "mock-tool-think",
    "gpt-mock",
    "claude-mock",
    "gemini-mock",
)


@dataclass(frozen=True)
class MockConfig:
    api_keys: tuple[str, ...] = (DEFAULT_KEY,)  # empty: accept any credential
    host: str = "127.0.0.1"
    port: int = 0  # 0: ephemeral
    models: tuple[str, ...] = DEFAULT_MODELS
    record: bool = True  # keep every request in `MockUpstream.requests`
    retry_after_seconds: int = 1  # the reset hint on scripted 429s
    gemini_invalid_key_status: int = 401  # the real AI Studio answers 400 API_KEY_INVALID
    # Arguments for a scripted tool call, by tool name (any case); other tools get generated ones.
    tool_arguments: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class SignatureEcho:
    """A signature that came back in a request's history."""

    format: str
    signature: str
    matched: bool  # byte-identical to one this mock issued (and, Anthropic, with its thinking)


@dataclass(slots=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    raw: bytes
    body: Any  # parsed JSON, None when empty or not JSON
    format: str = ""
    api_key: str = ""  # the upstream credential the request carried ("" when none)
    keyed: str = ""  # the mode of the key script it met (see `MockUpstream.script_key`), or ""
    model: str = ""
    stream: bool = False
    status: int = 0
    started_at: float = field(default_factory=time.monotonic)
    events_sent: int = 0
    finished: bool = False  # the whole response went out
    finished_at: float | None = None
    disconnected: bool = False  # the client went away before the end
    disconnected_at: float | None = None
    signature_echoes: list[SignatureEcho] = field(default_factory=list)


class Recorder:
    """Thread-safe request log: written by the server's loop, read by tests in any thread."""

    def __init__(self) -> None:
        self._records: list[RecordedRequest] = []
        self._cond = threading.Condition()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._cond:
            return list(self._records)

    @property
    def signature_echoes(self) -> list[SignatureEcho]:
        return [echo for r in self.requests for echo in r.signature_echoes]

    def clear(self) -> None:
        with self._cond:
            self._records.clear()

    def by_key(self, predicate: Callable[[RecordedRequest], bool] | None = None) -> Counter[str]:
        """How many recorded requests (matching `predicate`) each upstream key made."""
        return Counter(r.api_key for r in self.requests if predicate is None or predicate(r))

    def wait_for(
        self, predicate: Callable[[RecordedRequest], bool], timeout: float = 5.0
    ) -> RecordedRequest:
        """The first recorded request matching `predicate`, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for record in self._records:
                    if predicate(record):
                        return record
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no recorded request matched within {timeout} s")
                self._cond.wait(min(left, 0.05))  # some updates do not notify

    def _touch(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _add(self, record: RecordedRequest) -> None:
        with self._cond:
            self._records.append(record)
            self._cond.notify_all()
