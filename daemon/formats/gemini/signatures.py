"""Gemini `thoughtSignature` values ⇄ canonical signatures.

A native Gemini signature is kept as is. Another format's signed thinking (packed by
`reasoning.opaque_for`) is base64-wrapped before it goes into `thoughtSignature`: Gemini and the
google-genai SDK require that field to be base64, and the packed form contains a dot. The
wrapping starts with the base64 of the pack prefix, so spotting it costs a prefix test.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from daemon.formats import policy
from daemon.formats.gemini._wire import SKIP_SIGNATURE
from daemon.formats.reasoning import PACK_PREFIX, opaque_for, thinking_from_opaque
from daemon.model import Signature, ThinkingPart, WireFormat

GEMINI = WireFormat.GEMINI
# base64 of PACK_PREFIX ("cpxr1." is six bytes, so its encoding is a clean eight-char prefix)
_PACKED_B64 = base64.b64encode(PACK_PREFIX.encode()).decode()


def thinking_from_signature(value: str | None, text: str) -> ThinkingPart:
    """A Gemini thought part: native signature, or a foreign part we packed earlier."""
    if value is None:
        return ThinkingPart(text=text)
    if value.startswith(_PACKED_B64):
        try:
            inner = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            inner = ""
        if inner.startswith(PACK_PREFIX):
            return thinking_from_opaque(inner, GEMINI, text=text)
    return ThinkingPart(text=text, signature=Signature(GEMINI, value))


def thought_signature_of(part: ThinkingPart) -> str | None:
    """The `thoughtSignature` for a thinking part: native, or packed and base64-wrapped."""
    opaque = opaque_for(part, GEMINI)
    if opaque is None or (part.signature is not None and part.signature.format == GEMINI):
        return opaque
    return base64.b64encode(opaque.encode()).decode()


def native_signature(sig: Signature | None, where: str) -> str | None:
    """A text / function-call signature for Gemini; another format's cannot be echoed."""
    if sig is None:
        return None
    if sig.format != GEMINI:
        policy.drop(f"{where}.signature", GEMINI, f"a {sig.format} signature is not Gemini's")
        return None
    return sig.value


def add_skip_signature(parts: list[dict[str, Any]]) -> None:
    """Gemini 3 wants the first function call of a model turn signed; give an unsigned one the
    documented skip value (only for history that never had a Gemini signature)."""
    for part in parts:
        if "functionCall" in part:
            part.setdefault("thoughtSignature", SKIP_SIGNATURE)
            return
