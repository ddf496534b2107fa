"""cliproxyctl.wizard.flow: the questions, in order, answered by a script."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from cliproxyctl.tomledit import CurrentValues
from cliproxyctl.wizard.answers import COMPAT, Defaults, Flags, ProviderAnswer
from cliproxyctl.wizard.flow import CUSTOM, SUBSCRIPTIONS_NOTE, WizardOptions, run_wizard
from cliproxyctl.wizard.keycheck import CheckResult
from cliproxyctl.wizard.prompts import Cancelled, Choice, Validator


class Script:
    """A Prompter that expects (kind, words in the message, answer) in order."""

    def __init__(self, *steps: tuple[str, str, Any]) -> None:
        self.steps = list(steps)
        self.choices: dict[str, list[str]] = {}

    def _next(self, kind: str, message: str) -> Any:
        assert self.steps, f"unexpected {kind} {message!r}"
        want_kind, words, answer = self.steps.pop(0)
        assert (kind, words in message) == (want_kind, True), (kind, message, want_kind, words)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def text(self, message: str, *, default: str = "", validate: Validator | None = None) -> str:
        answer = self._next("text", message)
        value = default if answer is None else str(answer)
        assert validate is None or validate(value) is None, value
        return value

    def secret(self, message: str, *, validate: Validator | None = None) -> str:
        value = str(self._next("secret", message))
        assert validate is None or validate(value) is None, value
        return value

    def select(self, message: str, choices: Sequence[Choice], *, default: str | None = None) -> str:
        self.choices[message] = [value for value, _ in choices]
        answer = self._next("select", message)
        return str(default if answer is None else answer)

    def checkbox(self, message: str, choices: Sequence[Choice]) -> list[str]:
        self.choices[message] = [value for value, _ in choices]
        return list(self._next("checkbox", message))

    def confirm(self, message: str, *, default: bool) -> bool:
        answer = self._next("confirm", message)
        return default if answer is None else bool(answer)


def options(
    results: Mapping[str, CheckResult] | None = None, offline: bool = False
) -> tuple[WizardOptions, list[str]]:
    said: list[str] = []

    def checker(answer: ProviderAnswer, environ: Mapping[str, str]) -> CheckResult:
        assert results is not None, "no check expected"
        return results[answer.api_key]

    return WizardOptions(offline, {}, said.append, lambda: "sk-generated", checker), said


def test_a_fresh_run_with_every_default() -> None:
    script = Script(
        ("text", "Listen address", None),
        ("text", "Port", None),
        ("select", "Client API key", None),
        ("checkbox", "Providers to add", []),
        ("select", "Routing strategy", None),
        ("confirm", "system service", None),
    )
    opts, said = options()
    answers, checks = run_wizard(script, Defaults(), Flags(), opts)
    assert (answers.host, answers.port, answers.strategy, answers.service) == (
        "127.0.0.1",
        8317,
        "round-robin",
        False,
    )
    assert (answers.new_client_key, answers.generated) == ("sk-generated", True)
    assert answers.providers == () and checks == {}
    assert script.choices["Client API key (what your tools send to the proxy)"] == [
        "generate",
        "enter",
    ]
    assert SUBSCRIPTIONS_NOTE in said[0]
    assert not script.steps


def test_every_provider_kind_with_checks_retries_and_skips() -> None:
    script = Script(
        ("text", "Listen address", "0.0.0.0"),
        ("text", "Port", "9000"),
        ("select", "Client API key", "enter"),
        ("secret", "Client key", "sk-typed-0123456789"),
        ("checkbox", "Providers to add", ["claude", COMPAT, "vertex"]),  # listed order wins
        ("select", "Which OpenAI-compatible service?", "openrouter"),
        ("secret", "openrouter API key", "or-good"),
        ("confirm", "Add another", True),
        ("select", "Which OpenAI-compatible service?", CUSTOM),
        ("text", "Name for this service", "ollama"),
        ("text", "Base URL", "http://localhost:11434/v1/"),
        ("secret", "ollama API key (empty", ""),
        ("select", "The check failed", "keep"),
        ("confirm", "Add another", False),
        ("secret", "Claude API key", "ant-bad"),
        ("select", "The check failed", "again"),
        ("secret", "Claude API key", "ant-good"),
        ("secret", "Vertex AI API key", "vx-bad"),
        ("select", "The check failed", "skip"),
        ("select", "Routing strategy", "fill-first"),
        ("confirm", "system service", True),
    )
    results = {
        "or-good": CheckResult("ok", "key accepted"),
        "": CheckResult("failed", "could not reach localhost"),
        "ant-bad": CheckResult("failed", "HTTP 401"),
        "ant-good": CheckResult("ok", "key accepted"),
        "vx-bad": CheckResult("failed", "HTTP 403"),
    }
    opts, said = options(results)
    answers, checks = run_wizard(script, Defaults(), Flags(), opts)
    assert not script.steps
    openrouter = ProviderAnswer(COMPAT, "or-good", "openrouter", "https://openrouter.ai/api/v1")
    ollama = ProviderAnswer(COMPAT, "", "ollama", "http://localhost:11434/v1")
    claude = ProviderAnswer("claude", "ant-good")
    assert answers.providers == (openrouter, ollama, claude)
    assert set(checks) == {openrouter, ollama, claude}
    assert checks[ollama].status == "failed"
    assert (answers.host, answers.port, answers.new_client_key, answers.generated) == (
        "0.0.0.0",
        9000,
        "sk-typed-0123456789",
        False,
    )
    assert (answers.strategy, answers.service) == ("fill-first", True)
    assert any("warning" in line and "HTTP 401" in line for line in said)


def test_a_rerun_offers_to_keep_the_keys_and_flags_skip_their_questions() -> None:
    defaults = Defaults.from_current(
        CurrentValues(
            "127.0.0.1", 8400, ("sk-existing-0123456789",), "random", ("claude-api-key ×1",)
        )
    )
    script = Script(
        ("select", "Client API key", None),
        ("checkbox", "(none: keep the current ones)", ["gemini"]),
        ("secret", "Gemini API key", "AIza-key"),
        ("select", "Routing strategy", None),
    )
    opts, said = options(offline=True)
    answers, checks = run_wizard(
        script, defaults, Flags(host="::1", port=8500, service=False), opts
    )
    assert not script.steps
    assert script.choices["Client API key (what your tools send to the proxy)"][0] == "keep"
    assert answers.new_client_key is None
    assert (answers.host, answers.port, answers.strategy) == ("::1", 8500, "random")
    assert answers.providers == (ProviderAnswer("gemini", "AIza-key"),) and checks == {}
    assert "Already configured: claude-api-key ×1" in said


def test_provider_and_key_flags_skip_the_provider_questions() -> None:
    script = Script(("select", "Routing strategy", None))
    flags = Flags(host="h", port=1, generate_key=True, providers=["codex=sk-x"], service=False)
    answers, _ = run_wizard(script, Defaults(), flags, options()[0])
    assert answers.providers == (ProviderAnswer("codex", "sk-x"),) and answers.generated


def test_ctrl_c_propagates_as_cancelled() -> None:
    script = Script(("text", "Listen address", Cancelled()))
    with pytest.raises(Cancelled):
        run_wizard(script, Defaults(), Flags(), options()[0])
