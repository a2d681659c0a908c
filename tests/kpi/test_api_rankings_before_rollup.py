"""GET /api/v1/rankings/ (kpi/api/) before the first rollup: apart from test_api_rankings.py, whose tests
share one ranked network per module (tests/kpi/ranking_data.py; a module's shared data is there for each
of its tests)."""

from __future__ import annotations

import pytest

from branches.services import peer_groups_rebuild
from staff.api import hash_key
from staff.models import ApiToken

URL = "/api/v1/rankings/"
pytestmark = pytest.mark.django_db


def _token(unit, *, scopes: str = "read") -> str:
    key = f"key-{unit.code}-{scopes}"
    ApiToken.objects.create(
        name=f"{unit.code} {scopes}", key_hash=hash_key(key), prefix=key[:8], unit=unit, scopes=scopes
    )
    return key


def test_before_the_first_rollup_there_are_no_results(client, network):
    peer_groups_rebuild()
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {_token(network['GZ01'])}"

    body = client.get(URL, {"group": "GZ01-urban"}).json()

    assert body == {"date": None, "period": "month", "group": "GZ01-urban", "freshness": None, "results": []}
