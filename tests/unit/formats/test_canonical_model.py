"""daemon.model: the canonical model's shared rules (what of `extra` may reach the wire)."""

from __future__ import annotations

import pytest

from daemon.formats.base import codec_for
from daemon.model import Response, TextPart, WireFormat, wire_fields


def test_wire_fields_leave_out_private_keys_and_carriers() -> None:
    extra = {"cache_control": {"type": "ephemeral"}, "_responses": {"x": 1}, "carrier": True}
    assert wire_fields(extra) == {"cache_control": {"type": "ephemeral"}}


@pytest.mark.parametrize("fmt", list(WireFormat))
def test_decoded_responses_name_their_format(fmt: WireFormat) -> None:
    hello = {"role": "assistant", "content": "hi"}
    hello_part = {"text": "hi"}
    bodies: dict[WireFormat, dict[str, object]] = {
        WireFormat.OPENAI_CHAT: {
            "id": "c",
            "object": "chat.completion",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "message": hello, "finish_reason": "stop"}],
        },
        WireFormat.OPENAI_RESPONSES: {"id": "r", "status": "completed", "output": []},
        WireFormat.ANTHROPIC: {
            "id": "a",
            "type": "message",
            "role": "assistant",
            "model": "m",
            "content": [{"type": "text", "text": "hi"}],
            "stop_reason": "end_turn",
        },
        WireFormat.GEMINI: {"candidates": [{"content": {"role": "model", "parts": [hello_part]}}]},
    }
    assert codec_for(fmt).decode_response(bodies[fmt]).source_format == fmt


@pytest.mark.parametrize("fmt", list(WireFormat))
def test_extras_of_another_format_never_reach_the_wire(fmt: WireFormat) -> None:
    """Only the codec of `Response.source_format` writes `extra` back."""
    others = [f for f in WireFormat if f != fmt]
    response = Response(
        id="r",
        model="m",
        parts=[TextPart("hi", extra={"citations": ["x"], "_anthropic_block": {"type": "x"}})],
        source_format=others[0],
        extra={"system_fingerprint": "fp", "tools": ["t"], "_gemini": {"body": {"x": 1}}},
    )
    body = codec_for(fmt).encode_response(response)
    text = str(body)
    for leaked in (
        "system_fingerprint",
        "citations",
        "_anthropic_block",
        "_gemini",
        "'tools': ['t']",
    ):
        assert leaked not in text, leaked
