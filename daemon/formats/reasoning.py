"""Reasoning that crosses formats: effort ⇄ budget mapping, and signatures that travel abroad.

Signed reasoning is valid only for the upstream that issued it. When a client of another format
must hold it (and send it back on the next tool turn), the encoder packs the original into that
format's own opaque field — an Anthropic `signature`, a Responses `encrypted_content`, a Gemini
`thoughtSignature` — and the decoder of that format unpacks it, restoring the part exactly.

Gemini signs function-call and text parts, which other formats cannot sign. Such a signature
travels as a *carrier*: an empty thinking block placed just before the part it belongs to, with
the signature packed inside. `restore_carriers` puts it back on its part after decoding.
OpenAI Chat Completions has no opaque field at all, so signatures cannot survive a chat client.

Effort ⇄ budget (nearest setting; budget -1 means "let the model decide"):

    effort    none  minimal  low   medium  high   xhigh  max
    budget    0     512      1024  8192    24576  32768  32768

"max" is Anthropic's top `output_config.effort` (above its "xhigh"). No other format has it:
towards OpenAI it becomes "xhigh" (`effort_within(effort, OPENAI_EFFORTS)`), towards a budget
it is 32768, the largest budget every thinking Gemini model accepts (Anthropic itself keeps the
effort). A budget never maps back to "max" (`effort_for_budget` stops at "xhigh").
Effort levels outside the table are dropped or rejected by each codec (see policy.py).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace

import orjson

from daemon.model import Part, Signature, TextPart, ThinkingPart, ToolCallPart, WireFormat

PACK_PREFIX = "cpxr1."

BUDGET_OF_EFFORT: dict[str, int] = {
    "none": 0,
    "minimal": 512,
    "low": 1024,
    "medium": 8192,
    "high": 24576,
    "xhigh": 32768,
    "max": 32768,
}
OPENAI_EFFORTS: tuple[str, ...] = ("none", "minimal", "low", "medium", "high", "xhigh")


def budget_for_effort(effort: str) -> int | None:
    """Token budget for an effort level; None for a level we do not know."""
    return BUDGET_OF_EFFORT.get(effort.lower())


def effort_within(effort: str, levels: tuple[str, ...]) -> str | None:
    """`effort` if `levels` has it, else the level whose budget is nearest (ties: the higher);
    None for an effort we do not know."""
    effort = effort.lower()
    if effort in levels:
        return effort
    budget = budget_for_effort(effort)
    if budget is None:
        return None
    best: str | None = None
    for level in levels:
        own = BUDGET_OF_EFFORT.get(level)
        if own is None:
            continue
        if best is None or abs(own - budget) <= abs(BUDGET_OF_EFFORT[best] - budget):
            best = level
    return best


def effort_for_budget(budget: int) -> str:
    """The effort level nearest to a token budget (-1, dynamic, maps to medium)."""
    if budget == 0:
        return "none"
    if budget < 0:
        return "medium"
    if budget <= 512:
        return "minimal"
    if budget <= 1024:
        return "low"
    if budget <= 8192:
        return "medium"
    if budget <= 24576:
        return "high"
    return "xhigh"


def pack(part: ThinkingPart) -> str:
    """Wrap a signed thinking part so another format can carry it opaquely."""
    if part.signature is None:
        raise ValueError("only signed reasoning needs packing")
    payload: dict[str, object] = {"f": str(part.signature.format), "s": part.signature.value}
    if part.text:
        payload["t"] = part.text
    if part.redacted:
        payload["r"] = 1
    if part.id:
        payload["i"] = part.id
    if part.extra.get("carrier"):
        payload["c"] = 1
    return PACK_PREFIX + base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def unpack(value: str) -> ThinkingPart | None:
    """The original part packed by `pack`, or None when `value` is a native signature."""
    if not value.startswith(PACK_PREFIX):
        return None
    raw = value[len(PACK_PREFIX) :]
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        signature = Signature(format=WireFormat(payload["f"]), value=str(payload["s"]))
    except (binascii.Error, orjson.JSONDecodeError, KeyError, ValueError, TypeError):
        return None
    return ThinkingPart(
        text=str(payload.get("t", "")),
        signature=signature,
        redacted=bool(payload.get("r")),
        id=payload.get("i"),
        extra={"carrier": True} if payload.get("c") else {},
    )


def opaque_for(part: ThinkingPart, target: WireFormat) -> str | None:
    """What goes in `target`'s opaque field: the native signature, or the packed original."""
    if part.signature is None:
        return None
    if part.signature.format == target:
        return part.signature.value
    return pack(part)


def thinking_from_opaque(
    value: str, source: WireFormat, text: str = "", redacted: bool = False, id: str | None = None
) -> ThinkingPart:
    """Decode a format's opaque field: a packed foreign part, or a native signature."""
    restored = unpack(value)
    if restored is not None:
        return restored
    return ThinkingPart(text=text, signature=Signature(source, value), redacted=redacted, id=id)


def split_carriers(parts: list[Part]) -> list[Part]:
    """Before encoding for a format that cannot sign text or tool calls: move each such
    signature into a carrier thinking part placed just before its owner."""
    out: list[Part] = []
    for part in parts:
        if isinstance(part, TextPart | ToolCallPart) and part.signature is not None:
            out.append(ThinkingPart(signature=part.signature, extra={"carrier": True}))
            out.append(replace(part, signature=None))
        else:
            out.append(part)
    return out


def restore_carriers(parts: list[Part]) -> list[Part]:
    """After decoding: hand each carrier's signature back to the part that follows it."""
    out: list[Part] = []
    pending: Signature | None = None
    for part in parts:
        if isinstance(part, ThinkingPart) and part.extra.get("carrier"):
            pending = part.signature
            continue
        if pending is not None and isinstance(part, TextPart | ToolCallPart):
            part = replace(part, signature=pending)
        pending = None
        out.append(part)
    return out
