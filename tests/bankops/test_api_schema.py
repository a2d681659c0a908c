from __future__ import annotations

import yaml
from django.core.management import call_command


def test_the_openapi_schema_builds_and_validates_without_a_warning(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert {"/api/v1/facts/", "/api/v1/scorecards/", "/api/v1/rankings/"} <= set(schema["paths"])
