"""Gemini `thoughtSignature` values ⇄ canonical signatures.

A native Gemini signature is kept as is. Another format's signed thinking (packed by
`reasoning.pack`) is base64-wrapped before it goes into `thoughtSignature`: Gemini and the
google-genai SDK require that field to be base64, and the packed form contains a dot. The
wrapping starts with the base64 of the pack prefix, so spotting it costs a prefix test. One
wrapped value may hold several packed parts (joined by ","), for a part that carries all the
foreign thinking before it.

Where the packed thinking rides, for a Gemini client: clients drop thought parts from the
history they send back (Gemini CLI does), but keep the signature Gemini itself puts on the first
function call of a turn (or, without calls, on its last text part). So the packed signature of
foreign thinking rides on that part — the first unsigned function call after the thinking, else
the turn's last unsigned text part after it (`ride_plan`) — and only the thought text is shown
on a thought part. Decoding puts the thinking back ahead of its carrier (parts.settle). With
no such part after it, the signature stays on the thought part (as it always could be decoded).

`SKIP_SIGNATURE` (the documented "skip the check" value that clients put on unsigned calls) is
never a signature: it is only echoed back to a Gemini upstream.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

from daemon.formats import policy
from daemon.formats.gemini._wire import SKIP_SIGNATURE
from daemon.formats.reasoning import PACK_PREFIX, opaque_for, pack, unpack
from daemon.model import Part, Signature, TextPart, ThinkingPart, ToolCallPart, WireFormat

GEMINI = WireFormat.GEMINI
# base64 of PACK_PREFIX ("cpxr1." is six bytes, so its encoding is a clean eight-char prefix)
_PACKED_B64 = base64.b64encode(PACK_PREFIX.encode()).decode()
_JOIN = ","  # never in a packed value (prefix + unpadded urlsafe base64)


def is_foreign(part: Part) -> bool:
    """A thinking part signed by another format: it travels packed in a Gemini client."""
    return (
        isinstance(part, ThinkingPart)
        and part.signature is not None
        and part.signature.format != GEMINI
    )


def packed_thinking(value: str) -> list[ThinkingPart] | None:
    """The foreign thinking parts a wrapped `thoughtSignature` holds, or None for any other
    value (a native signature)."""
    if not value.startswith(_PACKED_B64):
        return None
    try:
        inner = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    parts: list[ThinkingPart] = []
    for piece in inner.split(_JOIN):
        part = unpack(piece)
        if part is None:
            return None
        parts.append(part)
    return parts


def wrap(parts: Sequence[ThinkingPart]) -> str:
    """The `thoughtSignature` that carries these foreign thinking parts."""
    return base64.b64encode(_JOIN.join(pack(p) for p in parts).encode()).decode()


def thinking_from_signature(value: str | None, text: str) -> ThinkingPart:
    """A Gemini thought part: native signature, or a foreign part we packed on it."""
    if value is None or value == SKIP_SIGNATURE:
        return ThinkingPart(text=text)
    packed = packed_thinking(value)
    if packed is not None and len(packed) == 1:
        return packed[0]
    return ThinkingPart(text=text, signature=Signature(GEMINI, value))


def thought_signature_of(part: ThinkingPart) -> str | None:
    """The `thoughtSignature` for a thinking part: native, or packed and base64-wrapped."""
    if is_foreign(part):
        return wrap([part])
    return opaque_for(part, GEMINI)


def native_signature(sig: Signature | None, where: str) -> str | None:
    """A text / function-call signature for Gemini; another format's cannot be echoed."""
    if sig is None:
        return None
    if sig.format != GEMINI:
        policy.drop(f"{where}.signature", GEMINI, f"a {sig.format} signature is not Gemini's")
        return None
    return sig.value


def can_carry(part: Part) -> bool:
    """A part that may carry packed thinking: an unsigned function call or non-empty text
    (Gemini CLI drops a chunk holding an empty text part)."""
    if isinstance(part, ToolCallPart):
        return part.signature is None
    return isinstance(part, TextPart) and part.signature is None and part.text != ""


def ride_plan(parts: Sequence[Part]) -> dict[int, list[int]]:
    """For a Gemini client: index of a carrier part → indices of the foreign thinking parts
    whose signature it carries. Each rides on the first function call after it that
    `can_carry`, else on the last text part of the turn that can, if that comes after it."""
    plan: dict[int, list[int]] = {}
    waiting: list[int] = []
    last_text = -1
    for i, part in enumerate(parts):
        if is_foreign(part):
            waiting.append(i)
        elif isinstance(part, ToolCallPart) and can_carry(part):
            if waiting:
                plan[i], waiting = waiting, []
        elif isinstance(part, TextPart) and can_carry(part):
            last_text = i
    rest = [j for j in waiting if j < last_text]
    if rest:
        plan[last_text] = rest
    return plan


def add_skip_signature(parts: list[dict[str, Any]]) -> None:
    """Gemini 3 wants the first function call of a model turn signed; give an unsigned one the
    documented skip value (only for history that never had a Gemini signature)."""
    for part in parts:
        if "functionCall" in part:
            part.setdefault("thoughtSignature", SKIP_SIGNATURE)
            return
