"""staff/api.py's TokenAuthentication: one query per request, the last use stamped at most once a minute,
revoked and unknown keys refused in the API's error format."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from staff.api import LAST_USE_STAMP_EVERY, _stamp_last_use
from staff.models import ApiToken
from staff.services import api_token_create, api_token_revoke

URL = "/api/v1/metrics/"


@pytest.fixture
def warehouse(network) -> tuple[ApiToken, APIClient]:
    """The head office's data warehouse: a read token, not used yet."""
    token, key = api_token_create(name="warehouse", unit=network["HQ"], scopes="read")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return token, client


def _stamp_writes(client: APIClient) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL).status_code == 200
    return sum(query["sql"].startswith('UPDATE "staff_apitoken"') for query in captured.captured_queries)


def test_a_token_used_twice_within_a_minute_writes_its_stamp_once(warehouse):
    token, client = warehouse

    writes = [_stamp_writes(client), _stamp_writes(client)]

    assert writes == [1, 0]
    token.refresh_from_db()
    assert timezone.now() - token.last_used_at < LAST_USE_STAMP_EVERY


def test_a_stamp_a_minute_old_is_written_again(warehouse):
    token, client = warehouse
    a_minute_ago = timezone.now() - datetime.timedelta(seconds=61)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=a_minute_ago)

    assert _stamp_writes(client) == 1
    token.refresh_from_db()
    assert token.last_used_at > a_minute_ago + datetime.timedelta(seconds=60)


def test_of_two_workers_that_read_the_same_old_stamp_one_writes(warehouse):
    token, _client = warehouse
    now = timezone.now()
    worker_a, worker_b = ApiToken.objects.get(pk=token.pk), ApiToken.objects.get(pk=token.pk)

    written = [_stamp_last_use(worker_a, now), _stamp_last_use(worker_b, now + datetime.timedelta(seconds=1))]

    assert written == [True, False]
    assert ApiToken.objects.get(pk=token.pk).last_used_at == now


def test_an_authenticated_request_costs_one_query_for_the_token(warehouse, django_assert_num_queries):
    """The token with its unit (one query), then the catalog's page (one): after the first use, whose stamp
    is one query more."""
    _token, client = warehouse
    with django_assert_num_queries(3):
        client.get(URL)
    with django_assert_num_queries(2) as captured:
        assert client.get(URL).status_code == 200
    token_query = captured.captured_queries[0]["sql"]
    assert '"staff_apitoken"' in token_query and '"branches_orgunit"' in token_query
    assert "ORDER BY" not in token_query


def test_a_revoked_token_is_refused_in_the_error_format(warehouse):
    _token, client = warehouse
    assert client.get(URL).status_code == 200
    api_token_revoke(name="warehouse")

    response = client.get(URL)

    assert response.status_code == 401
    assert response.json() == {"errors": [{"field": "", "message": "Unknown or revoked token.", "row": None}]}
    assert response["WWW-Authenticate"] == "Token"


def test_an_unknown_key_is_refused_like_a_revoked_one(network):
    response = APIClient().get(URL, HTTP_AUTHORIZATION="Token not-a-key-anyone-was-given")

    assert response.status_code == 401
    assert response.json() == {"errors": [{"field": "", "message": "Unknown or revoked token.", "row": None}]}
