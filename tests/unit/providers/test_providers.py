"""daemon.providers: the provider table and credentials_from_settings."""

from __future__ import annotations

import pytest

from daemon.config.model import (
    ApiKeyEntry,
    ModelEntry,
    OpenAICompatEntry,
    ProviderKeyEntry,
    Settings,
)
from daemon.model import WireFormat
from daemon.providers import PROVIDERS, credentials_from_settings

SECRETS = ("sk-ant-AAA", "AIza-BBB", "vk-CCC", "sk-proj-DDD", "sk-or-EEE", "sk-or-FFF")


def _settings() -> Settings:
    return Settings(
        claude_api_key=(
            ProviderKeyEntry(
                api_key=SECRETS[0],
                prefix="team",
                priority=5,
                weight=3,
                headers={"X-A": "1"},
                proxy_url="socks5://127.0.0.1:1080",
                models=(ModelEntry(name="claude-sonnet-4-5", alias="sonnet"),),
                excluded_models=("*haiku*",),
            ),
        ),
        gemini_api_key=(ProviderKeyEntry(api_key=SECRETS[1], proxy_url="none"),),
        vertex_api_key=(ProviderKeyEntry(api_key=SECRETS[2], base_url="https://gw.example/"),),
        codex_api_key=(ProviderKeyEntry(api_key=SECRETS[3], proxy_url="direct"),),
        openai_compatibility=(
            OpenAICompatEntry(
                name="openrouter",
                prefix="or",
                priority=1,
                headers={"X-Title": "cliproxy"},
                api_key_entries=(
                    ApiKeyEntry(api_key=SECRETS[4], weight=7),
                    ApiKeyEntry(
                        api_key=SECRETS[5], proxy_url="http://p:3128", extra={"priority": 9}
                    ),
                ),
                models=(ModelEntry(name="moonshotai/kimi-k2:free", alias="kimi"),),
                excluded_models=("*:free",),
            ),
        ),
    )


def test_provider_table_names_each_family_once() -> None:
    assert set(PROVIDERS) == {"openai-compatible", "claude", "gemini", "vertex", "codex"}
    for family, provider in PROVIDERS.items():
        assert provider.family == family
        assert isinstance(provider.wire_format, WireFormat)


def test_one_credential_per_key_in_file_order() -> None:
    credentials = credentials_from_settings(_settings())
    assert [c.id for c in credentials] == [
        "claude-api-key[0]",
        "gemini-api-key[0]",
        "vertex-api-key[0]",
        "codex-api-key[0]",
        "openai-compatibility[openrouter][0]",
        "openai-compatibility[openrouter][1]",
    ]
    assert [c.api_key for c in credentials] == list(SECRETS)
    for credential in credentials:
        assert credential.family in PROVIDERS
        for secret in SECRETS:
            assert secret not in credential.id
            assert secret not in repr(credential)


def test_fields_and_defaults() -> None:
    claude, gemini, vertex, codex, or0, or1 = credentials_from_settings(_settings())
    assert claude.base_url == "https://api.anthropic.com"
    assert gemini.base_url == "https://generativelanguage.googleapis.com"
    assert vertex.base_url == "https://gw.example"  # trailing slash dropped
    assert codex.base_url == "https://api.openai.com/v1"
    assert or0.base_url == "https://openrouter.ai/api/v1"  # preset by name

    assert claude.proxy_url == "socks5://127.0.0.1:1080"
    assert gemini.proxy_url == "direct"
    assert codex.proxy_url == "direct"
    assert vertex.proxy_url is None
    assert or0.proxy_url is None
    assert or1.proxy_url == "http://p:3128"

    assert (claude.prefix, claude.priority, claude.weight) == ("team", 5, 3)
    assert (gemini.prefix, gemini.priority, gemini.weight) == (None, 0, 1)
    assert dict(claude.headers) == {"X-A": "1"}
    assert dict(or1.headers) == {"X-Title": "cliproxy"}
    assert claude.models == (("sonnet", "claude-sonnet-4-5"),)
    assert claude.excluded_models == ("*haiku*",)
    assert gemini.models == ()
    assert (claude.owner, gemini.owner, or0.owner) == ("claude", "gemini", "openrouter")

    assert (or0.family, or0.prefix, or0.priority, or0.weight) == ("openai-compatible", "or", 1, 7)
    assert or1.priority == 9  # a key's own priority wins over its entry's
    assert or0.models == (("kimi", "moonshotai/kimi-k2:free"),)
    assert or0.excluded_models == ("*:free",)


def test_compat_entry_without_base_url_or_known_name_is_refused() -> None:
    settings = Settings(
        openai_compatibility=(
            OpenAICompatEntry(name="mystery", api_key_entries=(ApiKeyEntry(api_key="k"),)),
        )
    )
    with pytest.raises(ValueError, match=r"openai-compatibility\[mystery\]\.base-url") as info:
        credentials_from_settings(settings)
    assert "openrouter" in str(info.value)  # names the known services


def test_explicit_base_url_beats_the_preset() -> None:
    settings = Settings(
        openai_compatibility=(
            OpenAICompatEntry(
                name="groq",
                base_url="http://localhost:9000/v1",
                api_key_entries=(ApiKeyEntry(api_key="k"),),
            ),
        )
    )
    (credential,) = credentials_from_settings(settings)
    assert credential.base_url == "http://localhost:9000/v1"


def test_the_token_limit_field_is_configured_or_follows_the_service() -> None:
    def field(**entry: object) -> str | None:
        compat = OpenAICompatEntry(api_key_entries=(ApiKeyEntry(api_key="k"),), **entry)  # type: ignore[arg-type]
        (credential,) = credentials_from_settings(Settings(openai_compatibility=(compat,)))
        return credential.max_tokens_field

    assert field(name="openai") == "max_completion_tokens"  # the preset: OpenAI's own API
    assert field(name="o", base_url="https://api.openai.com/v1") == "max_completion_tokens"
    assert field(name="deepseek") is None  # as the body has it
    assert field(name="vllm", base_url="http://127.0.0.1:8000/v1") is None
    assert field(name="openai", max_tokens_field="max_tokens") == "max_tokens"
    chosen = field(name="v", base_url="http://h/v1", max_tokens_field="max_completion_tokens")
    assert chosen == "max_completion_tokens"


def test_keyless_compat_entry_gives_one_keyless_credential() -> None:
    settings = Settings(
        openai_compatibility=(
            OpenAICompatEntry(name="ollama", base_url="http://127.0.0.1:11434/v1"),
        )
    )
    (credential,) = credentials_from_settings(settings)
    assert credential.id == "openai-compatibility[ollama][0]"
    assert credential.api_key == ""


def test_disabled_entries_are_left_out() -> None:
    settings = Settings(
        claude_api_key=(
            ProviderKeyEntry(api_key="a", extra={"disabled": True}),
            ProviderKeyEntry(api_key="b"),
        ),
        openai_compatibility=(
            OpenAICompatEntry(
                name="deepseek",
                extra={"disabled": True},
                api_key_entries=(ApiKeyEntry(api_key="k"),),
            ),
        ),
    )
    assert [c.id for c in credentials_from_settings(settings)] == ["claude-api-key[1]"]


def test_empty_settings_have_no_credentials() -> None:
    assert credentials_from_settings(Settings()) == []
