"""cliproxyctl.render: the JSON envelope, secret redaction, durations."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from cliproxyctl.render import (
    SCHEMA_VERSION,
    envelope,
    format_duration,
    mask,
    print_json,
    redact,
)
from daemon.config import ProviderKeyEntry, Settings

SECRET = "sk-secret-0123456789abcdef"


def test_envelope_shape() -> None:
    doc = envelope("config show", True, {"a": 1})
    assert list(doc) == ["schema_version", "command", "ok", "timestamp", "details"]
    assert doc["schema_version"] == SCHEMA_VERSION == "cliproxyctl.response.v1"
    assert doc["command"] == "config show"
    assert doc["ok"] is True
    assert doc["details"] == {"a": 1}
    assert doc["timestamp"].endswith("Z")
    stamp = datetime.fromisoformat(doc["timestamp"].replace("Z", "+00:00"))
    assert stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_print_json_writes_one_document(capsys: pytest.CaptureFixture[str]) -> None:
    print_json("status", False, {"path": Path("/x/y"), "n": 1})
    out = capsys.readouterr().out
    assert out.endswith("}\n")
    doc = json.loads(out)
    assert doc["ok"] is False
    assert doc["command"] == "status"
    assert doc["details"] == {"path": "/x/y", "n": 1}  # non-JSON values as strings


def test_mask() -> None:
    assert mask("short") == "****"
    assert mask("123456789012") == "****"
    assert mask(SECRET) == "sk-s…cdef"


@dataclass
class Inner:
    key: str
    tags: tuple[str, ...] = ()


@dataclass
class Outer:
    name: str
    inner: Inner
    items: list[Inner] = field(default_factory=list)
    mapping: dict[str, object] = field(default_factory=dict)
    count: int = 3


def test_redact_walks_nested_dataclasses_dicts_lists_and_tuples() -> None:
    value = Outer(
        name=f"prefix {SECRET} suffix",
        inner=Inner(key=SECRET, tags=(SECRET, "public")),
        items=[Inner(key="plain")],
        mapping={"deep": {"list": [SECRET, 5, None, True]}, SECRET: "keys are not redacted"},
    )
    out = redact(value, {SECRET})
    assert out == {
        "name": "prefix sk-s…cdef suffix",
        "inner": {"key": "sk-s…cdef", "tags": ["sk-s…cdef", "public"]},
        "items": [{"key": "plain", "tags": []}],
        "mapping": {
            "deep": {"list": ["sk-s…cdef", 5, None, True]},
            SECRET: "keys are not redacted",
        },
        "count": 3,
    }
    assert value.inner.key == SECRET  # the input is left alone


def test_redact_masks_several_secrets_and_ignores_empty_ones() -> None:
    other = "another-secret-value"
    out = redact({"a": f"{SECRET}:{other}", "b": "nothing here"}, {SECRET, other, ""})
    assert out == {"a": "sk-s…cdef:anot…alue", "b": "nothing here"}


def test_redact_leaves_non_strings_and_classes_alone() -> None:
    assert redact(42, {SECRET}) == 42
    assert redact(None, {SECRET}) is None
    assert redact(Inner, {SECRET}) is Inner  # a dataclass type, not an instance


def test_redact_real_settings_leaves_no_secret_behind() -> None:
    settings = Settings(
        api_keys=(SECRET,),
        claude_api_key=(
            ProviderKeyEntry(
                api_key="sk-ant-provider-abcdefghijkl",
                headers={"Authorization": "Bearer upstream-token-123456"},
            ),
        ),
        proxy_url="socks5://user:hunter2-long-pass@127.0.0.1:1080",
    )
    secrets = set(settings.secrets())
    text = json.dumps(redact(settings, secrets))
    for secret in secrets:
        assert secret not in text
    assert "127.0.0.1:1080" in text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (59.9, "59s"),
        (60, "1m 0s"),
        (3599, "59m 59s"),
        (3600, "1h 0m 0s"),
        (86399, "23h 59m 59s"),
        (86400, "1d 0h 0m"),
        (90061, "1d 1h 1m"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
