"""daemon.routing.payload: CLIProxyAPI's payload default / override / filter rules."""

from __future__ import annotations

from typing import Any

import pytest

from daemon.config.model import Settings
from daemon.model import WireFormat
from daemon.routing.payload import FROM_PROTOCOLS, PROTOCOLS, PayloadRules

CHAT = WireFormat.OPENAI_CHAT
RESPONSES = WireFormat.OPENAI_RESPONSES
ANTHROPIC = WireFormat.ANTHROPIC
GEMINI = WireFormat.GEMINI


def rules(payload: Any) -> PayloadRules:
    return PayloadRules.from_settings(Settings(extra={"payload": payload}))


def rule(params: Any, **matcher: Any) -> dict[str, Any]:
    return {"models": [{"name": "*", **matcher}], "params": params}


def test_no_payload_section_means_no_rules() -> None:
    empty = PayloadRules.from_settings(Settings())
    assert empty.empty
    body = {"model": "m"}
    empty.apply(body, "m", CHAT)
    assert body == {"model": "m"}


def test_default_sets_only_absent_paths_and_the_first_rule_wins() -> None:
    payload = rules(
        {
            "default": [
                rule({"temperature": 0.3, "reasoning.effort": "high", "top_p": 0.9}),
                rule({"reasoning.effort": "low", "seed": 7}),
            ]
        }
    )
    body: dict[str, Any] = {"model": "m", "temperature": 1, "top_p": None}
    payload.apply(body, "m", CHAT)
    assert body == {
        "model": "m",
        "temperature": 1,  # present: kept
        "top_p": None,  # present (null): kept, as gjson's Exists
        "reasoning": {"effort": "high"},
        "seed": 7,
    }


def test_override_always_sets_and_the_last_rule_wins() -> None:
    payload = rules(
        {
            "override": [
                rule({"generationConfig.thinkingConfig.thinkingBudget": 1024}),
                rule({"generationConfig.thinkingConfig.thinkingBudget": 32768}),
            ]
        }
    )
    body: dict[str, Any] = {"generationConfig": {"thinkingConfig": {"thinkingBudget": 1}}}
    payload.apply(body, "gemini-2.5-pro", GEMINI)
    assert body == {"generationConfig": {"thinkingConfig": {"thinkingBudget": 32768}}}


def test_raw_rules_take_json_text() -> None:
    payload = rules(
        {
            "default-raw": [rule({"response_format": '{"type":"json_object"}'})],
            "override-raw": [rule({"tools": "[]", "n": 2})],
        }
    )
    body: dict[str, Any] = {"tools": [{"type": "function"}]}
    payload.apply(body, "m", CHAT)
    assert body == {"tools": [], "response_format": {"type": "json_object"}, "n": 2}


def test_filter_removes_paths_after_defaults_and_overrides() -> None:
    payload = rules(
        {
            "default": [rule({"metadata.a": 1})],
            "override": [rule({"service_tier": "priority"})],
            "filter": [rule(["metadata", "service_tier", "tools.0", "absent.x"])],
        }
    )
    body: dict[str, Any] = {"tools": [{"a": 1}, {"b": 2}], "keep": True}
    payload.apply(body, "m", CHAT)
    assert body == {"tools": [{"b": 2}], "keep": True}


def test_protocol_names_map_to_wire_formats() -> None:
    assert PROTOCOLS["openai"] == (CHAT, None)
    assert PROTOCOLS["codex"] == (RESPONSES, None)
    assert PROTOCOLS["claude"] == (ANTHROPIC, None)
    assert PROTOCOLS["gemini"] == (GEMINI, None)
    assert PROTOCOLS["antigravity"] == (GEMINI, "antigravity")
    assert FROM_PROTOCOLS["responses"] == RESPONSES
    assert FROM_PROTOCOLS["openai"] == CHAT
    payload = rules(
        {
            "override": [
                rule({"a": "openai"}, protocol="openai"),
                rule({"b": "codex"}, protocol="Codex"),
                rule({"c": "claude"}, protocol="claude"),
                rule({"d": "gemini"}, protocol="gemini"),
                rule({"e": "anthropic"}, protocol="anthropic"),
                rule({"f": "antigravity"}, protocol="antigravity"),
            ]
        }
    )
    seen = {}
    for wire_format in WireFormat:
        body: dict[str, Any] = {}
        payload.apply(body, "m", wire_format, family="gemini")
        seen[wire_format] = body
    assert seen == {
        CHAT: {"a": "openai"},
        RESPONSES: {"b": "codex"},
        ANTHROPIC: {"c": "claude", "e": "anthropic"},
        GEMINI: {"d": "gemini"},
    }
    body = {}
    payload.apply(body, "m", GEMINI, family="antigravity")
    assert body == {"d": "gemini", "f": "antigravity"}


def test_from_protocol_needs_the_client_format() -> None:
    payload = rules({"override": [rule({"x": 1}, **{"from-protocol": "responses"})]})
    for source, expected in ((RESPONSES, {"x": 1}), (ANTHROPIC, {}), (None, {})):
        body: dict[str, Any] = {}
        payload.apply(body, "m", CHAT, source_format=source)
        assert body == expected


def test_model_patterns_match_upstream_or_requested_ids() -> None:
    payload = rules(
        {
            "override": [
                {"models": [{"name": "gpt-*"}, {"name": "*-mini"}], "params": {"a": 1}},
                {"models": [{"name": "fast"}], "params": {"b": 2}},
                {"models": [{"name": "fast(high)"}], "params": {"c": 3}},
                {"models": [{"name": "GPT-*"}], "params": {"d": 4}},  # case-sensitive
            ]
        }
    )
    body: dict[str, Any] = {}
    payload.apply(body, "gpt-5", RESPONSES)
    assert body == {"a": 1}
    body = {}
    payload.apply(body, "o4-mini", RESPONSES, requested="fast(high)")
    assert body == {"a": 1, "b": 2, "c": 3}
    body = {}
    payload.apply(body, "claude-x", ANTHROPIC, requested="fast")
    assert body == {"b": 2}


def test_header_and_body_conditions() -> None:
    matcher = {
        "headers": {"X-Client-Tier": "tenant-*"},
        "match": [{"metadata.client": "codex"}],
        "not-match": [{"metadata.mode": "dev"}],
        "exist": ["tools"],
        "not-exist": ["metadata.disable"],
    }
    payload = rules({"override": [rule({"applied": True}, **matcher)]})

    def run(body: dict[str, Any], headers: dict[str, str]) -> bool:
        payload.apply(body, "m", CHAT, headers=headers)
        return body.get("applied") is True

    good = {"metadata": {"client": "codex"}, "tools": []}
    tier = {"x-client-tier": "tenant-42"}
    assert run(dict(good), tier)
    assert not run(dict(good), {})
    assert not run(dict(good), {"X-Client-Tier": "other"})
    assert not run({"metadata": {"client": "codex", "mode": "dev"}, "tools": []}, tier)
    assert not run({"metadata": {"client": "codex"}, "tools": None}, tier)
    assert not run({"metadata": {"client": "codex", "disable": 1}, "tools": []}, tier)
    assert not run({"metadata": {"client": "claude"}, "tools": []}, tier)


def test_values_are_copied_into_each_body() -> None:
    payload = rules({"override": [rule({"stop": ["END"]})]})
    first: dict[str, Any] = {}
    payload.apply(first, "m", CHAT)
    first["stop"].append("mutated")
    second: dict[str, Any] = {}
    payload.apply(second, "m", CHAT)
    assert second == {"stop": ["END"]}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (["x"], "payload: expected a mapping"),
        ({"defaults": []}, "unknown key 'defaults'"),
        ({"default": {"models": []}}, r"payload\.default: expected a list"),
        ({"default": ["x"]}, r"payload\.default\[0\]: expected a mapping"),
        ({"default": [{"params": {"a": 1}}]}, r"default\[0\]\.models: expected a non-empty"),
        ({"default": [{"models": ["gpt-*"], "params": {"a": 1}}]}, r"models\[0\]: expected"),
        ({"default": [{"models": [{"protocol": "codex"}], "params": {}}]}, r"models\[0\]\.name"),
        ({"default": [rule({"a": 1}, protocl="codex")]}, "unknown key 'protocl'"),
        ({"default": [rule({"a": 1}, protocol="grpc")]}, "unknown protocol 'grpc'"),
        ({"default": [rule({"a": 1}, **{"from-protocol": "x"})]}, "from-protocol"),
        ({"default": [rule(["a"])]}, r"params: expected a mapping"),
        ({"filter": [rule({"a": 1})]}, r"params: expected a list of paths"),
        ({"override": [rule({"tools.#.type": 1})]}, "gjson query syntax"),
        ({"override-raw": [rule({"a": "{not json"})]}, "not valid JSON"),
        ({"override": [rule({"a": 1}, exist="tools")]}, r"exist: expected a list"),
        ({"override": [rule({"a": 1}, match="x")]}, r"match: expected a list"),
    ],
)
def test_bad_shapes_are_clear_value_errors(payload: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rules(payload)
