"""The output-token limit towards OpenAI-compatible upstreams, through the real daemon.

Claude Code (and every Anthropic or Gemini client) always sends a token limit, which the
translation to Chat Completions writes as `max_tokens`; OpenAI's reasoning models refuse that
field and want `max_completion_tokens`. An entry's `max-tokens-field` says which one its
upstream takes (OpenAI's own API gets `max_completion_tokens` without being told)."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import openai
import pytest

from tests.integration.dataplane_support import Daemon, mock, start_daemon
from tests.support.mock_upstream import DEFAULT_KEY, MockUpstream

pytestmark = pytest.mark.integration
__all__ = ["mock"]

# The mock answers a `no-max-tokens` model as OpenAI's reasoning models do: 400 on `max_tokens`.
MODEL = "o-no-max-tokens"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory, mock: MockUpstream) -> Iterator[Daemon]:
    entry = f'base-url = "{mock.base_url}/v1"\napi-key-entries = [{{api-key = "{DEFAULT_KEY}"}}]'
    config = f"""
[[openai-compatibility]]
name = "told"
prefix = "told"
max-tokens-field = "max_completion_tokens"
{entry}

[[openai-compatibility]]
name = "untold"
prefix = "untold"
{entry}
"""
    yield from start_daemon(tmp_path_factory, config)


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_an_anthropic_client_reaches_a_model_that_wants_max_completion_tokens(
    daemon: Daemon, mock: MockUpstream, stream: bool
) -> None:
    messages: list[anthropic.types.MessageParam] = [{"role": "user", "content": "hi"}]
    client = daemon.anthropic()
    if stream:
        with client.messages.stream(
            model=f"told/{MODEL}", max_tokens=99, messages=messages
        ) as events:
            text = events.get_final_text()
    else:
        reply = client.messages.create(model=f"told/{MODEL}", max_tokens=99, messages=messages)
        text = "".join(b.text for b in reply.content if b.type == "text")
    assert text == "echo: hi"
    seen = mock.wait_for(lambda r: r.model == MODEL and r.finished)
    mock.clear()
    assert seen.body["max_completion_tokens"] == 99
    assert "max_tokens" not in seen.body


def test_an_untold_entry_passes_the_upstreams_refusal_on_in_the_callers_shape(
    daemon: Daemon, mock: MockUpstream
) -> None:
    with pytest.raises(anthropic.BadRequestError) as refused:
        daemon.anthropic().messages.create(
            model=f"untold/{MODEL}", max_tokens=99, messages=[{"role": "user", "content": "hi"}]
        )
    mock.clear()
    assert "max_completion_tokens" in refused.value.message  # says what the upstream wants


def test_an_openai_client_choosing_max_tokens_is_moved_too(
    daemon: Daemon, mock: MockUpstream
) -> None:
    answer = daemon.openai().chat.completions.create(
        model=f"told/{MODEL}", max_tokens=7, messages=[{"role": "user", "content": "hi"}]
    )
    assert answer.choices[0].message.content == "echo: hi"
    seen = mock.wait_for(lambda r: r.model == MODEL and r.finished)
    mock.clear()
    assert seen.body["max_completion_tokens"] == 7
    with pytest.raises(openai.BadRequestError):
        daemon.openai().chat.completions.create(
            model=f"untold/{MODEL}", max_tokens=7, messages=[{"role": "user", "content": "hi"}]
        )
    mock.clear()
