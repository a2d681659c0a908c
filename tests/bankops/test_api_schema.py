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
