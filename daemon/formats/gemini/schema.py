"""JSON Schema → the OpenAPI subset Gemini accepts in `parameters` and `responseSchema`.

Gemini rejects many JSON Schema keywords. `clean_schema` returns a new schema (the input is not
changed) where:
- only the keywords Gemini knows are kept (`$schema`, `$id`, `additionalProperties`,
  `patternProperties`, `uniqueItems`, `deprecated`, `examples`, … are dropped);
- `$ref` into `$defs` / `definitions` is inlined; a reference cycle becomes a plain
  `{"type": "object"}` at the point where it would recurse;
- `const` becomes a one-value `enum`; enum values become strings (Gemini enums are string-only,
  so the type becomes "string"); a `null` enum value becomes `nullable`;
- `type: [x, "null"]` becomes `type: x, nullable: true`; several non-null types become `anyOf`;
- `oneOf` becomes `anyOf`; `allOf` is merged into one schema;
- `format` is kept only where Gemini supports it; `required` keeps only declared properties.
Schemas given to Gemini in `parametersJsonSchema` / `responseJsonSchema` need none of this.
"""

from __future__ import annotations

from typing import Any

_KEEP = frozenset(
    {
        "type",
        "format",
        "title",
        "description",
        "nullable",
        "enum",
        "maxItems",
        "minItems",
        "properties",
        "required",
        "minProperties",
        "maxProperties",
        "minLength",
        "maxLength",
        "pattern",
        "example",
        "anyOf",
        "propertyOrdering",
        "default",
        "items",
        "minimum",
        "maximum",
    }
)
_FORMATS: dict[str, frozenset[str]] = {
    "string": frozenset({"enum", "date-time"}),
    "integer": frozenset({"int32", "int64"}),
    "number": frozenset({"float", "double"}),
}
_MAX_DEPTH = 64


def clean_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of `schema` that Gemini's `parameters` / `responseSchema` accept."""
    return _Cleaner(schema).clean(schema, (), 0)


def clean_parameters(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """Function parameters for Gemini; None (omit the field) for an object without properties,
    which Gemini refuses ("properties: should be non-empty for OBJECT type")."""
    if schema is None:
        return None
    cleaned = clean_schema(schema)
    if cleaned.get("type") == "object" and not cleaned.get("properties"):
        return None
    return cleaned


class _Cleaner:
    __slots__ = ("_root",)

    def __init__(self, root: dict[str, Any]) -> None:
        self._root = root

    def clean(self, schema: Any, refs: tuple[str, ...], depth: int) -> dict[str, Any]:
        if not isinstance(schema, dict) or depth > _MAX_DEPTH:
            return {}
        ref = schema.get("$ref")
        if isinstance(ref, str):
            if ref in refs:
                return _cycle_stub(schema)
            target = self._resolve(ref)
            if target is None:
                return _cycle_stub(schema)
            merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
            return self.clean(merged, (*refs, ref), depth + 1)
        if isinstance(schema.get("allOf"), list):
            subs = [self._deref(sub, refs) for sub in schema["allOf"]]
            schema = _merge_all_of({**schema, "allOf": subs})
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key in _KEEP:
                out[key] = value
        if "const" in schema and "enum" not in out:
            out["enum"] = [schema["const"]]
        if isinstance(schema.get("oneOf"), list) and "anyOf" not in out:
            out["anyOf"] = schema["oneOf"]
        self._fix_type(out)
        self._fix_enum(out)
        self._fix_format(out)
        nested = depth + 1
        if isinstance(out.get("properties"), dict):
            props = {
                str(name): self.clean(sub, refs, nested) for name, sub in out["properties"].items()
            }
            if props:
                out["properties"] = props
            else:
                del out["properties"]
        elif "properties" in out:
            del out["properties"]
        if "items" in out:
            if isinstance(out["items"], dict):
                out["items"] = self.clean(out["items"], refs, nested)
            else:
                del out["items"]
        if "anyOf" in out:
            if isinstance(out["anyOf"], list):
                out["anyOf"] = [self.clean(sub, refs, nested) for sub in out["anyOf"]]
            else:
                del out["anyOf"]
        if "required" in out:
            declared = out.get("properties") or {}
            required = out["required"]
            kept = (
                [name for name in required if isinstance(name, str) and name in declared]
                if isinstance(required, list)
                else []
            )
            if kept:
                out["required"] = kept
            else:
                del out["required"]
        return out

    def _deref(self, schema: Any, refs: tuple[str, ...]) -> Any:
        """Follow a sub-schema's `$ref` chain (for merging `allOf`), refusing cycles."""
        seen = set(refs)
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            ref = schema["$ref"]
            target = self._resolve(ref) if ref not in seen else None
            if target is None:
                return _cycle_stub(schema)
            seen.add(ref)
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return schema

    def _resolve(self, ref: str) -> dict[str, Any] | None:
        if not ref.startswith("#/"):
            return None
        node: Any = self._root
        for token in ref[2:].split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or token not in node:
                return None
            node = node[token]
        return node if isinstance(node, dict) else None

    @staticmethod
    def _fix_type(out: dict[str, Any]) -> None:
        kind = out.get("type")
        if isinstance(kind, list):
            types = [t for t in kind if isinstance(t, str)]
            non_null = [t for t in types if t != "null"]
            if len(non_null) < len(types):
                out["nullable"] = True
            if len(non_null) == 1:
                out["type"] = non_null[0]
            else:
                del out["type"]
                if len(non_null) > 1 and "anyOf" not in out:
                    out["anyOf"] = [{"type": t} for t in non_null]
        elif kind == "null":
            del out["type"]
            out["nullable"] = True
        elif "type" in out and not isinstance(kind, str):
            del out["type"]

    @staticmethod
    def _fix_enum(out: dict[str, Any]) -> None:
        if "enum" not in out:
            return
        values = out["enum"]
        if not isinstance(values, list):
            del out["enum"]
            return
        if None in values:
            out["nullable"] = True
        strings = [v if isinstance(v, str) else _enum_text(v) for v in values if v is not None]
        if not strings:
            del out["enum"]
            return
        out["enum"] = strings
        out["type"] = "string"

    @staticmethod
    def _fix_format(out: dict[str, Any]) -> None:
        if "format" not in out:
            return
        allowed = _FORMATS.get(out.get("type") or "")
        if allowed is None or out["format"] not in allowed:
            del out["format"]


def _enum_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _cycle_stub(schema: dict[str, Any]) -> dict[str, Any]:
    stub: dict[str, Any] = {"type": "object"}
    if isinstance(schema.get("description"), str):
        stub["description"] = schema["description"]
    return stub


def _merge_all_of(schema: dict[str, Any]) -> dict[str, Any]:
    """Fold `allOf` sub-schemas into one: properties and required lists are unioned; other
    keywords of the outer schema win, then the first sub-schema that sets them."""
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    props: dict[str, Any] = dict(merged.get("properties") or {})
    required: list[Any] = list(merged.get("required") or [])
    for sub in schema["allOf"]:
        if not isinstance(sub, dict):
            continue
        for key, value in sub.items():
            if key == "properties" and isinstance(value, dict):
                props.update(value)
            elif key == "required" and isinstance(value, list):
                required.extend(v for v in value if v not in required)
            elif key not in merged:
                merged[key] = value
    if props:
        merged["properties"] = props
    if required:
        merged["required"] = required
    return merged
