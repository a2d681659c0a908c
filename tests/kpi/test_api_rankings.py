"""GET /api/v1/rankings/ (kpi/api/): the daily bulletin's ranking for integrations.

The figures are those of tests/kpi/ranking_data.py, produced by the real rollup: on 2026-11-15 the
Tianhe peer group GZ01-urban ranks GZ0101 110 (↑ 2), GZ0102 100 (↓ 1), GZ0103 100 (=) and GZ0104
0, vetoed (=) as 1, 2, 2, 4.
"""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from branches.models import PeerGroup
from kpi.api import urlpatterns as kpi_api_urlpatterns
from staff.api import hash_key
from staff.models import ApiToken
from tests.factories import OrgUnitFactory
from tests.kpi import ranking_data
from tests.kpi.ranking_data import VETO_REASON

URL = "/api/v1/rankings/"
ranked = ranking_data.ranked  # the fixture: scored outlets, rolled up on the 14th and 15th
shared_ranking = ranking_data.shared_ranking  # what `ranked` reads: made once for the module


def _token(unit, *, scopes: str = "read") -> str:
    key = f"key-{unit.code}-{scopes}"
    ApiToken.objects.create(
        name=f"{unit.code} {scopes}", key_hash=hash_key(key), prefix=key[:8], unit=unit, scopes=scopes
    )
    return key


@pytest.fixture
def gz01_reader(ranked, client):
    """An integration of the Tianhe sub-branch with a read token."""
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {_token(ranked['GZ01'])}"
    return client


def row(unit, score, rank, rank_of, movement, vetoed=False, reason=""):
    return {
        "unit": unit,
        "total_score": score,
        "vetoed": vetoed,
        "veto_reason": reason,
        "rank": rank,
        "rank_of": rank_of,
        "movement": movement,
        "no_data": False,
    }


def test_it_ranks_a_peer_group_with_exact_values(gz01_reader):
    response = gz01_reader.get(URL, {"group": "GZ01-urban", "date": "2026-11-15", "period": "month"})

    assert response.status_code == 200
    assert response.json() == {
        "date": "2026-11-15",
        "period": "month",
        "group": "GZ01-urban",
        # No outlet here has the habit of reporting (facts on the 14th and 15th only): none is waited for.
        "freshness": {
            "expected": 0,
            "reported": 0,
            "missing": [],
            "complete": True,
            "due_at": "2026-11-16T08:00:00+08:00",
            "final": True,
        },
        "results": [
            row("GZ0101", "110.0000", 1, 4, 2),
            row("GZ0102", "100.0000", 2, 4, -1),
            row("GZ0103", "100.0000", 2, 4, 0),
            row("GZ0104", "0.0000", 4, 4, 0, vetoed=True, reason=VETO_REASON),
        ],
    }


def test_date_defaults_to_the_latest_rolled_up_day_and_period_to_month(gz01_reader):
    body = gz01_reader.get(URL, {"group": "GZ01-urban"}).json()

    assert (body["date"], body["period"]) == ("2026-11-15", "month")
    assert [result["unit"] for result in body["results"]] == ["GZ0101", "GZ0102", "GZ0103", "GZ0104"]


def test_a_unit_code_ranks_every_outlet_under_it(gz01_reader, ranked):
    # An outlet with no figures at all: listed last, not ranked.
    OrgUnitFactory.outlet_of(ranked["GZ01"], code="GZ0109")

    body = gz01_reader.get(URL, {"group": "GZ01", "date": "2026-11-15"}).json()

    assert body["group"] == "GZ01"
    assert [(r["unit"], r["rank"], r["rank_of"], r["movement"]) for r in body["results"]] == [
        ("GZ0101", 1, 4, 2),
        ("GZ0102", 2, 4, -1),
        ("GZ0103", 2, 4, 0),
        ("GZ0104", 4, 4, 0),
        ("GZ0109", None, None, None),
    ]


def test_movement_is_null_without_a_previous_day(gz01_reader):
    results = gz01_reader.get(URL, {"group": "GZ01-urban", "date": "2026-11-14"}).json()["results"]

    assert [(r["unit"], r["total_score"], r["rank"], r["movement"]) for r in results] == [
        ("GZ0102", "102.8571", 1, None),
        ("GZ0103", "68.5714", 2, None),
        ("GZ0101", "47.1429", 3, None),
        ("GZ0104", "38.5714", 4, None),
    ]


def test_a_day_not_rolled_up_gives_no_results(gz01_reader):
    body = gz01_reader.get(URL, {"group": "GZ01-urban", "date": "2026-11-20"}).json()

    assert body == {"date": "2026-11-20", "period": "month", "group": "GZ01-urban", "freshness": None, "results": []}


def test_the_query_count_does_not_grow_with_the_outlets(gz01_reader, django_assert_max_num_queries):
    # token, last-used stamp, group, latest day, the selector's five, the day's publication time, and
    # freshness: HQ's cut-off, who reported the day and the day before
    with django_assert_max_num_queries(13):
        response = gz01_reader.get(URL, {"group": "GZ01-urban"})
    assert len(response.json()["results"]) == 4


# -- 400: what was wrong and where -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "group"),
        ({"group": ""}, "group"),
        ({"group": "GZ01-urban", "date": "2026-11-31"}, "date"),
        ({"group": "GZ01-urban", "date": "15/11/2026"}, "date"),
        ({"group": "GZ01-urban", "period": "fortnight"}, "period"),
    ],
)
def test_a_bad_query_is_a_400_that_names_the_field(gz01_reader, query, field):
    response = gz01_reader.get(URL, query)

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [error["field"] for error in errors] == [field]
    assert errors[0]["message"]


def test_each_bad_parameter_is_reported(gz01_reader):
    response = gz01_reader.get(URL, {"date": "tomorrow", "period": "decade"})

    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "field": "group",
                "message": "Give group=CODE: a peer group code, or a unit code whose outlets are ranked together.",
                "row": None,
            },
            {"field": "date", "message": "Write the business date as YYYY-MM-DD, e.g. 2026-11-24.", "row": None},
            {
                "field": "period",
                "message": "“decade” is not a period kind; use day, week, month, quarter or year.",
                "row": None,
            },
        ]
    }


# -- 404 out of scope, authentication ----------------------------------------------------------------


def test_a_token_of_another_sub_branch_gets_404(client, ranked):
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {_token(ranked['SZ01'])}"

    assert client.get(URL, {"group": "GZ01-urban"}).status_code == 404
    assert client.get(URL, {"group": "GZ01"}).status_code == 404
    assert client.get(URL, {"group": "GZ0101"}).status_code == 404
    assert client.get(URL, {"group": "NOPE"}).status_code == 404
    assert [r["unit"] for r in client.get(URL, {"group": "SZ01-urban"}).json()["results"]] == ["SZ0101"]


def test_a_token_sees_no_group_reaching_outside_its_subtree(gz01_reader, ranked):
    mixed = PeerGroup.objects.create(code="PK-2026", name_zh="PK 小组")
    mixed.members.add(ranked["GZ0101"], ranked["SZ0101"])

    assert gz01_reader.get(URL, {"group": "PK-2026"}).status_code == 404
    assert gz01_reader.get(URL, {"group": "GZ"}).status_code == 404


def test_a_token_without_the_read_scope_is_refused(client, ranked):
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {_token(ranked['GZ01'], scopes='ingest')}"

    assert client.get(URL, {"group": "GZ01-urban"}).status_code == 403


def test_an_anonymous_request_is_refused(client, ranked):
    assert client.get(URL, {"group": "GZ01-urban"}).status_code in (401, 403)


def test_a_signed_in_outlet_head_reads_her_peer_group_but_no_other(client, outlet_head, ranked):
    client.force_login(outlet_head)

    results = client.get(URL, {"group": "GZ01-urban"}).json()["results"]
    assert [r["unit"] for r in results] == ["GZ0101", "GZ0102", "GZ0103", "GZ0104"]
    assert client.get(URL, {"group": "SZ01-urban"}).status_code == 404
    assert client.get(URL, {"group": "GZ01"}).status_code == 404


# -- the schema ---------------------------------------------------------------------------------------


def test_the_schema_documents_the_query_parameters_and_an_example():
    schema = SchemaGenerator(patterns=kpi_api_urlpatterns).get_schema(request=None, public=True)

    operation = schema["paths"]["/rankings/"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert set(parameters) == {"group", "date", "period"}
    assert parameters["group"]["required"] is True
    assert set(parameters["period"]["schema"]["enum"]) == {"day", "week", "month", "quarter", "year"}
    assert parameters["date"]["schema"]["format"] == "date"
    example = operation["responses"]["200"]["content"]["application/json"]["examples"]["APeerGroup'sMonth"]
    assert example["value"]["results"][0] == row("GZ0101", "110.0000", 1, 4, 2)
    assert {"400", "404"} <= set(operation["responses"])


def test_the_first_day_there_is_has_no_day_before_and_is_no_error(gz01_reader):
    first = gz01_reader.get(URL, {"group": "GZ01", "date": "1900-01-01"})
    # 0001-01-01 is outside the supported range (issue 13): a 400 in the error format, still no 500.
    response = gz01_reader.get(URL, {"group": "GZ01", "date": "0001-01-01"})

    assert (first.status_code, first.json()["results"]) == (200, [])
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "date",
            "message": "'0001-01-01' is outside the supported range (1900-01-01 to 2100-12-31)",
            "row": None,
        }
    ]
