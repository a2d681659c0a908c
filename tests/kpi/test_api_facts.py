"""POST /api/v1/facts/: the ingest API in front of facts_ingest."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from kpi.api import facts as kpi_api
from kpi.models import Fact, IngestBatch, MonthClose
from staff.services import api_token_create, api_token_revoke

URL = "/api/v1/facts/"

# The Tianhe Road outlet's Tuesday and the teller 黄丽娟's mobile-banking sign-ups.
GOOD_BATCH = {
    "facts": [
        {"date": "2026-11-24", "unit": "GZ0101", "staff": None, "metric": "customers_served", "value": "120"},
        {"date": "2026-11-24", "unit": "GZ0101", "staff": None, "metric": "deposit_balance", "value": 5234.56},
        {"date": "2026-11-24", "unit": "GZ0101", "staff": "S1001", "metric": "mobile_banking_signups", "value": 3},
    ],
    "label": "core-banking T+1",
}


@pytest.fixture(autouse=True)
def _no_rollup():
    """The rollup has tests of its own; here it is enough that it would be queued."""
    with mock.patch("kpi.services.facts.rollup_pending"):
        yield


def _client(key: str | None = None) -> APIClient:
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _token(network, *, unit: str = "GZ01", scopes: str = "read,ingest", name: str = "tianhe-queueing") -> str:
    _token, key = api_token_create(name=name, unit=network[unit], scopes=scopes)
    return key


def _post(client: APIClient, body) -> tuple[int, dict]:
    response = client.post(URL, body, format="json")
    return response.status_code, response.json()


# -- who may push ------------------------------------------------------------------------------------


def test_a_token_with_the_ingest_scope_pushes_a_batch(teller, network):
    status, answer = _post(_client(_token(network)), GOOD_BATCH)

    assert status == 201
    batch = IngestBatch.objects.get()
    assert answer == {"batch": batch.pk, "created": 3, "updated": 0, "unchanged": 0}
    assert (batch.source, batch.token_name, batch.label) == ("api", "tianhe-queueing", "core-banking T+1")
    assert Fact.objects.get(metric__code="deposit_balance").value == Decimal("5234.56")


def test_the_same_batch_again_is_unchanged_and_a_correction_is_an_update(teller, network):
    client = _client(_token(network))
    _post(client, GOOD_BATCH)

    _status, again = _post(client, GOOD_BATCH)
    corrected = {"facts": [{**GOOD_BATCH["facts"][0], "value": "125"}]}
    _status, correction = _post(client, corrected)

    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert (correction["created"], correction["updated"], correction["unchanged"]) == (0, 1, 0)


def test_a_read_only_token_is_refused(teller, network):
    status, _answer = _post(_client(_token(network, scopes="read")), GOOD_BATCH)

    assert status == 403
    assert Fact.objects.count() == 0


def test_a_request_without_a_token_is_refused(teller):
    status, _answer = _post(_client(), GOOD_BATCH)

    assert status == 401


def test_a_revoked_token_is_refused(teller, network):
    key = _token(network)
    api_token_revoke(name="tianhe-queueing")

    status, _answer = _post(_client(key), GOOD_BATCH)

    assert status == 401


def test_an_hq_administrator_may_push_from_a_session(teller, hq_admin):
    client = APIClient()
    client.force_login(hq_admin)

    status, answer = _post(client, GOOD_BATCH)

    assert status == 201
    assert answer["created"] == 3
    assert IngestBatch.objects.get().created_by == hq_admin


@pytest.mark.parametrize("persona", ["unit_manager", "outlet_head", "auditor", "outsider"])
def test_other_logged_in_users_may_not_push(persona, teller, request):
    client = APIClient()
    client.force_login(request.getfixturevalue(persona))

    status, _answer = _post(client, GOOD_BATCH)

    assert status == 403


def test_a_unit_outside_the_tokens_subtree_is_reported_as_unknown(teller, network):
    # The Tianhe sub-branch's token may feed GZ0101 and GZ0102, not Shenzhen's outlet SZ0101, and is not
    # told that SZ0101 exists: the same words as for a code nobody knows.
    body = {
        "facts": [
            {"date": "2026-11-24", "unit": "GZ0102", "staff": None, "metric": "customers_served", "value": "80"},
            {"date": "2026-11-24", "unit": "SZ0101", "staff": None, "metric": "customers_served", "value": "95"},
            {"date": "2026-11-24", "unit": "ZZ9999", "staff": None, "metric": "customers_served", "value": "95"},
        ]
    }

    status, answer = _post(_client(_token(network)), body)

    assert status == 400
    assert answer == {
        "errors": [
            {"row": 1, "field": "unit", "message": "unit 'SZ0101' is not known"},
            {"row": 2, "field": "unit", "message": "unit 'ZZ9999' is not known"},
        ]
    }
    assert Fact.objects.count() == 0


# -- bad batches -------------------------------------------------------------------------------------


def test_bad_facts_are_listed_by_their_index_in_the_batch(teller, network):
    body = {
        "facts": [
            {"date": "2026-11-24", "unit": "GZ0101", "staff": None, "metric": "customers_served", "value": "120"},
            {"date": "2026-11-24", "unit": "GZ0101", "metric": "npl_ratio", "value": "1.2"},
            {"date": "2026-11-24", "unit": "GZ0101", "staff": None, "metric": "customers_served", "value": "121"},
        ]
    }

    status, answer = _post(_client(_token(network)), body)

    assert status == 400
    assert answer == {
        "errors": [
            {
                "row": 1,
                "field": "metric",
                "message": "'npl_ratio' is a ratio metric; it is computed: send its parts (npl_balance and "
                "loan_balance) instead",
            },
            {"row": 2, "field": "metric", "message": "the same fact (date, unit, staff, metric) is already on row 0"},
        ]
    }


def _post_raw(client: APIClient, body: str) -> tuple[int, dict]:
    """The body as written: JSON numbers such as 1E3 reach the server as they were typed."""
    response = client.post(URL, data=body, content_type="application/json")
    return response.status_code, response.json()


def _fact_json(value: str, *, day: str = "2026-11-24", unit: str = "GZ0101", metric: str = "customers_served") -> str:
    return f'{{"date": "{day}", "unit": "{unit}", "staff": null, "metric": "{metric}", "value": {value}}}'


def test_a_json_number_follows_the_imports_grammar_as_it_was_written(teller, network):
    # 1E3 is the float 1000.0 to a JSON parser, and NaN and Infinity are no JSON at all: each is refused
    # with its row, as the CSV import refuses it.
    facts = [_fact_json(value) for value in ("1E3", "NaN", "-Infinity", '"1e3"', '"١٢"')]

    status, answer = _post_raw(_client(_token(network)), '{"facts": [' + ", ".join(facts) + "]}")

    assert status == 400
    assert answer["errors"] == [
        {"row": row, "field": "value", "message": f"'{text}' is not a number (expected digits such as 123.45)"}
        for row, text in enumerate(["1E3", "NaN", "-Infinity", "1e3", "١٢"])
    ]
    assert not Fact.objects.exists()


def test_json_numbers_and_numeric_strings_in_the_grammar_are_taken(teller, network):
    facts = [
        _fact_json("120"),
        _fact_json("5234.56", metric="deposit_balance"),
        _fact_json('"2.50"', metric="wait_minutes_total"),
        _fact_json('"１２０"', unit="GZ0102"),
        _fact_json('"1,234.5"', unit="GZ0102", metric="deposit_balance"),
    ]

    status, answer = _post_raw(_client(_token(network)), '{"facts": [' + ", ".join(facts) + "]}")

    assert (status, answer["created"]) == (201, 5)
    assert sorted(Fact.objects.values_list("unit__code", "metric__code", "value")) == [
        ("GZ0101", "customers_served", Decimal("120")),
        ("GZ0101", "deposit_balance", Decimal("5234.56")),
        ("GZ0101", "wait_minutes_total", Decimal("2.5")),
        ("GZ0102", "customers_served", Decimal("120")),
        ("GZ0102", "deposit_balance", Decimal("1234.5")),
    ]


def test_a_count_must_be_whole_and_a_fact_dated_when_its_outlet_was_open_and_not_ahead(teller, network):
    network["GZ0102"].closed_on = datetime.date(2026, 11, 20)
    network["GZ0102"].save()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    body = {
        "facts": [
            {"date": "2026-11-24", "unit": "GZ0101", "metric": "customers_served", "value": 12.5},
            {"date": "2026-11-24", "unit": "GZ0102", "metric": "customers_served", "value": "12"},
            {"date": tomorrow.isoformat(), "unit": "GZ0101", "metric": "customers_served", "value": "12"},
            {"date": "0001-01-01", "unit": "GZ0101", "metric": "customers_served", "value": "12"},
        ]
    }

    status, answer = _post(_client(_token(network)), body)

    assert status == 400
    assert answer["errors"] == [
        {"row": 0, "field": "value", "message": "'12.5' is not a whole number; 'customers_served' counts 人"},
        {
            "row": 1,
            "field": "date",
            "message": "2026-11-24 is after outlet 'GZ0102' closed (2026-11-20); its facts are taken to 2026-11-20",
        },
        {
            "row": 2,
            "field": "date",
            "message": f"{tomorrow} is in the future; facts are taken up to {timezone.localdate()} (today)",
        },
        {
            "row": 3,
            "field": "date",
            "message": "'0001-01-01' is outside the supported range (1900-01-01 to 2100-12-31)",
        },
    ]


def test_a_late_fact_for_a_closed_month_is_a_400_naming_the_close(teller, network):
    MonthClose.objects.create(month=datetime.date(2026, 10, 1), is_closed=True)
    body = {
        "facts": [
            {"date": "2026-11-02", "unit": "GZ0101", "metric": "customers_served", "value": "80"},
            {"date": "2026-10-20", "unit": "GZ0101", "metric": "customers_served", "value": "30"},
        ]
    }

    status, answer = _post(_client(_token(network)), body)

    assert status == 400
    ((row, field, message),) = [(error["row"], error["field"], error["message"]) for error in answer["errors"]]
    assert (row, field) == (1, "date")
    assert message.startswith("month 2026-10 was closed (月结) on ")
    assert message.endswith(
        "its figures are frozen, so no fact of GZ0101 on 2026-10-20 may be added or changed; HQ reopens the month "
        "in the admin (Month closes) to correct it"
    )
    assert not Fact.objects.exists()


def test_malformed_json_is_answered_in_the_error_format(teller, network):
    response = _client(_token(network)).post(URL, data='{"facts": [', content_type="application/json")

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["row"] is None
    assert error["message"].startswith("the body is not valid JSON")


def test_a_body_that_is_not_json_is_answered_in_the_error_format(teller, network):
    response = _client(_token(network)).post(URL, data="date,unit\n", content_type="text/csv")

    assert response.status_code == 415
    assert response.json() == {
        "errors": [
            {"row": None, "field": "", "message": "send the body as JSON, with 'Content-Type: application/json'"}
        ]
    }


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ([], [{"row": None, "field": "", "message": 'the body must be a JSON object: {"facts": [...]}'}]),
        ({}, [{"row": None, "field": "facts", "message": "is required (a list of facts)"}]),
        ({"facts": {"date": "2026-11-24"}}, [{"row": None, "field": "facts", "message": "must be a list of facts"}]),
        (
            {"facts": [], "source": "core"},
            [
                {
                    "row": None,
                    "field": "source",
                    "message": "unknown field (the body has 'facts' and optionally 'label')",
                }
            ],
        ),
        (
            {"facts": ["2026-11-24,GZ0101,,customers_served,120"]},
            [
                {
                    "row": 0,
                    "field": "",
                    "message": "each fact must be an object with date, unit, staff, metric and value",
                }
            ],
        ),
        (
            {"facts": [{"date": "2026-11-24", "unit": "GZ0101", "metric": "customers_served", "value": 1, "qty": 1}]},
            [
                {
                    "row": 0,
                    "field": "qty",
                    "message": "unknown field (a fact has date, unit, staff, metric, value and optionally partner)",
                }
            ],
        ),
        (
            {"facts": [{"date": 20261124, "unit": "GZ0101", "metric": "customers_served", "value": True}]},
            [
                {"row": 0, "field": "date", "message": "must be a string"},
                {"row": 0, "field": "value", "message": 'must be a number, best written as a string such as "123.45"'},
            ],
        ),
    ],
)
def test_a_body_of_the_wrong_shape_is_a_400_never_a_500(body, errors, teller, network):
    status, answer = _post(_client(_token(network)), body)

    assert status == 400
    assert answer == {"errors": errors}


def test_a_batch_over_the_limit_is_refused_before_anything_is_checked(teller, network, monkeypatch):
    monkeypatch.setattr(kpi_api, "MAX_FACTS_PER_REQUEST", 2)

    status, answer = _post(_client(_token(network)), GOOD_BATCH)

    assert status == 400
    assert answer == {
        "errors": [
            {
                "row": None,
                "field": "facts",
                "message": "at most 2 facts per request (this one has 3); send the rest in another",
            }
        ]
    }
    assert IngestBatch.objects.count() == 0


def test_fifty_thousand_and_one_facts_are_refused(teller, network):
    fact = {"date": "2026-11-24", "unit": "GZ0101", "staff": None, "metric": "customers_served", "value": "1"}
    body = json.dumps({"facts": [fact] * 50_001})

    response = _client(_token(network)).post(URL, data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith("at most 50000 facts per request (this one has 50001)")


def test_a_very_long_list_of_errors_is_cut_short(teller, network, monkeypatch):
    monkeypatch.setattr(kpi_api, "MAX_ERRORS", 2)
    facts = [
        {"date": "2026-11-24", "unit": f"ZZ{number}", "staff": None, "metric": "customers_served", "value": "1"}
        for number in range(5)
    ]

    status, answer = _post(_client(_token(network)), {"facts": facts})

    assert status == 400
    assert answer["errors"] == [
        {"row": 0, "field": "unit", "message": "unit 'ZZ0' is not known"},
        {"row": 1, "field": "unit", "message": "unit 'ZZ1' is not known"},
        {"row": None, "field": "facts", "message": "… and 3 more problem(s) not listed"},
    ]


def test_a_staff_fact_outside_the_assignment_dates_is_refused(teller, network):
    body = {
        "facts": [
            {"date": "2025-12-31", "unit": "GZ0101", "staff": "S1001", "metric": "mobile_banking_signups", "value": "1"}
        ]
    }

    status, answer = _post(_client(_token(network)), body)

    assert status == 400
    assert answer["errors"] == [
        {"row": 0, "field": "staff", "message": "staff member 'S1001' is not assigned to GZ0101 on 2025-12-31"}
    ]
    assert datetime.date(2025, 12, 31) < teller.staff_member.assignments.get().start


# -- the schema --------------------------------------------------------------------------------------


def test_the_schema_describes_the_facts_endpoint(hq_admin):
    client = APIClient()
    client.force_login(hq_admin)

    response = client.get("/api/v1/schema/?format=json")

    assert response.status_code == 200
    operation = json.loads(response.content)["paths"]["/api/v1/facts/"]["post"]
    assert operation["operationId"] == "facts_ingest"
    assert set(operation["responses"]) >= {"201", "400", "401", "403"}


def test_a_body_over_the_byte_limit_is_refused_unread(teller, network, monkeypatch):
    monkeypatch.setattr(kpi_api, "MAX_BODY_BYTES", 100)

    status, answer = _post(_client(_token(network)), GOOD_BATCH)

    assert status == 413
    assert answer["errors"][0]["message"].startswith("the body is larger than")


def test_a_batch_larger_than_djangos_upload_limit_is_accepted(teller, network, settings):
    # Django refuses request bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB by default); the facts
    # endpoint reads its JSON itself, so a day of a large network fits in one request.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    facts = [
        {"date": f"2026-11-{day:02d}", "unit": outlet, "staff": None, "metric": "customers_served", "value": "50"}
        for day in range(1, 31)
        for outlet in ("GZ0101", "GZ0102", "GZ0201", "SZ0101")
    ]

    status, answer = _post(_client(_token(network, unit="HQ")), {"facts": facts})

    assert status == 201
    assert answer["created"] == 120


# -- GET: the stored facts ---------------------------------------------------------------------------


@pytest.fixture
def stored(network, teller):
    """Three facts at GZ0101 (one the teller's), one at GZ0201, one at SZ0101."""
    from tests.kpi.factories import FactFactory

    return [
        FactFactory(unit=network["GZ0101"], metric="customers_served", date=datetime.date(2026, 11, 23), value=110),
        FactFactory(unit=network["GZ0101"], metric="customers_served", date=datetime.date(2026, 11, 24), value=120),
        FactFactory(
            unit=network["GZ0101"],
            staff=teller.staff_member,
            metric="mobile_banking_signups",
            date=datetime.date(2026, 11, 24),
            value=3,
        ),
        FactFactory(unit=network["GZ0201"], metric="customers_served", date=datetime.date(2026, 11, 24), value=40),
        FactFactory(unit=network["SZ0101"], metric="customers_served", date=datetime.date(2026, 11, 24), value=90),
    ]


def _listed(client, **query) -> list[tuple]:
    body = client.get("/api/v1/facts/", query).json()
    return [(row["unit"], row["staff"], row["metric"], row["date"], row["value"]) for row in body["results"]]


def test_a_token_lists_the_facts_of_its_subtree_only(token_client, network, stored):
    client = token_client(network["GZ01"])

    assert _listed(client) == [
        ("GZ0101", None, "customers_served", "2026-11-23", "110.0000"),
        ("GZ0101", None, "customers_served", "2026-11-24", "120.0000"),
        ("GZ0101", "S1001", "mobile_banking_signups", "2026-11-24", "3.0000"),
    ]


def test_facts_filter_by_date_range_unit_staff_metric_and_holder(token_client, network, stored):
    client = token_client(network["GZ"])

    assert [row[4] for row in _listed(client, date_from="2026-11-24", date_to="2026-11-24", holder="unit")] == [
        "120.0000",
        "40.0000",
    ]
    assert [row[4] for row in _listed(client, under="GZ02")] == ["40.0000"]
    assert [row[4] for row in _listed(client, staff="S1001")] == ["3.0000"]
    assert [row[4] for row in _listed(client, metric="mobile_banking_signups")] == ["3.0000"]
    assert [row[4] for row in _listed(client, unit="GZ0101", date_to="2026-11-23")] == ["110.0000"]


def test_the_batch_filter_lists_the_facts_each_batch_last_wrote(teller, network):
    client = _client(_token(network))
    _status, first = _post(client, GOOD_BATCH)  # 24 November: 120 served, 5234.56, the teller's 3
    corrected = {
        "facts": [
            {**GOOD_BATCH["facts"][0], "value": "125"},  # corrects the 120: now the second batch's
            {**GOOD_BATCH["facts"][0], "date": "2026-11-25", "value": "118"},
            GOOD_BATCH["facts"][1],  # sent again unchanged: stays the first batch's
        ]
    }
    _status, second = _post(client, corrected)

    assert [row[3:] for row in _listed(client, batch=first["batch"])] == [
        ("2026-11-24", "5234.5600"),
        ("2026-11-24", "3.0000"),
    ]
    assert [row[3:] for row in _listed(client, batch=second["batch"])] == [
        ("2026-11-24", "125.0000"),
        ("2026-11-25", "118.0000"),
    ]
    assert _listed(client, batch=second["batch"] + 1) == []


def test_a_unit_outside_the_subtree_is_404_and_a_bad_date_400(token_client, network, stored):
    client = token_client(network["GZ01"])

    assert client.get("/api/v1/facts/", {"unit": "SZ0101"}).status_code == 404
    bad = client.get("/api/v1/facts/", {"date_from": "yesterday"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "date_from"


def test_pages_follow_the_cursor(token_client, network, stored):
    client = token_client(network["HQ"])

    first = client.get("/api/v1/facts/", {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()

    values = [row["value"] for page in (first, second, third) for row in page["results"]]
    assert values == ["110.0000", "120.0000", "3.0000", "40.0000", "90.0000"]
    assert third["next"] is None


@pytest.mark.parametrize("page_size", [1, 5])
def test_the_query_count_does_not_grow_with_the_page(
    token_client, network, stored, page_size, django_assert_num_queries
):
    client = token_client(network["HQ"])
    # token, last-used stamp, the page (with unit, staff and metric joined)
    with django_assert_num_queries(3):
        assert len(client.get("/api/v1/facts/", {"page_size": page_size}).json()["results"]) == page_size


def test_a_nul_byte_in_a_fact_is_a_400_naming_the_fact_and_the_field(teller, network):
    batch = {"facts": [GOOD_BATCH["facts"][0], {**GOOD_BATCH["facts"][1], "unit": "GZ0101\x00"}], "label": "\x00"}

    status, answer = _post(_client(_token(network)), batch)

    # PostgreSQL refuses a NUL byte in a query: it answered 500 there.
    assert status == 400
    assert answer["errors"] == [
        {"row": None, "field": "label", "message": "must not contain a NUL character (\\u0000)"},
        {"row": 1, "field": "unit", "message": "must not contain a NUL character (\\u0000)"},
    ]
    assert not Fact.objects.exists()
