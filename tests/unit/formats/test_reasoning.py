"""daemon.formats.reasoning: effort ⇄ budget, and signatures packed for foreign formats."""

from __future__ import annotations

import base64

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from daemon.formats.reasoning import (
    BUDGET_OF_EFFORT,
    OPENAI_EFFORTS,
    PACK_PREFIX,
    budget_for_effort,
    effort_for_budget,
    effort_within,
    opaque_for,
    pack,
    restore_carriers,
    split_carriers,
    thinking_from_opaque,
    unpack,
)
from daemon.model import (
    ImagePart,
    Part,
    Signature,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolResultPart,
    WireFormat,
)

ANTHROPIC_SIG = Signature(WireFormat.ANTHROPIC, "EqQBCkYIBxgCKkD+sig/abc==")
GEMINI_SIG = Signature(WireFormat.GEMINI, "CiQB0e2Kb-gemini-sig")


# --------------------------------------------------------------------------- effort ⇄ budget


@pytest.mark.parametrize(
    ("effort", "budget"),
    [("none", 0), ("minimal", 512), ("low", 1024), ("medium", 8192), ("high", 24576),
     ("xhigh", 32768), ("HIGH", 24576), ("Medium", 8192)],
)  # fmt: skip
def test_budget_for_effort(effort: str, budget: int) -> None:
    assert budget_for_effort(effort) == budget


def test_unknown_effort_has_no_budget() -> None:
    assert budget_for_effort("ultra") is None
    assert budget_for_effort("") is None


def test_anthropic_max_effort_maps_to_the_top_budget_and_to_openai_xhigh() -> None:
    assert budget_for_effort("max") == 32768
    assert effort_within("max", OPENAI_EFFORTS) == "xhigh"
    assert effort_within("High", OPENAI_EFFORTS) == "high"
    assert effort_within("ultra", OPENAI_EFFORTS) is None
    assert effort_within("minimal", ("low", "medium", "high", "max")) == "low"
    assert effort_within("xhigh", ("low", "medium", "high")) == "high"


@pytest.mark.parametrize(
    ("budget", "effort"),
    [(0, "none"), (-1, "medium"), (-100, "medium"), (1, "minimal"), (512, "minimal"),
     (513, "low"), (1024, "low"), (1025, "medium"), (8192, "medium"), (8193, "high"),
     (24576, "high"), (24577, "xhigh"), (32768, "xhigh"), (10**6, "xhigh")],
)  # fmt: skip
def test_effort_for_budget_picks_the_nearest_level_at_or_above(budget: int, effort: str) -> None:
    assert effort_for_budget(budget) == effort


@pytest.mark.parametrize("effort", [e for e in BUDGET_OF_EFFORT if e != "max"])
def test_effort_survives_a_round_trip_through_its_budget(effort: str) -> None:
    budget = budget_for_effort(effort)
    assert budget is not None
    assert effort_for_budget(budget) == effort


@given(st.integers(min_value=1, max_value=10**7), st.integers(min_value=1, max_value=10**7))
def test_effort_is_monotonic_in_budget(a: int, b: int) -> None:
    order = list(BUDGET_OF_EFFORT)
    low, high = sorted((a, b))
    assert order.index(effort_for_budget(low)) <= order.index(effort_for_budget(high))


# --------------------------------------------------------------------------- pack / unpack


def test_pack_needs_a_signature() -> None:
    with pytest.raises(ValueError, match="signed"):
        pack(ThinkingPart(text="unsigned"))


def test_pack_is_prefixed_unpadded_urlsafe_base64_of_compact_json() -> None:
    packed = pack(ThinkingPart(text="why", signature=ANTHROPIC_SIG))
    assert packed.startswith(PACK_PREFIX)
    body = packed[len(PACK_PREFIX) :]
    assert "=" not in body and "+" not in body and "/" not in body
    payload = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert payload == {"f": "anthropic", "s": ANTHROPIC_SIG.value, "t": "why"}


@pytest.mark.parametrize(
    "part",
    [
        ThinkingPart(text="", signature=ANTHROPIC_SIG),
        ThinkingPart(text="step by step ✓", signature=ANTHROPIC_SIG, id="rs_1"),
        ThinkingPart(signature=ANTHROPIC_SIG, redacted=True),
        ThinkingPart(signature=GEMINI_SIG, extra={"carrier": True}),
        ThinkingPart(text="t", signature=Signature(WireFormat.OPENAI_RESPONSES, "gAAAA=="), id="x"),
    ],
)
def test_unpack_restores_what_pack_packed(part: ThinkingPart) -> None:
    assert unpack(pack(part)) == part


def test_pack_drops_extra_other_than_the_carrier_flag() -> None:
    part = ThinkingPart(text="a", signature=ANTHROPIC_SIG, extra={"cache_control": {"x": 1}})
    assert unpack(pack(part)) == ThinkingPart(text="a", signature=ANTHROPIC_SIG)


@given(
    text=st.text(),
    value=st.text(min_size=1),
    fmt=st.sampled_from(list(WireFormat)),
    redacted=st.booleans(),
    id=st.none() | st.text(min_size=1),
    carrier=st.booleans(),
)
def test_pack_round_trips_any_part(
    text: str, value: str, fmt: WireFormat, redacted: bool, id: str | None, carrier: bool
) -> None:
    part = ThinkingPart(
        text=text,
        signature=Signature(fmt, value),
        redacted=redacted,
        id=id,
        extra={"carrier": True} if carrier else {},
    )
    assert unpack(pack(part)) == part


@pytest.mark.parametrize(
    "value",
    [
        "EqQBCkYIBxgCKkD",  # a native signature
        "",
        PACK_PREFIX,  # nothing packed
        PACK_PREFIX + "!!!not base64!!!",
        PACK_PREFIX + base64.urlsafe_b64encode(b"not json").decode(),
        PACK_PREFIX + base64.urlsafe_b64encode(b'{"s": "no format"}').decode(),
        PACK_PREFIX + base64.urlsafe_b64encode(b'{"f": "klingon", "s": "x"}').decode(),
        PACK_PREFIX + base64.urlsafe_b64encode(b"[1, 2]").decode(),
    ],
)
def test_unpack_of_anything_else_is_none(value: str) -> None:
    assert unpack(value) is None


# --------------------------------------------------------------------------- opaque fields


def test_opaque_for_the_issuing_format_is_the_native_signature() -> None:
    part = ThinkingPart(text="x", signature=ANTHROPIC_SIG)
    assert opaque_for(part, WireFormat.ANTHROPIC) == ANTHROPIC_SIG.value


def test_opaque_for_another_format_is_the_packed_part() -> None:
    part = ThinkingPart(text="x", signature=ANTHROPIC_SIG)
    opaque = opaque_for(part, WireFormat.GEMINI)
    assert opaque is not None and opaque.startswith(PACK_PREFIX)
    # The Gemini client echoes it back; decoding it restores the Anthropic part exactly.
    assert thinking_from_opaque(opaque, WireFormat.GEMINI) == part


def test_opaque_for_an_unsigned_part_is_none() -> None:
    assert opaque_for(ThinkingPart(text="x"), WireFormat.ANTHROPIC) is None


def test_thinking_from_a_native_opaque_value() -> None:
    part = thinking_from_opaque(
        "native-sig", WireFormat.OPENAI_RESPONSES, text="sum", redacted=False, id="rs_9"
    )
    assert part == ThinkingPart(
        text="sum", signature=Signature(WireFormat.OPENAI_RESPONSES, "native-sig"), id="rs_9"
    )


def test_a_packed_value_wins_over_the_fields_given_alongside() -> None:
    original = ThinkingPart(text="orig", signature=ANTHROPIC_SIG, redacted=True)
    restored = thinking_from_opaque(
        pack(original), WireFormat.OPENAI_RESPONSES, text="summary", id="rs_1"
    )
    assert restored == original


# --------------------------------------------------------------------------- carriers


def test_split_carriers_moves_signatures_into_carriers_before_their_owner() -> None:
    text = TextPart("answer", signature=GEMINI_SIG)
    call = ToolCallPart(id="c1", name="f", arguments="{}", signature=GEMINI_SIG)
    thinking = ThinkingPart(text="t", signature=GEMINI_SIG)
    plain = TextPart("plain")
    parts: list[Part] = [thinking, text, plain, call]
    out = split_carriers(parts)
    carrier = ThinkingPart(signature=GEMINI_SIG, extra={"carrier": True})
    assert out == [
        thinking,  # thinking keeps its own signature
        carrier,
        TextPart("answer"),
        plain,
        carrier,
        ToolCallPart(id="c1", name="f", arguments="{}"),
    ]
    assert text.signature == GEMINI_SIG  # the input is not changed


def test_restore_carriers_hands_signatures_back() -> None:
    parts: list[Part] = [
        ThinkingPart(text="t", signature=GEMINI_SIG),
        TextPart("answer", signature=GEMINI_SIG),
        TextPart("plain"),
        ToolCallPart(id="c1", name="f", arguments="{}", signature=GEMINI_SIG),
    ]
    assert restore_carriers(split_carriers(parts)) == parts


def test_a_carrier_survives_packing_for_a_foreign_format() -> None:
    parts: list[Part] = [TextPart("answer", signature=GEMINI_SIG)]
    carrier, owner = split_carriers(parts)
    assert isinstance(carrier, ThinkingPart)
    opaque = opaque_for(carrier, WireFormat.ANTHROPIC)
    assert opaque is not None
    travelled = thinking_from_opaque(opaque, WireFormat.ANTHROPIC)
    assert restore_carriers([travelled, owner]) == parts


def test_a_carrier_applies_only_to_the_part_right_after_it() -> None:
    carrier = ThinkingPart(signature=GEMINI_SIG, extra={"carrier": True})
    image = ImagePart(url="http://x/i.png")
    result = ToolResultPart(call_id="c1")
    parts: list[Part] = [carrier, image, TextPart("late"), carrier, result, TextPart("late2")]
    assert restore_carriers(parts) == [image, TextPart("late"), result, TextPart("late2")]


def test_a_trailing_carrier_is_dropped() -> None:
    carrier = ThinkingPart(signature=GEMINI_SIG, extra={"carrier": True})
    assert restore_carriers([TextPart("a"), carrier]) == [TextPart("a")]


def test_a_second_carrier_replaces_the_first() -> None:
    other = Signature(WireFormat.GEMINI, "second")
    parts: list[Part] = [
        ThinkingPart(signature=GEMINI_SIG, extra={"carrier": True}),
        ThinkingPart(signature=other, extra={"carrier": True}),
        TextPart("x"),
    ]
    assert restore_carriers(parts) == [TextPart("x", signature=other)]


def test_split_and_restore_of_unsigned_parts_change_nothing() -> None:
    parts: list[Part] = [TextPart("a"), ThinkingPart(text="b"), ToolCallPart(id="c", name="n")]
    assert split_carriers(parts) == parts
    assert restore_carriers(parts) == parts
