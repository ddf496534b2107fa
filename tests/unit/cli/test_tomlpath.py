"""cliproxyctl.tomlpath: one key of config.toml, addressed as error messages spell it."""

from __future__ import annotations

from typing import Any

import pytest
import tomlkit

from cliproxyctl.tomlpath import (
    KeyPathError,
    get_value,
    parse_path,
    parse_value,
    set_value,
    unset_value,
)

TEXT = """\
# cliproxy
api-keys = ["sk-one"]  # the client key

[routing]
strategy = "round-robin"   # how to spread

[[claude-api-key]]
api-key = "sk-ant-1"

[[claude-api-key]]
api-key = "sk-ant-2"
"""


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("request-retry", ("request-retry",)),
        ("routing.strategy", ("routing", "strategy")),
        ('fallback-chains."gpt-4.1"', ("fallback-chains", "gpt-4.1")),
        ("claude-api-key[1].priority", ("claude-api-key", 1, "priority")),
        (' routing . "session-affinity" ', ("routing", "session-affinity")),
        ('a."quote \\" inside"', ("a", 'quote " inside')),
    ],
)
def test_paths_are_read_as_error_messages_spell_them(text: str, path: tuple[Any, ...]) -> None:
    assert parse_path(text) == path


@pytest.mark.parametrize("text", ["", "routing.", ".x", "a b", "a[x]", 'a."open', "a..b"])
def test_unreadable_paths_are_refused(text: str) -> None:
    with pytest.raises(KeyPathError):
        parse_path(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        ("1.5", 1.5),
        ("true", True),
        ('"quoted"', "quoted"),
        ('["a", "b"]', ["a", "b"]),
        ("{ connect = 5 }", {"connect": 5}),
        ("fill-first", "fill-first"),
        ("os.environ/KEY", "os.environ/KEY"),
        ("127.0.0.1", "127.0.0.1"),
    ],
)
def test_values_are_toml_or_else_text(text: str, value: Any) -> None:
    parsed = parse_value(text)
    assert (parsed.unwrap() if hasattr(parsed, "unwrap") else parsed) == value


def test_setting_a_key_keeps_comments_and_every_other_line() -> None:
    doc = tomlkit.parse(TEXT)
    assert set_value(doc, ("routing", "strategy"), "fill-first") == "round-robin"
    text = doc.as_string()
    assert 'strategy = "fill-first"   # how to spread' in text
    assert text.replace('"fill-first"', '"round-robin"') == TEXT


def test_a_missing_table_is_created_apart_from_what_precedes_it() -> None:
    doc = tomlkit.parse(TEXT)
    assert set_value(doc, ("fallback-chains", "gpt-4.1"), ["sonnet"]) is None
    assert doc.as_string().endswith(
        'api-key = "sk-ant-2"\n\n[fallback-chains]\n"gpt-4.1" = ["sonnet"]\n'
    )
    assert get_value(tomlkit.parse(doc.as_string()), ("fallback-chains", "gpt-4.1")) == ["sonnet"]


def test_an_entry_of_an_array_of_tables_is_addressed_by_index() -> None:
    doc = tomlkit.parse(TEXT)
    set_value(doc, ("claude-api-key", 1, "priority"), 10)
    assert get_value(doc, ("claude-api-key", 1, "priority")) == 10
    assert get_value(doc, ("claude-api-key", 0, "priority")) is None
    assert doc.as_string().count("[[claude-api-key]]") == 2


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("claude-api-key", "priority"), r"list of entries: name one, e\.g\. claude-api-key\[0\]"),
        (("claude-api-key", 2, "priority"), r"claude-api-key\[2\] does not exist \(2 entries\)"),
        (("routing",), "is a table"),
        (("api-keys", "x"), r"api-keys is a list of entries"),
        (("api-keys", 0, "x"), r"api-keys\[0\] is a value, not an entry"),
        (("routing", "strategy", "x"), "routing.strategy is a value, not a table"),
        (("routing", 0, "x"), "is not a list of entries"),
        (("claude-api-key", 0), "names a value, not an entry"),
    ],
)
def test_keys_of_the_wrong_shape_are_refused(path: tuple[Any, ...], message: str) -> None:
    doc = tomlkit.parse(TEXT)
    with pytest.raises(KeyPathError, match=message):
        set_value(doc, path, 1)
    assert doc.as_string() == TEXT


def test_unset_removes_a_key_and_says_what_it_was() -> None:
    doc = tomlkit.parse(TEXT)
    assert unset_value(doc, ("routing", "strategy")) == "round-robin"
    assert "strategy" not in doc.as_string()
    assert "# cliproxy" in doc.as_string()
    assert unset_value(doc, ("routing", "strategy")) is None  # not set any more
    assert unset_value(doc, ("nowhere", "at-all")) is None
    with pytest.raises(KeyPathError):
        unset_value(doc, ("claude-api-key", 0))
