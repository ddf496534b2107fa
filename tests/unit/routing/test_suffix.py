"""daemon.routing.suffix: the thinking suffix of a requested model."""

from __future__ import annotations

import pytest

from daemon.errors import InvalidRequest
from daemon.model import ReasoningConfig
from daemon.routing.suffix import EFFORTS, parse_suffix


@pytest.mark.parametrize(
    ("requested", "name", "reasoning"),
    [
        ("gpt-5", "gpt-5", None),
        ("claude-sonnet-4-5(16384)", "claude-sonnet-4-5", ReasoningConfig(budget_tokens=16384)),
        ("gemini-2.5-pro(0)", "gemini-2.5-pro", ReasoningConfig(budget_tokens=0)),
        ("gemini-2.5-pro(-1)", "gemini-2.5-pro", ReasoningConfig(budget_tokens=-1)),
        ("gemini-2.5-pro(auto)", "gemini-2.5-pro", ReasoningConfig(budget_tokens=-1)),
        ("gpt-5(high)", "gpt-5", ReasoningConfig(effort="high")),
        ("gpt-5(HIGH)", "gpt-5", ReasoningConfig(effort="high")),
        ("gpt-5( low )", "gpt-5", ReasoningConfig(effort="low")),
        ("team/gpt-5(medium)", "team/gpt-5", ReasoningConfig(effort="medium")),
        ("gpt-5(minimal)", "gpt-5", ReasoningConfig(effort="minimal")),
        ("gpt-5(xhigh)", "gpt-5", ReasoningConfig(effort="xhigh")),
        ("gpt-5(none)", "gpt-5", ReasoningConfig(effort="none")),
        ("  gpt-5  ", "gpt-5", None),
        ("(high)", "(high)", None),  # no name before the parenthesis: not a suffix
    ],
)
def test_parse(requested: str, name: str, reasoning: ReasoningConfig | None) -> None:
    assert parse_suffix(requested) == (name, reasoning)


def test_every_effort_level_is_accepted() -> None:
    assert EFFORTS == ("none", "minimal", "low", "medium", "high", "xhigh")
    for effort in EFFORTS:
        assert parse_suffix(f"m({effort})") == ("m", ReasoningConfig(effort=effort))


@pytest.mark.parametrize("requested", ["gpt-5(extreme)", "gpt-5(-2)", "gpt-5()", "gpt-5(1.5)"])
def test_unknown_suffix_is_a_clear_invalid_request(requested: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        parse_suffix(requested)
    assert info.value.status == 400
    assert info.value.param == "model"
    assert requested in info.value.message
    assert "(high)" in info.value.message and "(8192)" in info.value.message
