from __future__ import annotations

import yaml
from django.core.management import call_command


def test_the_openapi_schema_builds_and_validates_without_a_warning(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert {"/api/v1/facts/", "/api/v1/scorecards/", "/api/v1/rankings/"} <= set(schema["paths"])


def _schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_codes_periods_months_weeks_and_cursors_are_documented_with_their_grammar():
    schema = _schema()
    targets = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/targets/"]["get"]["parameters"]}
    reviews = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/reviews/"]["get"]["parameters"]}
    customers = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/customers/"]["get"]["parameters"]}
    [unit_path] = schema["paths"]["/api/v1/units/{code}/"]["get"]["parameters"]
    fact = schema["components"]["schemas"]["FactIn"]["properties"]

    code = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"
    assert targets["unit"] == {"type": "string", "pattern": code, "maxLength": 32}
    assert unit_path["schema"] == {"type": "string", "pattern": code, "maxLength": 32}
    assert targets["period"]["pattern"] == "^[0-9]{4}(-(Q[1-4]|W[0-9]{2}|[0-9]{2}(-[0-9]{2})?))?$"
    assert customers["month"]["pattern"] == "^[0-9]{4}-[0-9]{2}$"
    assert reviews["week"]["pattern"] == "^[0-9]{4}-(W[0-9]{2}|[0-9]{2}-[0-9]{2})$"
    assert targets["cursor"]["pattern"] == "^[A-Za-z0-9+/]+={0,2}$"
    assert fact["unit"]["pattern"] == code
    assert fact["staff"]["pattern"] == "^(?:[A-Za-z0-9][A-Za-z0-9_.-]{0,31})?$"  # null or blank: the outlet's own
    assert (fact["date"]["type"], fact["date"]["format"]) == ("string", "date")
    assert fact["date"]["description"].startswith("Business date, YYYY-MM-DD: from the outlet's opening")


def test_no_operation_is_described_by_a_docstring_its_view_inherits_from_a_shared_base():
    # The shared bases document themselves (how the scope reaches the request), not the endpoints built on
    # them: drf-spectacular read a view's inherited docstring as its operation's description
    # (lib.api_schema.AutoSchema reads only the view's own).
    from staff import api_scope

    bases = [
        " ".join(cls.__doc__.split())
        for cls in vars(api_scope).values()
        if isinstance(cls, type) and cls.__module__ == api_scope.__name__ and cls.__doc__
    ]
    assert bases
    described = {
        operation["operationId"]: " ".join(operation.get("description", "").split())
        for methods in _schema()["paths"].values()
        for operation in methods.values()
    }
    inherited = sorted(name for name, text in described.items() if text and any(text == base for base in bases))
    assert inherited == []
    # The five that did, now with a description of their own.
    assert described["pay_sheets_retrieve"].startswith("One stored pay sheet in the reader's scope")
    assert described["rollouts_item_mark"].startswith("Mark a practice of an outlet's rollout done")


def description_of(view_class: type, method: str = "GET") -> str:
    from lib.api_schema import AutoSchema

    schema = AutoSchema()
    schema.view = view_class()
    schema.method = method
    return schema.get_description()


def test_a_view_with_no_docstring_of_its_own_is_not_described_by_its_bases_docstring():
    from rest_framework.views import APIView

    from staff.api_scope import ScopedViewMixin

    class Undocumented(ScopedViewMixin, APIView):
        def get(self, request): ...

    assert ScopedViewMixin.__doc__
    assert description_of(Undocumented) == ""


def test_a_view_is_described_by_its_own_docstring_and_an_action_by_its_own_first():
    from rest_framework.views import APIView

    from staff.api_scope import ScopedViewMixin

    class Documented(ScopedViewMixin, APIView):
        """The outlets in scope."""

        def get(self, request): ...

        def post(self, request):
            """Add an outlet."""

    assert description_of(Documented) == "The outlets in scope."
    assert description_of(Documented, "POST") == "Add an outlet."


def test_the_values_an_answer_holds_are_values_its_schema_allows():
    # Each was an answer that a client validating against the schema refused (schemathesis on the demo).
    import re

    from jsonschema import Draft202012Validator

    components = _schema()["components"]["schemas"]

    def allows(component: str, field: str, value) -> bool:
        schema = {**components[component]["properties"][field], "components": {"schemas": components}}
        schema = _as_json_schema(schema)
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        return validator.is_valid(value)

    # A material without a link answers "": no `format: uri` (which jsonschema checks only with rfc3987).
    assert allows("CampaignMaterial", "url", "") and "format" not in components["CampaignMaterial"]["properties"]["url"]
    assert allows("ChecklistTemplate", "role", "") and allows("ChecklistTemplate", "role", "auditor")
    assert allows("ListAssignment", "last_outcome", "") and not allows("ListAssignment", "last_outcome", "maybe")
    for field in ("fact", "partner_fact", "batch"):  # an entry not approved yet
        assert allows("LedgerEntry", field, None)
    assert allows("PatrolSheet", "slot", "09:00") and not allows("PatrolSheet", "slot", "9:00:00")
    assert re.fullmatch(components["PatrolTick"]["properties"]["slot"]["pattern"], "23:59")


def _as_json_schema(schema):
    """OpenAPI 3.0's `nullable: true` as JSON Schema's null type (its #/components/schemas/X references
    resolve within the document as they are)."""
    if isinstance(schema, list):
        return [_as_json_schema(value) for value in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: _as_json_schema(value) for key, value in schema.items() if key != "nullable"}
    if schema.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def test_every_operation_that_reads_a_query_or_a_body_documents_its_400():
    undocumented = [
        f"{method.upper()} {path}"
        for path, operations in _schema()["paths"].items()
        for method, operation in operations.items()
        if (any(p["in"] == "query" for p in operation.get("parameters", [])) or "requestBody" in operation)
        and "400" not in operation["responses"]
    ]

    assert undocumented == []
