"""cliproxyctl.wizard.answers: provider specs, flag resolution and the missing-flag list."""

from __future__ import annotations

import pytest

from cliproxyctl.tomledit import ConfigEdit, CurrentValues, ProviderEdit
from cliproxyctl.wizard.answers import (
    COMPAT,
    Answers,
    Defaults,
    Flags,
    MissingAnswers,
    ProviderAnswer,
    check_flags,
    parse_provider_spec,
    resolve_flags,
    validate_client_key,
    validate_host,
    validate_port,
    validate_url,
)


def generate() -> str:
    return "sk-cliproxy-generated"


EXISTING = Defaults.from_current(
    CurrentValues("0.0.0.0", 9000, ("your-api-key-1", "sk-mine-0123456789"), "random", ("x",))
)


@pytest.mark.parametrize(
    ("spec", "answer"),
    [
        ("claude=sk-ant-1", ProviderAnswer("claude", "sk-ant-1")),
        ("Gemini=AIza=x", ProviderAnswer("gemini", "AIza=x")),
        ("vertex= key ", ProviderAnswer("vertex", "key")),
        ("codex=os.environ/OPENAI_API_KEY", ProviderAnswer("codex", "os.environ/OPENAI_API_KEY")),
        (
            "openrouter=sk-or",
            ProviderAnswer(COMPAT, "sk-or", "openrouter", "https://openrouter.ai/api/v1"),
        ),
        (
            "ollama@http://localhost:11434/v1/=",
            ProviderAnswer(COMPAT, "", "ollama", "http://localhost:11434/v1"),
        ),
        (
            "my-llm@https://llm.example.com/v1=k",
            ProviderAnswer(COMPAT, "k", "my-llm", "https://llm.example.com/v1"),
        ),
    ],
)
def test_provider_specs(spec: str, answer: ProviderAnswer) -> None:
    assert parse_provider_spec(spec) == answer


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("claude", "expected FAMILY=KEY"),
        ("claude=", "the key is empty"),
        ("openrouter=", "the key is empty"),
        ("nosuch=k", "unknown provider"),
        ("claude@http://x/v1=k", "is a provider family"),
        ("bad name@http://x=k", "expected FAMILY=KEY"),
    ],
)
def test_bad_provider_specs_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_provider_spec(spec)


def test_without_yes_every_unanswered_question_is_a_missing_flag() -> None:
    with pytest.raises(MissingAnswers) as caught:
        resolve_flags(Flags(port=1), Defaults(), generate)
    assert caught.value.flags == [
        "--host",
        "--client-key or --generate-key",
        "--strategy",
        "--service or --no-service",
    ]
    with pytest.raises(MissingAnswers) as caught:
        resolve_flags(Flags(), EXISTING, generate)
    assert "--client-key or --generate-key or --keep-keys" in caught.value.flags


def test_yes_takes_the_files_values_or_the_built_in_defaults() -> None:
    fresh = resolve_flags(Flags(yes=True), Defaults(), generate)
    assert fresh == Answers(
        "127.0.0.1", 8317, "sk-cliproxy-generated", True, (), "round-robin", False
    )
    kept = resolve_flags(Flags(yes=True, providers=["claude=k"]), EXISTING, generate)
    assert (kept.host, kept.port, kept.strategy) == ("0.0.0.0", 9000, "random")
    assert kept.new_client_key is None and not kept.generated
    assert kept.providers == (ProviderAnswer("claude", "k"),)


def test_every_answer_from_flags() -> None:
    flags = Flags("::1", 1234, "sk-given-0123", False, False, ["groq=g"], "least-busy", True)
    answers = resolve_flags(flags, EXISTING, generate)
    assert answers.to_edit() == ConfigEdit(
        host="::1",
        port=1234,
        add_client_keys=("sk-given-0123",),
        strategy="least-busy",
        providers=(
            ProviderEdit("openai-compatibility", "g", "groq", "https://api.groq.com/openai/v1"),
        ),
    )
    assert answers.service is True
    generated = resolve_flags(Flags(generate_key=True, yes=True), EXISTING, generate)
    assert generated.new_client_key == "sk-cliproxy-generated" and generated.generated


def test_keep_keys_needs_keys_to_keep() -> None:
    assert resolve_flags(Flags(keep_keys=True, yes=True), EXISTING, generate).new_client_key is None
    only_examples = Defaults.from_current(CurrentValues(None, None, ("your-api-key-1",), None, ()))
    assert only_examples.usable_keys == ()
    with pytest.raises(ValueError, match="no client key to keep"):
        resolve_flags(Flags(keep_keys=True, yes=True), only_examples, generate)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (Flags(host="http://x"), "--host"),
        (Flags(port=70000), "--port 70000"),
        (Flags(client_key="k", generate_key=True), "exclude each other"),
        (Flags(client_key="short"), "--client-key: at least 8"),
        (Flags(client_key="your-api-key-2"), "example key"),
        (Flags(strategy="fastest"), "--strategy 'fastest': one of round-robin"),
        (Flags(providers=["x"]), "--provider"),
    ],
)
def test_wrong_flag_values(flags: Flags, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_flags(flags)


def test_validators() -> None:
    assert validate_host("0.0.0.0") is None and validate_host("a b")
    assert validate_port("8317") is None and validate_port("0") and validate_port("x")
    assert validate_client_key("sk-0123456789") is None and validate_client_key("has space 123")
    assert validate_url("http://localhost:1/v1") is None and validate_url("localhost:1")


def test_defaults_of_a_file_with_an_unknown_strategy_fall_back() -> None:
    odd = Defaults.from_current(CurrentValues(None, None, (), "fastest", ()))
    assert (odd.exists, odd.host, odd.port, odd.strategy) == (
        True,
        "127.0.0.1",
        8317,
        "round-robin",
    )
    assert Defaults.from_current(None) == Defaults()
    assert ProviderAnswer("claude", "k").label == "Claude API key (Anthropic)"
    assert ProviderAnswer(COMPAT, "k", "x", "http://h").label == "x (http://h)"
