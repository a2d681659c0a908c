"""The OpenAPI schema's grammar of the values the API takes by name (a drf-spectacular post-processing
hook), so a client, and schemathesis, knows what a code, a period, a month, a week or a cursor looks
like instead of "a string".

By name rather than filter by filter: `unit`, `under`, `metric`… mean the same thing on every endpoint,
and a filter added tomorrow under one of these names is documented without a line here. What the names
stand for is checked by the views (an unknown or malformed code is a 404 or a 400); the pattern says
what could be one.
"""

from __future__ import annotations

from lib.converters import CODE_MAX_LENGTH, CODE_REGEX

CODE = {"pattern": f"^{CODE_REGEX}$", "maxLength": CODE_MAX_LENGTH}
# lib.periods: 2026, 2026-Q4, 2026-11, 2026-W48, 2026-11-24 (ASCII digits: JSON Schema's \d is ASCII too).
PERIOD = {"pattern": r"^[0-9]{4}(-(Q[1-4]|W[0-9]{2}|[0-9]{2}(-[0-9]{2})?))?$", "maxLength": 10}
MONTH = {"pattern": r"^[0-9]{4}-[0-9]{2}$", "maxLength": 7}
WEEK = {"pattern": r"^[0-9]{4}-(W[0-9]{2}|[0-9]{2}-[0-9]{2})$", "maxLength": 10}
# DRF's cursors are base64 of "o=…&r=…&p=…" (standard alphabet, padded).
CURSOR = {"pattern": r"^[A-Za-z0-9+/]+={0,2}$", "maxLength": 400}

GRAMMAR = {
    **dict.fromkeys(("unit", "under", "staff", "metric", "group", "manager", "outlet", "parent", "tier", "post"), CODE),
    "period": PERIOD,
    "month": MONTH,
    "week": WEEK,
    "cursor": CURSOR,
}


def _tighten(schema: dict, name: str, *, optional: bool) -> None:
    grammar = GRAMMAR.get(name)
    if grammar is None or schema.get("type") != "string" or "enum" in schema or "format" in schema:
        return
    pattern = grammar["pattern"]
    if optional and name != "cursor":
        pattern = f"^(?:{pattern[1:-1]})?$"  # a body field that may be left blank
    schema.update(grammar, pattern=pattern)


def document_value_grammars(result, generator, request, public):
    """POSTPROCESSING_HOOKS: patterns on the query parameters and request-body fields named in GRAMMAR."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _tighten(parameter.get("schema", {}), parameter["name"], optional=False)
    components = result.get("components", {}).get("schemas", {})
    for component in _request_components(result, components):
        required = set(component.get("required", []))
        for name, field in component.get("properties", {}).items():
            _tighten(field, name, optional=name not in required or field.get("nullable", False))
    return result


def _request_components(result: dict, components: dict) -> list[dict]:
    """The components a request body refers to (and the items of their arrays), not those of answers."""
    found: dict[str, dict] = {}

    def follow(node: dict) -> None:
        ref = node.get("$ref") or node.get("items", {}).get("$ref")
        if ref:
            name = ref.rsplit("/", 1)[1]
            if name not in found and name in components and not name.endswith("Enum"):
                found[name] = components[name]
                for field in components[name].get("properties", {}).values():
                    follow(field)

    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for content in operation.get("requestBody", {}).get("content", {}).values():
                follow(content.get("schema", {}))
    return list(found.values())
