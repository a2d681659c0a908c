"""GET /api/v1/rankings/ (kpi/api/) before the first rollup: apart from test_api_rankings.py, whose tests
share one ranked network per module (tests/kpi/ranking_data.py; a module's shared data is there for each
of its tests)."""

from __future__ import annotations

import pytest

from branches.services import peer_groups_rebuild
from staff.services import api_token_create

URL = "/api/v1/rankings/"
pytestmark = pytest.mark.django_db


def test_before_the_first_rollup_there_are_no_results(client, network):
    peer_groups_rebuild()
    _token, key = api_token_create(name="GZ01 read", unit=network["GZ01"], scopes="read")
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"

    body = client.get(URL, {"group": "GZ01-urban"}).json()

    assert body == {"date": None, "period": "month", "group": "GZ01-urban", "freshness": None, "results": []}
