"""What a credential without a ``models`` list serves: a small default catalogue per family
(what ``/v1/models`` lists for it) and a pattern of ids it accepts beyond the catalogue, so a
model released after this file was written works without an update.

openai-compatible has neither: an OpenAI-compatible service can serve anything, so its entries
say what they serve (see daemon/routing/registry.py for the one exception, prefixed entries).
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase

CATALOGUE: Mapping[str, tuple[str, ...]] = {
    "claude": (
        "claude-opus-4-6",
        "claude-sonnet-4-6",
        "claude-opus-4-5-20251101",
        "claude-sonnet-4-5-20250929",
        "claude-haiku-4-5-20251001",
    ),
    "gemini": (
        "gemini-3-pro-preview",
        "gemini-3-flash-preview",
        "gemini-2.5-pro",
        "gemini-2.5-flash",
        "gemini-2.5-flash-lite",
    ),
    "vertex": (
        "gemini-3-pro-preview",
        "gemini-3-flash-preview",
        "gemini-2.5-pro",
        "gemini-2.5-flash",
        "gemini-2.5-flash-lite",
    ),
    "codex": (
        "gpt-5.1-codex",
        "gpt-5.1",
        "gpt-5-codex",
        "gpt-5",
        "gpt-5-mini",
    ),
}

# fnmatch patterns, matched against the lowercased id.
PATTERNS: Mapping[str, tuple[str, ...]] = {
    "claude": ("claude-*",),
    "gemini": ("gemini-*",),
    "vertex": ("gemini-*",),
    "codex": ("gpt-*", "o[0-9]*", "codex-*"),
}


def catalogue(family: str) -> tuple[str, ...]:
    """The default model ids of a family (empty for a family without one)."""
    return CATALOGUE.get(family, ())


def matches_family(family: str, model: str) -> bool:
    """Whether `model` looks like a model of `family` (its catalogue or its pattern)."""
    if model in CATALOGUE.get(family, ()):
        return True
    lowered = model.lower()
    return any(fnmatchcase(lowered, pattern) for pattern in PATTERNS.get(family, ()))
