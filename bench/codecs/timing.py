"""Timing every (client, upstream) pair: one row of figures each, and their summary."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.codecs.inputs import FORMATS, StreamInput, build_stream, client_request, request_body
from bench.codecs.translate import (
    request_mismatch,
    request_transcript,
    stream_mismatch,
    transcript_of,
    translate_request,
    translate_stream,
)
from daemon.formats.base import codec_for
from daemon.model import (
    WireFormat,
)

DEFAULT_EVENTS = 1000
DEFAULT_MESSAGES = 50
DEFAULT_RUNS = 11
DEFAULT_WARMUP = 2
DEFAULT_REQUEST_LOOPS = 20


# --------------------------------------------------------------------------- timing


def measure(fn: Callable[[], object], loops: int, runs: int, warmup: int) -> tuple[float, float]:
    """(median, minimum) nanoseconds per call of `fn` over `runs` runs of `loops` calls, GC off.
    The minimum is the figure least disturbed by other load on the machine."""
    for _ in range(warmup):
        fn()
    samples: list[float] = []
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(runs):
            start = time.perf_counter_ns()
            for _ in range(loops):
                fn()
            samples.append((time.perf_counter_ns() - start) / loops)
    finally:
        if enabled:
            gc.enable()
    return statistics.median(samples), min(samples)


@dataclass(slots=True)
class Row:
    client: str
    upstream: str
    stream_events: int
    stream_chunks: int
    stream_us_per_event: float  # median
    stream_us_per_event_min: float
    stream_ms: float
    request_messages: int
    request_bytes: int
    request_us: float  # median
    request_us_min: float
    check: str  # "ok", or what the translated stream or request got wrong


def bench_pair(
    client: WireFormat,
    upstream: WireFormat,
    stream: StreamInput,
    messages: int,
    runs: int,
    warmup: int,
    request_loops: int,
) -> Row:
    client_codec, upstream_codec = codec_for(client), codec_for(upstream)
    request = client_request()
    output = translate_stream(stream, upstream_codec, client_codec, request)
    problem = stream_mismatch(stream.expected, transcript_of(client, output))

    def run_stream() -> bytes:
        return translate_stream(stream, upstream_codec, client_codec, request)

    stream_ns, stream_min = measure(run_stream, 1, runs, warmup)

    body = request_body(client, upstream, messages)
    translated = translate_request(body, client_codec, upstream_codec)
    problem = problem or request_mismatch(
        request_transcript(client, body), request_transcript(upstream, translated)
    )

    def run_request() -> bytes:
        return translate_request(body, client_codec, upstream_codec)

    request_ns, request_min = measure(run_request, request_loops, runs, warmup)
    return Row(
        client=str(client),
        upstream=str(upstream),
        stream_events=stream.events,
        stream_chunks=len(stream.chunks),
        stream_us_per_event=stream_ns / 1000 / stream.events,
        stream_us_per_event_min=stream_min / 1000 / stream.events,
        stream_ms=stream_ns / 1e6,
        request_messages=messages,
        request_bytes=len(body),
        request_us=request_ns / 1000,
        request_us_min=request_min / 1000,
        check=problem or "ok",
    )


def run(
    events: int = DEFAULT_EVENTS,
    messages: int = DEFAULT_MESSAGES,
    runs: int = DEFAULT_RUNS,
    warmup: int = DEFAULT_WARMUP,
    request_loops: int = DEFAULT_REQUEST_LOOPS,
) -> list[Row]:
    """One row per (client, upstream) pair, clients in the outer order."""
    streams = {fmt: build_stream(fmt, events) for fmt in FORMATS}
    return [
        bench_pair(client, upstream, streams[upstream], messages, runs, warmup, request_loops)
        for client in FORMATS
        for upstream in FORMATS
    ]


def summary(rows: Sequence[Row]) -> dict[str, Any]:
    """Fastest, slowest and median pair for streams and requests, and the failed checks."""

    def pair(row: Row) -> str:
        return f"{row.client} ← {row.upstream}"

    stream = sorted(rows, key=lambda r: r.stream_us_per_event)
    request = sorted(rows, key=lambda r: r.request_us)
    return {
        "stream_fastest": {"pair": pair(stream[0]), "us_per_event": stream[0].stream_us_per_event},
        "stream_slowest": {
            "pair": pair(stream[-1]),
            "us_per_event": stream[-1].stream_us_per_event,
        },
        "stream_median_us_per_event": statistics.median(r.stream_us_per_event for r in rows),
        "request_fastest": {"pair": pair(request[0]), "us": request[0].request_us},
        "request_slowest": {"pair": pair(request[-1]), "us": request[-1].request_us},
        "request_median_us": statistics.median(r.request_us for r in rows),
        "failed_checks": [f"{pair(r)}: {r.check}" for r in rows if r.check != "ok"],
    }
