"""The JSON Schema cleaner for Gemini `parameters` / `responseSchema`."""

from __future__ import annotations

import copy
from typing import Any

from google.genai import types

from daemon.formats.gemini.schema import clean_parameters, clean_schema


def test_drops_unsupported_keywords_and_leaves_input_alone() -> None:
    schema: dict[str, Any] = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "urn:x",
        "type": "object",
        "additionalProperties": False,
        "patternProperties": {"^x": {"type": "string"}},
        "properties": {
            "tags": {"type": "array", "uniqueItems": True, "items": {"type": "string"}},
            "old": {"type": "string", "deprecated": True, "examples": ["a"]},
        },
        "required": ["tags", "missing"],
    }
    before = copy.deepcopy(schema)
    assert clean_schema(schema) == {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"type": "string"}},
            "old": {"type": "string"},
        },
        "required": ["tags"],
    }
    assert schema == before


def test_const_and_enums_become_string_enums() -> None:
    assert clean_schema({"const": "x"}) == {"enum": ["x"], "type": "string"}
    assert clean_schema({"type": "integer", "enum": [1, 2, None]}) == {
        "type": "string",
        "enum": ["1", "2"],
        "nullable": True,
    }
    assert clean_schema({"enum": [True, False]}) == {"enum": ["true", "false"], "type": "string"}


def test_nullable_type_lists_and_union_types() -> None:
    assert clean_schema({"type": ["string", "null"]}) == {"type": "string", "nullable": True}
    assert clean_schema({"type": ["string", "integer"]}) == {
        "anyOf": [{"type": "string"}, {"type": "integer"}]
    }
    assert clean_schema({"type": "null"}) == {"nullable": True}


def test_refs_are_inlined() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/Point"}, "b": {"$ref": "#/definitions/Name"}},
        "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "number"}}}},
        "definitions": {"Name": {"type": "string", "description": "a name"}},
    }
    assert clean_schema(schema) == {
        "type": "object",
        "properties": {
            "a": {"type": "object", "properties": {"x": {"type": "number"}}},
            "b": {"type": "string", "description": "a name"},
        },
    }


def test_recursive_refs_stop_at_the_cycle() -> None:
    schema = {
        "$ref": "#/$defs/Node",
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {
                    "value": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                },
            }
        },
    }
    cleaned = clean_schema(schema)
    children = cleaned["properties"]["children"]
    assert children == {"type": "array", "items": {"type": "object"}}


def test_unresolvable_ref_becomes_an_object() -> None:
    assert clean_schema({"$ref": "https://example.com/x.json"}) == {"type": "object"}


def test_one_of_and_all_of() -> None:
    assert clean_schema({"oneOf": [{"type": "string"}, {"type": "integer"}]}) == {
        "anyOf": [{"type": "string"}, {"type": "integer"}]
    }
    merged = clean_schema(
        {
            "allOf": [
                {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                {"$ref": "#/$defs/B"},
            ],
            "$defs": {"B": {"properties": {"b": {"type": "integer"}}, "required": ["b"]}},
        }
    )
    assert merged == {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
    }


def test_formats_kept_only_where_supported() -> None:
    assert clean_schema({"type": "string", "format": "date-time"})["format"] == "date-time"
    assert "format" not in clean_schema({"type": "string", "format": "uri"})
    assert clean_schema({"type": "integer", "format": "int64"})["format"] == "int64"


def test_parameters_without_properties_are_omitted() -> None:
    assert clean_parameters({"type": "object", "properties": {}}) is None
    assert clean_parameters(None) is None
    assert clean_parameters({"type": "object", "properties": {"a": {"type": "string"}}}) == {
        "type": "object",
        "properties": {"a": {"type": "string"}},
    }


def test_cleaned_schema_validates_as_sdk_schema() -> None:
    schema = {
        "$schema": "x",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "mode": {"const": "fast"},
            "n": {"type": ["integer", "null"], "minimum": 0},
            "node": {"$ref": "#/$defs/N"},
        },
        "$defs": {"N": {"type": "object", "properties": {"next": {"$ref": "#/$defs/N"}}}},
    }
    types.Schema.model_validate(clean_schema(schema))
