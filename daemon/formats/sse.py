"""Server-sent events: an incremental parser and an encoder, shared by every codec.

The parser follows the WHATWG event-stream rules: lines end in CRLF, LF or CR; a blank line
dispatches; `data:` lines join with "\\n"; lines starting with ":" are comments; one optional space
after the colon is dropped. Bytes may be split anywhere, even inside a CRLF or a UTF-8 sequence.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass


@dataclass(slots=True)  # not frozen: a frozen dataclass costs ~3x to build, once per event
class SSEEvent:
    data: str
    event: str | None = None
    id: str | None = None
    retry: int | None = None


class SSEParser:
    """Feed bytes as they arrive; get back the events they complete."""

    __slots__ = (
        "_buffer",
        "_data",
        "_decoder",
        "_event",
        "_has_data",
        "_id",
        "_pending_cr",
        "_retry",
    )

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._pending_cr = False
        self._data: list[str] = []
        self._has_data = False
        self._event: str | None = None
        self._id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Parse a chunk; return the events completed by it."""
        text = self._decoder.decode(chunk)
        if not text:
            return []
        if self._pending_cr:
            # A CR ended the last chunk; a LF opening this one belongs to the same line break.
            self._pending_cr = False
            if text[0] == "\n":
                text = text[1:]
        text = self._buffer + text
        events: list[SSEEvent] = []
        if "\r" not in text:
            # The common case (LF-only streams): one split instead of a scan per line.
            lines = text.split("\n")
            self._buffer = lines.pop()
            for line in lines:
                event = self._line(line)
                if event is not None:
                    events.append(event)
            return events
        start = 0
        length = len(text)
        cr = text.find("\r")
        lf = text.find("\n")
        while start < length:
            if 0 <= cr < start:
                cr = text.find("\r", start)
            if 0 <= lf < start:
                lf = text.find("\n", start)
            if cr == -1 and lf == -1:
                break
            if cr == -1 or (lf != -1 and lf < cr):
                end, next_start = lf, lf + 1
            elif cr + 1 < length:
                end = cr
                next_start = cr + 2 if text[cr + 1] == "\n" else cr + 1
            else:
                end, next_start = cr, cr + 1
                self._pending_cr = True
            event = self._line(text[start:end])
            if event is not None:
                events.append(event)
            start = next_start
        self._buffer = text[start:]
        return events

    @property
    def at_boundary(self) -> bool:
        """True between events: nothing of a next event has been seen yet."""
        return not self._buffer and not self._has_data and self._event is None

    def close(self) -> list[SSEEvent]:
        """End of stream: a final event without its blank line is still delivered."""
        tail = self._decoder.decode(b"", final=True)
        events: list[SSEEvent] = []
        rest = self._buffer + tail
        self._buffer = ""
        if rest:
            event = self._line(rest)
            if event is not None:
                events.append(event)
        event = self._dispatch()
        if event is not None:
            events.append(event)
        return events

    def _line(self, line: str) -> SSEEvent | None:
        if not line:
            return self._dispatch()
        if line[0] == ":":
            return None
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._has_data = True
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> SSEEvent | None:
        event = None
        if self._has_data:
            data = self._data[0] if len(self._data) == 1 else "\n".join(self._data)
            event = SSEEvent(data, self._event, self._id, self._retry)
        self._data = []
        self._has_data = False
        self._event = None
        self._retry = None
        return event


def encode_event(data: str, event: str | None = None) -> bytes:
    """Frame one event; multi-line data becomes several `data:` lines."""
    head = f"event: {event}\n" if event else ""
    if "\n" not in data and "\r" not in data:
        return f"{head}data: {data}\n\n".encode()
    lines = data.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return (head + "".join(f"data: {line}\n" for line in lines) + "\n").encode()


def encode_comment(text: str = "") -> bytes:
    """A comment line: keeps an idle connection alive without being an event."""
    return f": {text}\n\n".encode()
