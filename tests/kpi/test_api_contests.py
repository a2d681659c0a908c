"""GET /api/v1/contests/ and /api/v1/contests/<id>/ (kpi/api/): PK contests for integrations.

The metrics contest of test_contests.py, rolled up through the real rollup as of 2026-11-15 (November
time progress 0.5): GZ0101 has 60 of 100 sign-ups (pace 1.2), 3 complaints, 5,200 万元 of deposits;
GZ0102 90 of 200 (pace 0.9), 1 complaint, 5,000 万元 → GZ0101 leads two metrics to one. On 30 November
GZ0102 adds 150 sign-ups (240 of 200 → 1.2 against 0.6) and wins two to one.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from kpi.api import urlpatterns as kpi_api_urlpatterns
from staff.api import hash_key
from staff.models import ApiToken
from tests.kpi.contest_data import NOVEMBER_END, D, contest, fact, roll, target

METRICS = ("mobile_banking_signups", "complaints", "deposit_balance")


def _token(unit, *, scopes: str = "read") -> str:
    key = f"key-{unit.code}-{scopes}"
    ApiToken.objects.create(
        name=f"{unit.code} {scopes}", key_hash=hash_key(key), prefix=key[:8], unit=unit, scopes=scopes
    )
    return key


def _reader(client, unit):
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {_token(unit)}"
    return client


@pytest.fixture
def pk(network):
    a, b = network["GZ0101"], network["GZ0102"]
    target(a, "mobile_banking_signups", 100)
    target(b, "mobile_banking_signups", 200)
    for outlet, signups, complaints, deposits in ((a, 60, 3, 5200), (b, 90, 1, 5000)):
        fact(outlet, "mobile_banking_signups", signups)
        fact(outlet, "complaints", complaints)
        fact(outlet, "deposit_balance", deposits)
    roll()
    return contest(network["GZ01"], (a, b), metrics=METRICS)


def test_the_list_gives_the_contests_in_the_tokens_subtree_with_their_pairs(client, network, pk, monkeypatch):
    contest(network["SZ01"], name="深圳 PK", metrics=["complaints"])
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: D(2026, 11, 20))  # the state is as of today

    response = _reader(client, network["GZ"]).get("/api/v1/contests/")

    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "id": pk.pk,
                "name": "十一月 PK 赛",
                "unit": "GZ01",
                "period": "2026-11",
                "period_start": "2026-11-01",
                "period_end": "2026-11-30",
                "template": None,
                "metrics": ["deposit_balance", "mobile_banking_signups", "complaints"],
                "judged": False,
                "state": "running",
                "pairs": [{"outlet_a": "GZ0101", "outlet_b": "GZ0102"}],
            }
        ]
    }


def test_the_standings_say_who_leads_each_metric_and_overall(client, network, pk):
    response = _reader(client, network["GZ01"]).get(f"/api/v1/contests/{pk.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["figures_date"], body["ended"], body["final"], body["period"]) == (
        "2026-11-15",
        False,
        False,
        "2026-11",
    )
    (pair,) = body["pairs"]
    assert (pair["outlet_a"], pair["outlet_b"], pair["leader"], pair["winner"]) == ("GZ0101", "GZ0102", "a", None)
    assert (pair["metrics_led_a"], pair["metrics_led_b"]) == (2, 1)
    by_metric = {line["metric"]: line for line in pair["metrics"]}
    signups = by_metric["mobile_banking_signups"]
    assert (signups["basis"], signups["leader"]) == ("pace", "a")
    assert signups["a"] == {
        "actual": "60.0000",
        "target": "100.0000",
        "attainment": "0.600000",
        "pace_attainment": "1.200000",
        "status": "green",
        "score": None,
    }
    assert signups["b"]["pace_attainment"] == "0.900000"
    complaints = by_metric["complaints"]
    assert (complaints["direction"], complaints["basis"], complaints["leader"]) == ("lower", "actual", "b")
    assert by_metric["deposit_balance"]["leader"] == "a"


def test_the_winner_is_given_once_the_last_day_is_rolled_up(client, network, pk):
    fact(network["GZ0102"], "mobile_banking_signups", 150, day=NOVEMBER_END)
    roll(NOVEMBER_END)

    body = _reader(client, network["GZ01"]).get(f"/api/v1/contests/{pk.pk}/").json()

    assert (body["figures_date"], body["ended"], body["final"]) == ("2026-11-30", True, True)
    assert (body["pairs"][0]["leader"], body["pairs"][0]["winner"]) == ("b", "b")


def test_a_level_pair_is_a_draw_once_the_contest_is_over(client, network):
    a, b = network["GZ0101"], network["GZ0102"]
    for outlet in (a, b):
        fact(outlet, "complaints", 2, day=NOVEMBER_END)
    roll(NOVEMBER_END)
    level = contest(network["GZ01"], (a, b), metrics=["complaints"])

    pair = _reader(client, network["GZ01"]).get(f"/api/v1/contests/{level.pk}/").json()["pairs"][0]

    assert (pair["leader"], pair["winner"]) == ("tie", "draw")


def test_a_token_of_a_competing_outlet_sees_its_contest(client, network, pk):
    response = _reader(client, network["GZ0102"]).get("/api/v1/contests/")
    assert [item["id"] for item in response.json()["results"]] == [pk.pk]


@pytest.mark.parametrize("code", ["SZ", "GZ02"])
def test_a_contest_outside_the_tokens_subtree_is_not_found(client, network, pk, code):
    reader = _reader(client, network[code])
    assert reader.get(f"/api/v1/contests/{pk.pk}/").status_code == 404
    assert reader.get("/api/v1/contests/").json() == {"results": []}


def test_an_unknown_contest_is_not_found(client, network, pk):
    assert _reader(client, network["HQ"]).get("/api/v1/contests/999999/").status_code == 404


def test_a_signed_in_unit_manager_reads_the_standings(client, unit_manager, pk):
    client.force_login(unit_manager)
    assert client.get(f"/api/v1/contests/{pk.pk}/").json()["pairs"][0]["leader"] == "a"


def test_without_a_token_or_a_login_the_api_refuses(client, pk):
    assert client.get("/api/v1/contests/").status_code in (401, 403)


def test_the_list_takes_the_same_number_of_queries_for_one_or_five_contests(
    client, network, pk, django_assert_max_num_queries
):
    reader = _reader(client, network["HQ"])
    with CaptureQueriesContext(connection) as one_contest:
        assert len(reader.get("/api/v1/contests/").json()["results"]) == 1
    for number in range(4):
        contest(network["GZ01"], (network["GZ0101"], network["GZ0102"]), name=f"PK {number}", metrics=["complaints"])

    with django_assert_max_num_queries(len(one_contest)):
        assert len(reader.get("/api/v1/contests/").json()["results"]) == 5


def test_the_schema_describes_both_endpoints_with_examples():
    schema = SchemaGenerator(patterns=kpi_api_urlpatterns).get_schema(request=None, public=True)

    listing = schema["paths"]["/contests/"]["get"]
    detail = schema["paths"]["/contests/{contest_id}/"]["get"]
    assert listing["operationId"] == "contests_list" and detail["operationId"] == "contests_retrieve"
    assert "pace-adjusted attainment" in detail["description"]
    example = detail["responses"]["200"]["content"]["application/json"]["examples"]["AMetricsContest"]["value"]
    assert example["pairs"][0]["metrics"][1]["direction"] == "lower"
    assert "404" in detail["responses"]
