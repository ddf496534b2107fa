"""How long the codecs take to translate a stream and a request, for every format pair.

    python -m bench.codecs            # a table, one row per (client, upstream) pair
    python -m bench.codecs --json     # the same numbers as JSON

Stream: a tool-using upstream stream of `--events` SSE events (a thinking block, text deltas, two
tool calls streamed as argument fragments, usage, the terminal event), rendered by the upstream
codec's own stream encoder and cut into network-sized chunks of a few events (some cut mid-event).
Timed: SSEParser → upstream stream decoder → client stream encoder over all chunks, reported in
µs per upstream event.

Request: a `--messages`-message conversation (system prompt, user/assistant turns with thinking,
tool calls and tool results, ten tool definitions) rendered by the client codec as JSON bytes.
Timed: orjson.loads → client decode_request → upstream encode_request → orjson.dumps, reported in
µs per request (the JSON work is included: it is what the proxy pays per request).

Inputs are built as canonical objects and encoded by each codec, so they are valid for their
format. Each figure is the median of `--runs` timed runs after warm-up, with the garbage collector
off while timing. Everything is offline and deterministic (seeded).

Each pair's output is also checked, outside the timing: the translated stream is decoded again by
the client codec and compared with the input (text, thinking, tool calls, stop reason), and the
translated request is decoded by the upstream codec and compared with the client's (texts, tool
calls, tool results, tools). The `check` column shows the result; the exit status is 1 if any
check failed.
"""

from bench.codecs.cli import main
from bench.codecs.inputs import (
    FORMATS,
    MODEL,
    TOOLS,
    StreamInput,
    Transcript,
    build_stream,
    canonical_request,
    canonical_stream,
    client_request,
    count_events,
    render_stream,
    request_body,
    split_chunks,
)
from bench.codecs.timing import (
    DEFAULT_EVENTS,
    DEFAULT_MESSAGES,
    DEFAULT_REQUEST_LOOPS,
    DEFAULT_RUNS,
    DEFAULT_WARMUP,
    Row,
    bench_pair,
    measure,
    run,
    summary,
)
from bench.codecs.translate import (
    RequestTranscript,
    request_mismatch,
    request_transcript,
    stream_mismatch,
    transcript_of,
    translate_request,
    translate_stream,
)

__all__ = [
    "DEFAULT_EVENTS",
    "DEFAULT_MESSAGES",
    "DEFAULT_REQUEST_LOOPS",
    "DEFAULT_RUNS",
    "DEFAULT_WARMUP",
    "FORMATS",
    "MODEL",
    "TOOLS",
    "RequestTranscript",
    "Row",
    "StreamInput",
    "Transcript",
    "bench_pair",
    "build_stream",
    "canonical_request",
    "canonical_stream",
    "client_request",
    "count_events",
    "main",
    "measure",
    "render_stream",
    "request_body",
    "request_mismatch",
    "request_transcript",
    "run",
    "split_chunks",
    "stream_mismatch",
    "summary",
    "transcript_of",
    "translate_request",
    "translate_stream",
]
