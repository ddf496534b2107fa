"""daemon.dataplane.tokens.estimate_tokens: the documented local estimate."""

from __future__ import annotations

import orjson

from daemon.dataplane.tokens import PER_MESSAGE, estimate_tokens
from daemon.model import (
    ImagePart,
    Message,
    Request,
    TextPart,
    ThinkingPart,
    Tool,
    ToolCallPart,
    ToolResultPart,
)


def test_an_empty_request_counts_one() -> None:
    assert estimate_tokens(Request(model="m")) == 1


def test_one_message_is_framing_plus_a_quarter_of_its_characters() -> None:
    text = "x" * 400
    request = Request(model="m", messages=[Message("user", [TextPart(text)])])
    assert estimate_tokens(request) == PER_MESSAGE + 100


def test_every_kind_of_text_counts() -> None:
    request = Request(
        model="m",
        messages=[
            Message("system", [TextPart("s" * 8)]),
            Message(
                "assistant",
                [
                    ThinkingPart(text="t" * 12),
                    ToolCallPart(id="c1", name="abcd", arguments='{"q":"1234"}'),
                ],
            ),
            Message(
                "tool",
                [
                    ToolResultPart(
                        call_id="c1",
                        content=[TextPart("r" * 16), ImagePart(url="http://x/y.png")],
                    )
                ],
            ),
        ],
    )
    chars = 3 * PER_MESSAGE * 4 + 8 + 12 + 4 + len('{"q":"1234"}') + 16
    assert estimate_tokens(request) == chars // 4


def test_tools_count_name_description_and_schema() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    tool = Tool(name="get_weather", description="Weather now", parameters=schema)
    chars = len("get_weather") + len("Weather now") + len(orjson.dumps(schema))
    assert estimate_tokens(Request(model="m", tools=[tool])) == chars // 4
    bare = Tool(name="abcdefgh")  # no description, no schema: "{}"
    assert estimate_tokens(Request(model="m", tools=[bare])) == (8 + 2) // 4


def test_the_estimate_grows_with_the_conversation() -> None:
    short = Request(model="m", messages=[Message("user", [TextPart("hello")])])
    long = Request(
        model="m",
        messages=[Message("user", [TextPart("hello")]), Message("assistant", [TextPart("hi")])],
    )
    assert estimate_tokens(long) > estimate_tokens(short)
