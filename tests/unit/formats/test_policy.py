"""daemon.formats.policy: drop / reject, and refusing input only the source format can express."""

from __future__ import annotations

import logging

import pytest

from daemon.errors import TranslationError
from daemon.formats.anthropic import CODEC as ANTHROPIC
from daemon.formats.gemini import CODEC as GEMINI
from daemon.formats.openai_chat import CODEC as CHAT
from daemon.formats.openai_responses import CODEC as RESPONSES
from daemon.formats.openai_responses import ensure_translatable
from daemon.formats.policy import check_translatable, drop, reject
from daemon.model import Request, WireFormat


def test_drop_logs_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="cliproxy.formats"):
        drop("top_k", WireFormat.OPENAI_CHAT, "no such field")
    assert "dropping top_k for openai_chat: no such field" in caplog.text


def test_reject_names_the_field() -> None:
    error = reject("seed", WireFormat.ANTHROPIC, "no seed")
    assert isinstance(error, TranslationError)
    assert error.param == "seed"
    assert error.to_api_error().status == 400
    assert "seed cannot be sent to a anthropic upstream: no seed" in error.message


def test_check_translatable_refuses_same_format_only_input_elsewhere() -> None:
    request = Request(
        model="m",
        source_format=WireFormat.OPENAI_RESPONSES,
        same_format_only=["input[0] (item_reference)", "input[3] (web_search_call)"],
    )
    check_translatable(request, WireFormat.OPENAI_RESPONSES)  # same format: fine
    with pytest.raises(TranslationError, match=r"1 more") as info:
        check_translatable(request, WireFormat.GEMINI)
    assert info.value.param == "input[0] (item_reference)"
    with pytest.raises(TranslationError):
        ensure_translatable(request, WireFormat.ANTHROPIC)  # the Responses codec's own name
    check_translatable(Request(model="m", source_format=WireFormat.ANTHROPIC), WireFormat.GEMINI)


def test_each_codec_lists_what_only_it_can_express() -> None:
    chat = CHAT.decode_request(
        {
            "model": "m",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "listen"},
                        {"type": "input_audio", "input_audio": {"data": "AA", "format": "wav"}},
                    ],
                }
            ],
        }
    )
    assert chat.same_format_only == ["messages[0].content[1] (input_audio)"]

    responses = RESPONSES.decode_request(
        {"model": "m", "input": [{"type": "item_reference", "id": "msg_1"}]}
    )
    assert responses.same_format_only == ["input[0] (item_reference)"]

    pdf = {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="}
    text_doc = {"type": "text", "media_type": "text/plain", "data": "notes"}
    anthropic = ANTHROPIC.decode_request(
        {
            "model": "m",
            "max_tokens": 10,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "document", "source": pdf},
                        {"type": "document", "source": text_doc},  # its text is carried
                        {"type": "text", "text": "summarise"},
                    ],
                },
                {
                    "role": "assistant",
                    "content": [
                        {"type": "server_tool_use", "id": "s", "name": "web_search", "input": {}}
                    ],
                },
            ],
        }
    )
    assert anthropic.same_format_only == [
        "messages[0].content[0] (document)",
        "messages[1].content[0] (server_tool_use)",
    ]

    gemini = GEMINI.decode_request(
        {
            "contents": [
                {
                    "role": "model",
                    "parts": [{"executableCode": {"language": "PYTHON", "code": "1+1"}}],
                }
            ]
        }
    )
    assert gemini.same_format_only == ["contents[0].parts (executableCode)"]
    for request in (chat, responses, anthropic, gemini):
        assert request.source_format is not None
        check_translatable(request, request.source_format)
        with pytest.raises(TranslationError):
            check_translatable(
                request,
                WireFormat.OPENAI_CHAT
                if request.source_format != WireFormat.OPENAI_CHAT
                else WireFormat.GEMINI,
            )
