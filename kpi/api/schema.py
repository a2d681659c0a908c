"""The scorecard list's leaner forms in the OpenAPI schema (a drf-spectacular post-processing hook,
bankops/settings.py SPECTACULAR_SETTINGS): the `fields` and `lines` query parameters, and a 200 that is
either the full page (PaginatedScorecardList, as before) or a selection (some fields, lines as rows).
A hook because the two answers overlap (a selection of every field is a full page): JSON Schema's
`anyOf` says so, drf-spectacular's polymorphic serializers write `oneOf` (exactly one)."""

from __future__ import annotations

from kpi.serializers import LINE_COLUMNS, SCORECARD_FIELDS

OPERATION = "scorecards_list"
_NAME = "(" + "|".join(SCORECARD_FIELDS) + ")"

FIELDS_PARAMETER = {
    "in": "query",
    "name": "fields",
    "required": False,
    "description": "Only these fields of each scorecard, a comma list (`fields=unit,staff,total_score,rank`), "
    "written in the schema's order; an unknown name answers 400 naming it. Default: every field.",
    "schema": {"type": "string", "pattern": rf"^ *{_NAME} *(, *{_NAME} *)*$", "maxLength": 400},
}
LINES_PARAMETER = {
    "in": "query",
    "name": "lines",
    "required": False,
    "description": "full (default): each line an object; compact: each line a list of its values in the order of "
    "the page's `line_columns` (the names written once a page instead of once a line).",
    "schema": {"type": "string", "enum": ["full", "compact"], "default": "full"},
}


def _selection_page(full_page: dict, components: dict) -> dict:
    card = components["Scorecard"]
    properties = dict(card["properties"])
    properties["lines"] = {
        "type": "array",
        "description": "The scorecard's lines: objects as in Scorecard, or with `lines=compact` lists of their "
        "values in the order of the page's `line_columns`.",
        "items": {"anyOf": [{"$ref": "#/components/schemas/ScorecardLine"}, {"type": "array", "items": {}}]},
    }
    page = full_page["properties"]
    return {
        "type": "object",
        "description": "A page written with `fields` or `lines=compact`: each scorecard has only the fields asked "
        "for (every field without `fields`).",
        "required": ["results"],
        "properties": {
            "next": page["next"],
            "previous": page["previous"],
            "line_columns": {
                "type": "array",
                "description": "With lines=compact: the names of a line's values, in their order.",
                "items": {"type": "string", "enum": list(LINE_COLUMNS)},
            },
            "results": {
                "type": "array",
                "items": {"type": "object", "properties": properties, "additionalProperties": False},
            },
        },
    }


def document_scorecard_forms(result, generator, request, public):
    """POSTPROCESSING_HOOKS: the scorecard list's `fields` and `lines` and the answer's two forms."""
    components = result.get("components", {}).get("schemas", {})
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if operation.get("operationId") != OPERATION:
                continue
            operation.setdefault("parameters", []).extend([FIELDS_PARAMETER, LINES_PARAMETER])
            content = operation["responses"]["200"]["content"]["application/json"]
            full_ref = content["schema"]
            full_page = components[full_ref["$ref"].rsplit("/", 1)[1]]
            content["schema"] = {"anyOf": [full_ref, _selection_page(full_page, components)]}
    return result
