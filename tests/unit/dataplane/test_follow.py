"""Decoding only the events FOLLOW names loses nothing a pass-through stream needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.dataplane.endings import ending_for
from daemon.dataplane.follow import FOLLOW
from daemon.dataplane.relay import PassThrough
from daemon.formats.base import codec_for
from daemon.model import ApiError, Request, WireFormat

CROSS = Path(__file__).parents[2] / "fixtures" / "formats" / "cross"


def upstream_stream(fmt: WireFormat) -> bytes:
    """A real tool-call stream in `fmt`, with usage and a stop reason (the goldens' input)."""
    return (CROSS / f"{fmt}__{fmt}" / "upstream_stream.sse").read_bytes()


def run(fmt: WireFormat, raw: bytes, follow: bool, cut: int | None = None) -> tuple[bytes, object]:
    codec = codec_for(fmt)
    relay = PassThrough(
        codec.stream_decoder(),
        codec.stream_encoder(Request(model="m", stream=True, source_format=fmt)),
        ending_for(fmt),
        follow=FOLLOW[fmt] if follow else None,
    )
    out = b""
    data = raw if cut is None else raw[:cut]
    for start in range(0, len(data), 7):  # small chunks, split anywhere
        out += relay.feed(data[start : start + 7])
    if cut is None:
        out += relay.close()
    else:
        out += relay.fail(ApiError("bad_gateway", "cut", 502))
    return out, relay.usage


@pytest.mark.parametrize("fmt", list(WireFormat))
def test_usage_and_bytes_are_the_same_with_and_without_following(fmt: WireFormat) -> None:
    raw = upstream_stream(fmt)
    everything = run(fmt, raw, follow=False)
    followed = run(fmt, raw, follow=True)
    assert followed == everything
    assert followed[1] is not None and followed[1].output_tokens > 0  # type: ignore[attr-defined]


@pytest.mark.parametrize("fmt", list(WireFormat))
def test_a_stream_broken_mid_way_ends_the_same_with_following(fmt: WireFormat) -> None:
    raw = upstream_stream(fmt)
    cut = len(raw) * 2 // 3
    assert run(fmt, raw, follow=True, cut=cut)[0] == run(fmt, raw, follow=False, cut=cut)[0]
