"""The pass-through's quick event split agrees with the full SSE parser, or defers to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.dataplane.relay import _quick_events
from daemon.formats.sse import SSEParser
from daemon.model import WireFormat

CROSS = Path(__file__).parents[2] / "fixtures" / "formats" / "cross"


def parsed(raw: bytes) -> list[tuple[str | None, str]]:
    parser = SSEParser()
    return [(e.event, e.data) for e in parser.feed(raw) + parser.close()]


@pytest.mark.parametrize("fmt", list(WireFormat))
def test_real_streams_split_the_same_as_the_parser_reads_them(fmt: WireFormat) -> None:
    raw = (CROSS / f"{fmt}__{fmt}" / "upstream_stream.sse").read_bytes().replace(b"\r\n", b"\n")
    quick = _quick_events(raw)
    assert quick is not None
    assert [(e.event, e.data) for e in quick] == parsed(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b"data: a\ndata: b\n\n",  # multi-line data
        b"event: x\ndata: a\nid: 7\n\n",  # more fields than the quick path knows
        b"data: a\r\n\r\n",  # CRLF framing
        b"retry: 5\n\n",
        b"data:a\n\n",  # no space after the colon
    ],
)
def test_anything_unusual_goes_to_the_full_parser(raw: bytes) -> None:
    assert _quick_events(raw) is None


def test_comments_are_skipped_like_the_parser_skips_them() -> None:
    raw = b": keep-alive\n\ndata: {}\n\n"
    quick = _quick_events(raw)
    assert quick is not None
    assert [(e.event, e.data) for e in quick] == parsed(raw) == [(None, "{}")]
