"""The customers-by-tier page and the tier counts API before any month is tiered: the population of
tests/customers/conftest.py, not tiered. Apart from test_views.py and test_api.py, whose tests share one
tiered population per module (a module's shared data is there for each of its tests)."""

from __future__ import annotations

import pytest

from tests.customers.clients import api_error, ok, page_text, token_client_of

pytestmark = pytest.mark.django_db

URL = "/units/{}/customers/"


def test_before_any_tiering_the_page_says_so(english, outlet_head, population):
    english.force_login(outlet_head)

    response = english.get(URL.format("GZ0101"))

    assert response.context["month"] is None
    assert "No month has been tiered yet." in page_text(response)
    assert 'id="tiers-data"' not in page_text(response)


def test_before_any_tiering_a_month_must_be_asked_for(network, population):
    client = token_client_of(network["GZ01"])

    error = api_error(client.get("/api/v1/customer-tiers/?unit=GZ01"), 404)

    assert error["message"] == "no month has been tiered yet; ask for one with month=YYYY-MM"
    assert ok(client.get("/api/v1/customer-tiers/?unit=GZ01&month=2026-11"))["tiered"] is False
