"""The codec benchmark runs, at tiny sizes, and what it times is a faithful translation.

No timing is asserted: only that the numbers exist and that each pair's translated stream and
request, decoded again, say everything the input said.
"""

from __future__ import annotations

import itertools

import orjson
import pytest

from bench import codecs as bench
from daemon.formats.base import codec_for
from daemon.model import WireFormat

PAIRS = list(itertools.product(bench.FORMATS, repeat=2))  # (client, upstream)
IDS = [f"{client}<-{upstream}" for client, upstream in PAIRS]
EVENTS = 20
MESSAGES = 5


@pytest.fixture(scope="module")
def streams() -> dict[WireFormat, bench.StreamInput]:
    return {fmt: bench.build_stream(fmt, EVENTS) for fmt in bench.FORMATS}


def _translate(
    streams: dict[WireFormat, bench.StreamInput], client: WireFormat, upstream: WireFormat
) -> tuple[bench.Transcript, bench.Transcript]:
    stream = streams[upstream]
    output = bench.translate_stream(
        stream, codec_for(upstream), codec_for(client), bench.client_request()
    )
    return stream.expected, bench.transcript_of(client, output)


def test_run_gives_one_sane_row_per_pair() -> None:
    rows = bench.run(events=EVENTS, messages=MESSAGES, runs=1, warmup=0, request_loops=1)
    assert len(rows) == 16
    assert {(row.client, row.upstream) for row in rows} == {(str(c), str(u)) for c, u in PAIRS}
    for row in rows:
        assert row.stream_events >= EVENTS
        assert 0 < row.stream_chunks <= row.stream_events * 2
        assert 0 < row.stream_us_per_event_min <= row.stream_us_per_event and row.stream_ms > 0
        assert 0 < row.request_us_min <= row.request_us and row.request_bytes > 0
        assert row.request_messages == MESSAGES
        assert row.check
    summary = bench.summary(rows)
    fastest, slowest = summary["stream_fastest"], summary["stream_slowest"]
    assert 0 < fastest["us_per_event"] <= slowest["us_per_event"]
    assert 0 < summary["request_fastest"]["us"] <= summary["request_slowest"]["us"]


@pytest.mark.parametrize("fmt", bench.FORMATS)
def test_stream_input_has_the_asked_size_and_realistic_chunks(fmt: WireFormat) -> None:
    stream = bench.build_stream(fmt, 200)
    assert stream.events == 200
    assert bench.count_events(b"".join(stream.chunks)) == 200
    assert len(stream.chunks) < 200  # several events per chunk
    assert any(not chunk.endswith(b"\n\n") for chunk in stream.chunks)  # some cut mid-event
    expected = stream.expected
    assert expected.text and expected.thinking and expected.stop == "tool_calls"
    assert [name for name, _ in expected.calls] == ["tool_3_lookup", "tool_7_lookup"]


@pytest.mark.parametrize(("client", "upstream"), PAIRS, ids=IDS)
def test_translated_stream_keeps_text_and_tool_calls(
    streams: dict[WireFormat, bench.StreamInput], client: WireFormat, upstream: WireFormat
) -> None:
    expected, got = _translate(streams, client, upstream)
    assert len(expected.calls) == 2 and expected.text
    assert got.text == expected.text
    assert got.calls == expected.calls
    assert got.stop == "tool_calls"


@pytest.mark.parametrize(
    ("client", "upstream"),
    [pytest.param(c, u) for c, u in PAIRS],
    ids=IDS,
)
def test_translated_stream_keeps_thinking(
    streams: dict[WireFormat, bench.StreamInput], client: WireFormat, upstream: WireFormat
) -> None:
    expected, got = _translate(streams, client, upstream)
    assert expected.thinking
    assert got.thinking == expected.thinking


@pytest.mark.parametrize(("client", "upstream"), PAIRS, ids=IDS)
def test_translated_request_keeps_the_conversation(
    client: WireFormat, upstream: WireFormat
) -> None:
    body = bench.request_body(client, upstream, MESSAGES)
    translated = bench.translate_request(body, codec_for(client), codec_for(upstream))
    sent = bench.request_transcript(client, body)
    assert len(sent.calls) == len(sent.results) >= 1
    assert sent.texts[0][0] == "system" and len(sent.tools) == 10
    assert bench.request_mismatch(sent, bench.request_transcript(upstream, translated)) is None


def test_canonical_request_has_the_asked_length() -> None:
    for size in (2, 5, 50):
        assert len(bench.canonical_request(size, WireFormat.ANTHROPIC).messages) == size


def test_main_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--events", str(EVENTS), "--messages", str(MESSAGES), "--runs", "1", "--warmup", "0"]
    status = bench.main([*argv, "--request-loops", "1", "--json"])
    payload = orjson.loads(capsys.readouterr().out)
    assert payload["config"]["events"] == EVENTS
    assert len(payload["rows"]) == 16
    assert all(row["stream_us_per_event"] > 0 for row in payload["rows"])
    assert status == (0 if not payload["summary"]["failed_checks"] else 1)


def test_main_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--events", str(EVENTS), "--messages", str(MESSAGES), "--runs", "1", "--warmup", "0"]
    bench.main([*argv, "--request-loops", "1"])
    out = capsys.readouterr().out
    assert "stream µs/event" in out and "fastest" in out and "slowest" in out
    assert out.count("openai_responses") >= 8
