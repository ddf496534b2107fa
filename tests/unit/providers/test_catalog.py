"""daemon.providers.catalog: default catalogues and family patterns."""

from __future__ import annotations

import pytest

from daemon.providers.catalog import CATALOGUE, PATTERNS, catalogue, matches_family


def test_every_catalogued_id_matches_its_own_family() -> None:
    for family, ids in CATALOGUE.items():
        assert ids, family
        assert len(set(ids)) == len(ids)
        assert all(matches_family(family, model) for model in ids)


def test_openai_compatible_has_neither_catalogue_nor_pattern() -> None:
    assert catalogue("openai-compatible") == ()
    assert "openai-compatible" not in PATTERNS
    assert not matches_family("openai-compatible", "gpt-5")


@pytest.mark.parametrize(
    ("family", "model", "expected"),
    [
        ("claude", "claude-opus-9", True),
        ("claude", "Claude-Sonnet-5", True),
        ("claude", "gpt-5", False),
        ("gemini", "gemini-4-ultra", True),
        ("vertex", "gemini-2.5-pro", True),
        ("gemini", "claude-x", False),
        ("codex", "gpt-6", True),
        ("codex", "o3", True),
        ("codex", "o4-mini", True),
        ("codex", "codex-mini-latest", True),
        ("codex", "omni", False),
        ("codex", "claude-x", False),
        ("unknown", "anything", False),
    ],
)
def test_patterns(family: str, model: str, expected: bool) -> None:
    assert matches_family(family, model) is expected
