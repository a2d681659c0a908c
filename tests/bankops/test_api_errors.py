"""lib/api.py: every 4xx of the API in one format, throttling, conditional GET, local docs."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils.http import http_date

from kpi.models import RollupDay
from tests.kpi.scorecard_factories import ScorecardFactory, ScorecardLineFactory, metric, published_day

TARGETS = "/api/v1/targets/"
SCORECARDS = "/api/v1/scorecards/"


def _only_error(response) -> dict:
    [error] = response.json()["errors"]
    return error


def test_a_path_that_is_no_endpoint_answers_404_in_the_error_format(token_client, network):
    response = token_client(network["GZ01"]).get("/api/v1/scorecard/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert _only_error(response) == {
        "field": "",
        "message": "no endpoint at /api/v1/scorecard/; the list of endpoints is at /api/v1/docs/",
        "row": None,
    }


def test_no_credentials_is_a_401_that_says_so(client, network):
    response = client.get(SCORECARDS, {"unit": "GZ0101"})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert _only_error(response)["message"] == "Authentication credentials were not provided."


def test_a_method_the_endpoint_does_not_have_is_a_405(token_client, network):
    response = token_client(network["GZ01"], "read,admin").delete(SCORECARDS)

    assert response.status_code == 405
    assert _only_error(response)["message"] == 'Method "DELETE" not allowed.'


def test_malformed_json_is_a_400_that_says_where(token_client, network):
    response = token_client(network["GZ01"], "read,admin").post(
        TARGETS, '{"unit": "GZ0101",', content_type="application/json"
    )

    assert response.status_code == 400
    message = _only_error(response)["message"]
    assert message.startswith("the body could not be read: JSON parse error")
    assert "line 1 column 19" in message


def test_a_body_that_is_not_json_is_a_415(token_client, network):
    response = token_client(network["GZ01"], "read,admin").post(TARGETS, "unit=GZ0101", content_type="text/plain")

    assert response.status_code == 415
    assert _only_error(response)["message"] == 'Unsupported media type "text/plain" in request.'


def test_a_body_over_the_size_limit_is_a_413_not_a_500(token_client, network, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    body = '{"unit": "GZ0101", "metric": "deposit_balance", "period": "2026-12", "value": "1", "x": "%s"}' % (
        "9" * 3000
    )

    response = token_client(network["GZ01"], "read,admin").post(TARGETS, body, content_type="application/json")

    assert response.status_code == 413
    assert _only_error(response)["message"] == "the request body is larger than 2 KB, the limit for this endpoint"


def test_a_body_of_the_wrong_shape_is_a_400(token_client, network):
    response = token_client(network["GZ01"], "read,admin").post(TARGETS, "[1, 2]", content_type="application/json")

    assert response.status_code == 400
    assert _only_error(response)["message"] == "Invalid data. Expected a dictionary, but got list."


# -- throttling ----------------------------------------------------------------------------------------


def test_a_token_over_its_rate_gets_a_429_with_retry_after(token_client, network, settings):
    settings.API_THROTTLE_RATE = "2/min"
    cache.clear()
    client = token_client(network["GZ01"])

    statuses = [client.get(TARGETS).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    refused = client.get(TARGETS)
    assert 55 <= int(refused["Retry-After"]) <= 60
    message = _only_error(refused)["message"]
    assert message.startswith("too many requests: the limit is 2/min; try again in ")
    cache.clear()


def test_each_token_has_its_own_bucket(token_client, network, settings):
    settings.API_THROTTLE_RATE = "1/min"
    cache.clear()

    first = token_client(network["GZ01"])
    assert [first.get(TARGETS).status_code for _ in range(2)] == [200, 429]
    second = token_client(network["GZ02"])
    assert second.get(TARGETS).status_code == 200
    cache.clear()


# -- conditional GET -----------------------------------------------------------------------------------


@pytest.fixture
def november(network):
    day = published_day()
    card = ScorecardFactory(run=day.published_run, unit=network["GZ0101"], period="month", total_score="42")
    ScorecardLineFactory(scorecard=card, metric=metric("complaints"), actual="1")
    return card


def test_a_poller_gets_304_until_the_scorecards_change(token_client, network, november):
    client = token_client(network["GZ01"])
    first = client.get(SCORECARDS, {"unit": "GZ0101"})
    etag = first["ETag"]
    assert first.status_code == 200
    published_at = RollupDay.objects.get(date=november.date).published_at
    assert first["Last-Modified"] == http_date(published_at.timestamp())

    again = client.get(SCORECARDS, {"unit": "GZ0101"}, headers={"If-None-Match": etag})
    assert (again.status_code, again.content) == (304, b"")

    # The day rolled up again: a new published run (a published run never changes) with other figures.
    republished = published_day(november.date)
    card = ScorecardFactory(run=republished.published_run, unit=network["GZ0101"], period="month", total_score="43")
    ScorecardLineFactory(scorecard=card, metric=metric("customers_served"), actual="120")
    changed = client.get(SCORECARDS, {"unit": "GZ0101"}, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_rankings_answer_304_too(token_client, network, november):
    client = token_client(network["GZ01"])
    etag = client.get("/api/v1/rankings/", {"group": "GZ01"})["ETag"]

    assert client.get("/api/v1/rankings/", {"group": "GZ01"}, headers={"If-None-Match": etag}).status_code == 304


# -- documentation ---------------------------------------------------------------------------------------


def test_the_docs_are_served_from_local_static_files_without_a_token(client):
    page = client.get("/api/v1/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert client.get("/api/v1/schema/").status_code == 200
    assert client.get("/api/v1/redoc/").status_code == 200


def test_the_api_answers_in_english_unless_asked_otherwise(client, network):
    english = client.get(SCORECARDS)
    chinese = client.get(SCORECARDS, headers={"Accept-Language": "zh-hans"})

    assert _only_error(english)["message"] == "Authentication credentials were not provided."
    assert _only_error(chinese)["message"] == "身份认证信息未提供。"


def test_a_weak_etag_of_the_same_answer_is_a_304(token_client, network, november):
    client = token_client(network["GZ01"])
    etag = client.get(SCORECARDS, {"unit": "GZ0101"})["ETag"]

    # A proxy that compresses the body weakens the ETag (W/"…"); the answer is the same.
    weak = client.get(SCORECARDS, {"unit": "GZ0101"}, headers={"If-None-Match": f'"other", W/{etag}'})

    assert weak.status_code == 304


# -- input no view should see -------------------------------------------------------------------------


def _cursor(query: str) -> str:
    return base64.b64encode(query.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor("o=0&p=x"),  # the list is ordered by id: 'x' is no id (a ValueError: 500)
        _cursor("o=0&r=1&p=" + "9" * 30),  # past the column's range (an OverflowError: 500)
        _cursor("p=\x00"),  # PostgreSQL refuses a NUL byte (a 500 there)
        "not base64!",
    ],
)
def test_a_hand_made_cursor_is_a_400_naming_the_cursor(token_client, network, cursor):
    response = token_client(network["GZ01"]).get(TARGETS, {"cursor": cursor})

    assert response.status_code == 400
    assert _only_error(response) == {
        "field": "cursor",
        "message": "this is not a cursor the API gave out; follow the `next` and `previous` links as they are",
        "row": None,
    }


def test_a_cursor_the_api_gave_out_still_pages(token_client, network, november):
    ScorecardFactory(run=november.run, unit=network["GZ0102"], period="month", total_score="40")
    client = token_client(network["GZ01"])

    first = client.get(SCORECARDS, {"page_size": 1}).json()
    second = client.get(first["next"]).json()

    assert len(first["results"]) == len(second["results"]) == 1
    assert first["results"][0]["unit"] != second["results"][0]["unit"]


def test_a_body_nested_33_deep_is_a_400_and_32_deep_is_read(token_client, network):
    client = token_client(network["GZ01"], "read,admin")

    deep = client.post(TARGETS, '{"a":' * 33 + "1" + "}" * 33, content_type="application/json")
    deeper = client.post(TARGETS, "[" * 100_000 + "]" * 100_000, content_type="application/json")
    read = client.post(TARGETS, '{"a":' * 31 + "1" + "}" * 31, content_type="application/json")

    # 100,000 levels made Python's decoder raise RecursionError: a 500.
    message = "the body could not be read: it nests arrays and objects deeper than 32 levels"
    assert (deep.status_code, _only_error(deep)["message"]) == (400, message)
    assert (deeper.status_code, _only_error(deeper)["message"]) == (400, message)
    assert read.status_code == 400 and _only_error(read)["field"] == "a"  # read, then refused as unknown


def test_a_nul_byte_in_a_filter_is_a_400_in_the_error_format(token_client, network):
    response = token_client(network["GZ01"]).get(TARGETS, {"unit": "GZ0101\x00"})

    assert response.status_code == 400
    assert _only_error(response) == {
        "field": "unit",
        "message": "unit must not contain a NUL character (%00)",
        "row": None,
    }


def test_a_path_with_a_newline_in_it_answers_404_in_the_error_format_too(token_client, network):
    # schemathesis found it: the catch-all's `.*` stopped at the newline and Django answered in HTML.
    response = token_client(network["GZ01"]).post("/api/v1/alerts/%0A/transitions/", {}, format="json")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("path", ["/api/v1/metrics/" + "x" * 33 + "/", "/api/v1/units/GZ~01/"])
def test_a_code_in_the_path_that_no_code_can_be_is_a_404_in_the_error_format(token_client, network, path):
    response = token_client(network["GZ01"]).get(path)

    assert response.status_code == 404
    assert _only_error(response)["message"].startswith("no endpoint at ")


@pytest.mark.parametrize("path", ["/api/v1/units/GZ0101%00/", "/api/v1/staff/%00/"])
def test_a_nul_byte_in_the_path_is_a_400_in_the_error_format(token_client, network, path):
    response = token_client(network["GZ01"]).get(path)

    assert response.status_code == 400  # it reached the database: a 500 on PostgreSQL
    message = "the path must not contain a NUL character (%00)"
    assert _only_error(response) == {"field": "", "message": message, "row": None}


@pytest.mark.parametrize("module", ["lib.api", "staff.api"])
def test_a_module_the_api_settings_name_imports_first_in_a_fresh_interpreter(module):
    # REST_FRAMEWORK names lib.api's parser, throttle and handler and staff.api's authentication, and
    # rest_framework.views resolves them while it defines APIView: if one of these modules imported
    # rest_framework.views at its top, importing it first would be a cycle ("lib.api does not define
    # DepthLimitedJSONParser"), as tests/kpi/test_tables.py run alone once found.
    code = (
        f"import django; django.setup(); import {module}; "
        "from rest_framework.views import APIView; print(APIView.parser_classes)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "bankops.settings", "DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "DepthLimitedJSONParser" in result.stdout
