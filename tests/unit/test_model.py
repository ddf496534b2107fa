from __future__ import annotations

from daemon.model import ApiError, BlockStart, Request, Response, TextPart, Usage, WireFormat


def test_total_tokens_adds_input_and_output() -> None:
    assert Usage(input_tokens=7, output_tokens=5, cached_tokens=3).total_tokens == 12


def test_defaults_are_not_shared_between_instances() -> None:
    first, second = Request(model="a"), Request(model="b")
    first.extra["x"] = 1
    first.messages.clear()
    assert second.extra == {}
    assert first.messages is not second.messages

    assert Response(id="r", model="m").usage is not Response(id="s", model="m").usage


def test_types_are_slotted_so_typos_fail_loudly() -> None:
    part = TextPart("hi")
    try:
        part.txt = "oops"  # type: ignore[attr-defined]
    except AttributeError:
        pass
    else:
        raise AssertionError("TextPart accepted an unknown attribute")
    assert BlockStart(0, part).part is part


def test_wire_formats_are_their_string_values() -> None:
    assert {str(f) for f in WireFormat} == {
        "openai_chat",
        "openai_responses",
        "anthropic",
        "gemini",
    }
    assert ApiError("rate_limit", "slow down", 429, retry_after=2.0).retry_after == 2.0
