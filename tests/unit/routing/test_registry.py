"""daemon.routing.registry: model resolution and the model list."""

from __future__ import annotations

import pytest

from daemon.config.model import Settings
from daemon.errors import InvalidRequest, ModelNotFound
from daemon.model import ReasoningConfig
from daemon.providers import PROVIDERS
from daemon.providers.base import Credential
from daemon.providers.catalog import catalogue
from daemon.routing.registry import ModelInfo, ModelRegistry, Resolution

FORCE = Settings(force_model_prefix=True)
PLAIN = Settings()


def cred(id: str, family: str, **changes: object) -> Credential:
    fields: dict[str, object] = {
        "id": id,
        "family": family,
        "api_key": f"key-{id}",
        "base_url": "https://upstream.example",
        "owner": family,
    }
    fields.update(changes)
    return Credential(**fields)  # type: ignore[arg-type]


def ids(resolution: Resolution) -> list[tuple[str, str]]:
    return [(t.credential.id, t.upstream_model) for t in resolution.targets]


def test_alias_maps_to_the_upstream_name_and_hides_it() -> None:
    or0 = cred("or", "openai-compatible", models=(("kimi", "moonshotai/kimi-k2"),), owner="or")
    registry = ModelRegistry(PLAIN, [or0])
    resolution = registry.resolve("kimi")
    assert resolution.model == "kimi"
    assert resolution.reasoning is None
    assert ids(resolution) == [("or", "moonshotai/kimi-k2")]
    assert resolution.targets[0].provider is PROVIDERS["openai-compatible"]
    with pytest.raises(ModelNotFound):
        registry.resolve("moonshotai/kimi-k2")
    assert registry.models() == [ModelInfo("kimi", "or", "openai-compatible")]


def test_entry_without_alias_serves_its_name() -> None:
    credential = cred("c", "codex", models=(("gpt-5", "gpt-5"),))
    registry = ModelRegistry(PLAIN, [credential])
    assert ids(registry.resolve("gpt-5")) == [("c", "gpt-5")]
    with pytest.raises(ModelNotFound):
        registry.resolve("gpt-5.1")  # a models list replaces the catalogue and pattern


def test_repeated_alias_is_a_pool_of_upstream_models() -> None:
    pool = (("opus", "deepseek-v3.1"), ("opus", "glm-5"), ("other", "x"))
    registry = ModelRegistry(PLAIN, [cred("or", "openai-compatible", models=pool)])
    assert ids(registry.resolve("opus")) == [("or", "deepseek-v3.1"), ("or", "glm-5")]
    assert [m.id for m in registry.models()] == ["opus", "other"]


def test_entry_without_models_serves_catalogue_and_family_pattern() -> None:
    registry = ModelRegistry(PLAIN, [cred("a", "claude"), cred("g", "gemini")])
    assert ids(registry.resolve("claude-sonnet-4-6")) == [("a", "claude-sonnet-4-6")]
    assert ids(registry.resolve("claude-brand-new-9")) == [("a", "claude-brand-new-9")]
    assert ids(registry.resolve("gemini-9-ultra")) == [("g", "gemini-9-ultra")]
    with pytest.raises(ModelNotFound):
        registry.resolve("gpt-5")
    listed = [m.id for m in registry.models()]
    assert listed == list(catalogue("claude")) + list(catalogue("gemini"))
    assert "claude-brand-new-9" not in listed


def test_openai_compatible_without_models_serves_only_through_its_prefix() -> None:
    registry = ModelRegistry(
        PLAIN, [cred("or", "openai-compatible", prefix="or"), cred("x", "openai-compatible")]
    )
    assert ids(registry.resolve("or/meta-llama/llama-4")) == [("or", "meta-llama/llama-4")]
    with pytest.raises(ModelNotFound):
        registry.resolve("meta-llama/llama-4")
    assert registry.models() == []


def test_prefix_addressing_without_force() -> None:
    team = cred("team", "claude", prefix="team")
    public = cred("public", "claude")
    registry = ModelRegistry(PLAIN, [team, public])
    assert ids(registry.resolve("team/claude-opus-4-6")) == [("team", "claude-opus-4-6")]
    assert ids(registry.resolve("claude-opus-4-6")) == [
        ("team", "claude-opus-4-6"),
        ("public", "claude-opus-4-6"),
    ]
    resolution = registry.resolve("team/claude-opus-4-6(8192)")
    assert resolution.model == "team/claude-opus-4-6"
    assert resolution.reasoning == ReasoningConfig(budget_tokens=8192)
    listed = [m.id for m in registry.models()]
    assert "team/claude-opus-4-6" in listed and "claude-opus-4-6" in listed


def test_force_model_prefix_makes_prefixed_credentials_reachable_only_by_prefix() -> None:
    team = cred("team", "claude", prefix="team")
    public = cred("public", "claude")
    registry = ModelRegistry(FORCE, [team, public])
    assert ids(registry.resolve("claude-opus-4-6")) == [("public", "claude-opus-4-6")]
    assert ids(registry.resolve("team/claude-opus-4-6")) == [("team", "claude-opus-4-6")]
    only_team = ModelRegistry(FORCE, [team])
    with pytest.raises(ModelNotFound):
        only_team.resolve("claude-opus-4-6")
    listed = [m.id for m in only_team.models()]
    assert listed == [f"team/{m}" for m in catalogue("claude")]


def test_unknown_prefix_is_part_of_the_model_id() -> None:
    slashed = cred(
        "or", "openai-compatible", models=(("moonshotai/kimi-k2", "moonshotai/kimi-k2"),)
    )
    team = cred("team", "codex", prefix="team", models=(("gpt-5", "gpt-5"),))
    registry = ModelRegistry(PLAIN, [slashed, team])
    assert ids(registry.resolve("moonshotai/kimi-k2")) == [("or", "moonshotai/kimi-k2")]
    with pytest.raises(ModelNotFound):
        registry.resolve("team/kimi")


def test_known_prefix_that_does_not_serve_it_falls_back_to_the_whole_id() -> None:
    prefixed = cred("ms", "claude", prefix="moonshotai")
    slashed = cred(
        "or", "openai-compatible", models=(("moonshotai/kimi-k2", "moonshotai/kimi-k2"),)
    )
    registry = ModelRegistry(PLAIN, [prefixed, slashed])
    assert ids(registry.resolve("moonshotai/kimi-k2")) == [("or", "moonshotai/kimi-k2")]
    assert ids(registry.resolve("moonshotai/claude-x")) == [("ms", "claude-x")]


def test_exclusions_match_public_and_upstream_ids_case_insensitively() -> None:
    claude = cred("a", "claude", excluded_models=("*HAIKU*", "claude-opus-4-5-*"))
    aliased = cred(
        "or",
        "openai-compatible",
        models=(("fast", "x-free"), ("slow", "y")),
        excluded_models=("*-free",),
    )
    registry = ModelRegistry(PLAIN, [claude, aliased])
    for model in ("claude-haiku-4-5-20251001", "claude-opus-4-5-20251101", "fast"):
        with pytest.raises(ModelNotFound):
            registry.resolve(model)
    assert ids(registry.resolve("claude-sonnet-4-6")) == [("a", "claude-sonnet-4-6")]
    assert ids(registry.resolve("slow")) == [("or", "y")]
    listed = [m.id for m in registry.models()]
    assert "claude-haiku-4-5-20251001" not in listed
    assert "claude-opus-4-5-20251101" not in listed
    assert "fast" not in listed and "slow" in listed


def test_targets_are_ordered_by_priority_then_configuration_order() -> None:
    credentials = [
        cred("low", "codex", priority=-1),
        cred("first", "codex"),
        cred("high", "codex", priority=10),
        cred("second", "codex"),
    ]
    registry = ModelRegistry(PLAIN, credentials)
    assert [t.credential.id for t in registry.resolve("gpt-5").targets] == [
        "high",
        "first",
        "second",
        "low",
    ]


def test_model_list_dedupes_and_names_the_best_owner() -> None:
    registry = ModelRegistry(
        PLAIN,
        [
            cred("v", "vertex", owner="vertex"),
            cred("g", "gemini", owner="gemini", priority=1),
        ],
    )
    models = registry.models()
    assert len(models) == len({m.id for m in models}) == len(catalogue("gemini"))
    assert all(m.owned_by == "gemini" and m.family == "gemini" for m in models)
    models.clear()
    assert registry.models()  # callers get a copy


def test_nobody_serving_it_is_model_not_found() -> None:
    registry = ModelRegistry(PLAIN, [])
    with pytest.raises(ModelNotFound) as info:
        registry.resolve("gpt-5(high)")
    error = info.value.to_api_error()
    assert (error.status, error.code, error.param) == (400, "model_not_found", "model")
    assert "gpt-5(high)" in error.message and "/v1/models" in error.message


def test_bad_suffix_is_an_invalid_request() -> None:
    registry = ModelRegistry(PLAIN, [cred("c", "codex")])
    with pytest.raises(InvalidRequest, match="thinking suffix"):
        registry.resolve("gpt-5(turbo)")


def test_unknown_family_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown provider family 'nope'"):
        ModelRegistry(PLAIN, [cred("x", "nope")])
