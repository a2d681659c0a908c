"""The customers-by-tier page and the tier counts API before any month is tiered: the population of
tests/customers/conftest.py, not tiered. Apart from test_views.py and test_api.py, whose tests share one
tiered population per module (a module's shared data is there for each of its tests)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from staff.services import api_token_create

pytestmark = pytest.mark.django_db

URL = "/units/{}/customers/"


@pytest.fixture
def english(client):
    """Read the pages in English, so the assertions do not depend on the zh-Hans catalog."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _client(unit, scopes: str = "read") -> APIClient:
    _token, key = api_token_create(name=f"{unit.code} {scopes}", unit=unit, scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _ok(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    (error,) = response.json()["errors"]
    return error


def test_before_any_tiering_the_page_says_so(english, outlet_head, population):
    english.force_login(outlet_head)

    response = english.get(URL.format("GZ0101"))

    assert response.context["month"] is None
    assert "No month has been tiered yet." in _page(response)
    assert 'id="tiers-data"' not in _page(response)


def test_before_any_tiering_a_month_must_be_asked_for(network, population):
    client = _client(network["GZ01"])

    error = _error(client.get("/api/v1/customer-tiers/?unit=GZ01"), 404)

    assert error["message"] == "no month has been tiered yet; ask for one with month=YYYY-MM"
    assert _ok(client.get("/api/v1/customer-tiers/?unit=GZ01&month=2026-11"))["tiered"] is False
