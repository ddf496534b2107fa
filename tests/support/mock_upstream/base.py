"""The interface every mocked wire format implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from aiohttp import web

from .script import Conversation, Options, Reply, Script

JSON_HEADERS: Mapping[str, str] = {"Content-Type": "application/json"}
SSE_HEADERS: Mapping[str, str] = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
}


@dataclass(frozen=True, slots=True)
class Failure:
    """An error answer: status, body bytes and extra headers."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


def bearer(request: web.Request) -> str | None:
    value = request.headers.get("Authorization", "")
    return value[7:].strip() if value[:7].lower() == "bearer " else None


class WireFormat(ABC):
    name: ClassVar[str]
    signature_prefix: ClassVar[str]  # sig- / enc- / tsig-; "" issues none
    sign_tool_calls: ClassVar[bool] = False
    stream_headers: ClassVar[Mapping[str, str]] = SSE_HEADERS

    def signature(self, n: int) -> str:
        """The n-th signature this format issues ("" when it has none)."""
        return f"{self.signature_prefix}{n}" if self.signature_prefix else ""

    @abstractmethod
    def authenticate(self, request: web.Request, keys: tuple[str, ...]) -> Failure | None:
        """None when the request carries one of `keys` the way the real API wants it."""

    @abstractmethod
    def error(self, status: int, message: str | None, retry_after: int) -> Failure:
        """The API's own error answer for `status` (with reset hints on 429)."""

    def model(self, request: web.Request, body: dict[str, Any]) -> str:
        model = body.get("model")
        return model if isinstance(model, str) else ""

    def is_stream(self, request: web.Request, body: dict[str, Any]) -> bool:
        return body.get("stream") is True

    def options(self, request: web.Request, body: dict[str, Any]) -> Options:
        return Options()

    def refusal(self, body: dict[str, Any], script: Script) -> Failure | None:
        """The API's own refusal of a body the scripted model does not accept; None: accepted."""
        return None

    @abstractmethod
    def conversation(self, body: dict[str, Any]) -> Conversation: ...

    def echoes(self, body: dict[str, Any]) -> list[tuple[str, str | None]]:
        """Signatures sent back in the history: (signature, thinking text or None)."""
        return []

    @abstractmethod
    def render(self, reply: Reply, opts: Options) -> bytes:
        """The non-stream response body."""

    @abstractmethod
    def events(self, reply: Reply, opts: Options) -> list[bytes]:
        """The stream, one element per event (including any terminator)."""

    @abstractmethod
    def midstream_error(self, reply: Reply, opts: Options, sent: int) -> bytes:
        """The in-stream error event that follows the first `sent` events."""
