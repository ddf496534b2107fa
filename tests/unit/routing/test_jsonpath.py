"""daemon.routing.jsonpath: dotted paths for the payload rules."""

from __future__ import annotations

from typing import Any

import pytest

from daemon.routing.jsonpath import delete, get, json_equal, parse_path, set_value


def test_parse_path() -> None:
    assert parse_path("a.b.0", "w") == ("a", "b", "0")
    assert parse_path(".a", "w") == ("a",)
    assert parse_path("a\\.b.c", "w") == ("a.b", "c")


@pytest.mark.parametrize("path", ["", "  ", "a..b", "tools.#.type", "a.*", "a?b", "a|b", "@this"])
def test_parse_path_refuses_empty_segments_and_gjson_queries(path: str) -> None:
    with pytest.raises(ValueError, match="where"):
        parse_path(path, "where")


def test_get() -> None:
    body: dict[str, Any] = {"a": {"b": [10, {"c": None}]}}
    assert get(body, ("a", "b", "0")) == (True, 10)
    assert get(body, ("a", "b", "1", "c")) == (True, None)
    assert get(body, ("a", "b", "2")) == (False, None)
    assert get(body, ("a", "x")) == (False, None)
    assert get(body, ("a", "b", "x")) == (False, None)


def test_set_creates_intermediate_objects() -> None:
    body: dict[str, Any] = {"generationConfig": {"temperature": 1}}
    set_value(body, ("generationConfig", "thinkingConfig", "thinkingBudget"), 32768)
    assert body == {
        "generationConfig": {"temperature": 1, "thinkingConfig": {"thinkingBudget": 32768}}
    }
    set_value(body, ("generationConfig",), "scalar")
    set_value(body, ("generationConfig", "x"), 1)  # a scalar in the way becomes an object
    assert body == {"generationConfig": {"x": 1}}


def test_set_in_arrays() -> None:
    body: dict[str, Any] = {"tools": [{"a": 1}]}
    set_value(body, ("tools", "0", "b"), 2)
    set_value(body, ("tools", "-1"), {"c": 3})
    set_value(body, ("tools", "3"), "d")
    assert body == {"tools": [{"a": 1, "b": 2}, {"c": 3}, None, "d"]}
    set_value(body, ("tools", "name"), "x")  # a key into an array: left alone
    assert body["tools"][0] == {"a": 1, "b": 2}


def test_delete() -> None:
    body: dict[str, Any] = {"a": {"b": 1, "c": [1, 2, 3]}}
    delete(body, ("a", "b"))
    delete(body, ("a", "c", "1"))
    delete(body, ("a", "missing", "x"))
    delete(body, ("a", "c", "9"))
    assert body == {"a": {"c": [1, 3]}}


def test_json_equal() -> None:
    assert json_equal(1, 1.0)
    assert not json_equal(True, 1)
    assert not json_equal(1, True)
    assert json_equal({"a": [1, "x"]}, {"a": [1.0, "x"]})
    assert not json_equal({"a": 1}, {"a": 1, "b": 2})
    assert not json_equal([1], [1, 2])
    assert json_equal(None, None)
