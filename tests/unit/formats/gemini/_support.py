"""Shared helpers for the Gemini codec tests."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import orjson

from daemon.formats.sse import SSEParser
from daemon.model import StreamEvent

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "formats" / "gemini"


def load_json(name: str) -> Any:
    return orjson.loads((FIXTURES / name).read_bytes())


def load_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def decode_stream(raw: bytes, pieces: list[int] | None = None) -> list[StreamEvent]:
    """Run raw upstream bytes through SSEParser and a Gemini stream decoder (optionally split
    at the given offsets) and return every canonical event, close() included."""
    from daemon.formats.gemini import CODEC

    parser = SSEParser()
    decoder = CODEC.stream_decoder()
    events: list[StreamEvent] = []
    cuts = [0, *(pieces or []), len(raw)]
    for start, end in itertools.pairwise(cuts):
        for sse in parser.feed(raw[start:end]):
            events.extend(decoder.feed(sse))
    for sse in parser.close():
        events.extend(decoder.feed(sse))
    events.extend(decoder.close())
    return events
