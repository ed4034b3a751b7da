"""Hypothesis strategies from the app's OpenAPI schema (schemathesis is not installed).

:func:`from_schema` turns a JSON Schema (OpenAPI 3.1 flavour, ``$ref`` into ``components``) into a
strategy of values that fit it; :func:`body_for` mixes fitting bodies with arbitrary JSON, so both
the happy paths and the 422 paths are exercised.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=24)


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        schema = root["components"]["schemas"][name]
    return schema


def from_schema(schema: dict[str, Any], root: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    schema = _resolve(schema, root)
    if depth > 6:
        return st.none()
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of([from_schema(s, root, depth + 1) for s in schema[key]])
    if "allOf" in schema:
        return from_schema(schema["allOf"][0], root, depth + 1)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        fixed = {k: from_schema(v, root, depth + 1) for k, v in props.items() if k in required}
        optional = {k: from_schema(v, root, depth + 1) for k, v in props.items() if k not in required}
        extra = schema.get("additionalProperties")
        base = st.fixed_dictionaries(fixed, optional=optional)
        if isinstance(extra, dict) and not props:
            keys = from_schema(schema.get("propertyNames", {"type": "string"}), root, depth + 1)
            return st.dictionaries(keys, from_schema(extra, root, depth + 1), max_size=3)
        return base
    if kind == "array":
        items = from_schema(schema.get("items", {}), root, depth + 1)
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=min(3, schema.get("maxItems", 3)))
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True).filter(
                lambda s: schema.get("minLength", 0) <= len(s) <= schema.get("maxLength", 10**6)
            )
        lo = schema.get("minLength", 0)
        return st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=lo, max_size=max(lo, 24))
    if kind == "integer":
        return st.integers(schema.get("minimum", -1000), schema.get("maximum", 1000))
    if kind == "number":
        lo = schema.get("exclusiveMinimum", schema.get("minimum", -1000.0))
        hi = schema.get("maximum", 1000.0)
        return st.floats(lo, hi, allow_nan=False, exclude_min="exclusiveMinimum" in schema)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return JSON


def body_for(schema: dict[str, Any], root: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Mostly bodies that fit the schema, some arbitrary JSON."""
    return st.one_of(from_schema(schema, root), from_schema(schema, root), from_schema(schema, root), JSON)


def param_for(param: dict[str, Any], root: dict[str, Any]) -> st.SearchStrategy[str]:
    """A path or query parameter: fitting its schema, or any short text."""
    fitting = from_schema(param.get("schema", {}), root).map(str)
    return st.one_of(fitting, fitting, _TEXT)
