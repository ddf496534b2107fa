"""cliproxyctl.tomledit: edits keep comments, order and unrelated keys, and are idempotent."""

from __future__ import annotations

import tomllib

import pytest

from cliproxyctl.tomledit import (
    COMPAT_SECTION,
    ConfigEdit,
    ProviderEdit,
    TomlEditError,
    apply_edit,
    current_values,
    parse,
)
from daemon.config import default_config_text

COMMENTED = """\
# my own header comment
port = 9000  # why 9000: the other proxy has 8317
debug = true
my-unknown-key = "kept"

[routing]
# I like this one
strategy = "fill-first"

[[claude-api-key]]
api-key = "sk-ant-one"  # personal

# OpenAI-compatible services follow
[[openai-compatibility]]
name = "OpenRouter"
api-key-entries = [{ api-key = "sk-or-one" }]
"""


def edited(text: str, edit: ConfigEdit) -> tuple[str, list[str]]:
    doc = parse(text)
    changes = apply_edit(doc, edit)
    return doc.as_string(), changes


def test_an_edit_keeps_every_comment_and_unrelated_key() -> None:
    edit = ConfigEdit(
        host="0.0.0.0",
        port=9001,
        add_client_keys=("sk-client-1",),
        strategy="random",
        providers=(
            ProviderEdit("claude-api-key", "sk-ant-two"),
            ProviderEdit("gemini-api-key", "AIza-one"),
        ),
    )
    text, changes = edited(COMMENTED, edit)
    for line in COMMENTED.splitlines():
        if line.startswith("#") or "my-unknown-key" in line or "# personal" in line:
            assert line in text
    assert "port = 9001  # why 9000: the other proxy has 8317" in text
    assert text.index("# my own header comment") < text.index("port = 9001")
    data = tomllib.loads(text)
    assert data["host"] == "0.0.0.0"
    assert data["api-keys"] == ["sk-client-1"]
    assert data["routing"]["strategy"] == "random"
    assert [e["api-key"] for e in data["claude-api-key"]] == ["sk-ant-one", "sk-ant-two"]
    assert data["gemini-api-key"] == [{"api-key": "AIza-one"}]
    assert data["my-unknown-key"] == "kept" and data["debug"] is True
    assert len(changes) == 6


def test_the_same_edit_twice_changes_nothing_the_second_time() -> None:
    edit = ConfigEdit(
        port=1234,
        add_client_keys=("sk-client-1",),
        strategy="least-busy",
        providers=(
            ProviderEdit("codex-api-key", "sk-openai"),
            ProviderEdit(COMPAT_SECTION, "sk-or-one", "openrouter"),
            ProviderEdit(COMPAT_SECTION, "", "ollama", "http://localhost:11434/v1"),
        ),
    )
    once, changes = edited(COMMENTED, edit)
    assert changes
    twice, again = edited(once, edit)
    assert again == []
    assert twice == once


def test_comments_closing_an_entry_stay_above_what_they_introduce() -> None:
    text, _ = edited(COMMENTED, ConfigEdit(providers=(ProviderEdit("claude-api-key", "b"),)))
    new_entry = text.index('api-key = "b"')
    header = text.index("# OpenAI-compatible services follow")
    assert new_entry < header < text.index("[[openai-compatibility]]")
    assert '\n\n[[claude-api-key]]\napi-key = "b"\n\n# OpenAI' in text


def test_new_sections_are_set_off_by_blank_lines() -> None:
    text, _ = edited(
        "port = 1\n",
        ConfigEdit(
            providers=(
                ProviderEdit("claude-api-key", "a"),
                ProviderEdit("claude-api-key", "b"),
                ProviderEdit("vertex-api-key", "v"),
            )
        ),
    )
    assert text == (
        'port = 1\n\n[[claude-api-key]]\napi-key = "a"\n\n[[claude-api-key]]\napi-key = "b"\n'
        '\n[[vertex-api-key]]\napi-key = "v"\n'
    )


def test_compat_entries_match_by_name_and_gain_keys_or_a_base_url() -> None:
    text, changes = edited(
        COMMENTED,
        ConfigEdit(
            providers=(
                ProviderEdit(COMPAT_SECTION, "sk-or-two", "openrouter"),
                ProviderEdit(COMPAT_SECTION, "sk-or-one", "openrouter", "https://proxy/v1"),
            )
        ),
    )
    entry = tomllib.loads(text)[COMPAT_SECTION]
    assert len(entry) == 1
    assert entry[0]["base-url"] == "https://proxy/v1"
    assert [k["api-key"] for k in entry[0]["api-key-entries"]] == ["sk-or-one", "sk-or-two"]
    assert changes == [
        "openai-compatibility[OpenRouter]: added a key",
        "openai-compatibility[OpenRouter]: base-url = 'https://proxy/v1'",
    ]


def test_older_plain_key_lists_are_extended_in_their_own_shape() -> None:
    text, _ = edited(
        '[[openai-compatibility]]\nname = "x"\nbase-url = "http://h/v1"\napi-keys = ["k1"]\n',
        ConfigEdit(providers=(ProviderEdit(COMPAT_SECTION, "k2", "x"),)),
    )
    assert tomllib.loads(text)[COMPAT_SECTION][0]["api-keys"] == ["k1", "k2"]


def test_a_new_key_replaces_the_sample_files_example_keys() -> None:
    text, changes = edited(
        'api-keys = ["your-api-key-1", "mine-0123456789"]\n',
        ConfigEdit(add_client_keys=("sk-new-0123456789",)),
    )
    assert tomllib.loads(text)["api-keys"] == ["mine-0123456789", "sk-new-0123456789"]
    assert changes[0].startswith("api-keys: removed the example key")


def test_an_empty_inline_array_becomes_tables_but_a_filled_one_is_refused() -> None:
    text, _ = edited(
        "claude-api-key = []\n", ConfigEdit(providers=(ProviderEdit("claude-api-key", "a"),))
    )
    assert tomllib.loads(text)["claude-api-key"] == [{"api-key": "a"}]
    with pytest.raises(TomlEditError, match="inline array"):
        edited(
            'claude-api-key = [{ api-key = "x" }]\n',
            ConfigEdit(providers=(ProviderEdit("claude-api-key", "a"),)),
        )


def test_wrong_shapes_and_bad_toml_are_errors() -> None:
    with pytest.raises(TomlEditError, match="not valid TOML"):
        parse("port = = 1")
    with pytest.raises(TomlEditError, match="api-keys is not an array"):
        edited('api-keys = "x"\n', ConfigEdit(add_client_keys=("k",)))
    with pytest.raises(TomlEditError, match="routing is not a table"):
        edited("routing = 1\n", ConfigEdit(strategy="random"))
    with pytest.raises(TomlEditError, match="needs a name"):
        edited("", ConfigEdit(providers=(ProviderEdit(COMPAT_SECTION, "k"),)))
    with pytest.raises(TomlEditError, match="unknown provider section"):
        edited("", ConfigEdit(providers=(ProviderEdit("nope", "k"),)))


def test_current_values_read_the_wizards_defaults() -> None:
    values = current_values(parse(COMMENTED))
    assert (values.host, values.port, values.strategy) == (None, 9000, "fill-first")
    assert values.api_keys == ()
    assert values.providers == ("claude-api-key ×1", "openai-compatibility: OpenRouter")
    template = current_values(parse(default_config_text("ck-1")))
    assert (template.host, template.port, template.api_keys) == ("127.0.0.1", 8317, ("ck-1",))
    assert template.strategy == "round-robin" and template.providers == ()
