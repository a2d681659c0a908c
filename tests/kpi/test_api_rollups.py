"""/api/v1/rollups/ (kpi/api/rollups.py): queue the rollup of a day, follow its state and progress."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from kpi.models import MonthClose, RollupDay, RollupRun
from kpi.tasks import rollup_run
from tests.kpi.factories import FactFactory

URL = "/api/v1/rollups/"


@pytest.fixture
def admin_client(token_client, network):
    return token_client(network["HQ"], "read,admin")


def test_posting_a_day_answers_202_with_the_run_then_the_run_publishes_it(
    admin_client, network, django_capture_on_commit_callbacks
):
    FactFactory(unit=network["GZ0101"], metric="customers_served", date=datetime.date(2026, 11, 24), value=120)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(URL, {"date": "2026-11-24"}, content_type="application/json")

    assert response.status_code == 202
    queued = response.json()
    assert (queued["date"], queued["status"], queued["progress"]) == ("2026-11-24", "queued", 0)
    # Tasks run eagerly in tests: by now the run has been carried out.
    state = admin_client.get(f"{URL}{queued['id']}/").json()
    assert (state["status"], state["progress"], state["message"]) == ("published", 100, "2026-11-24: published")
    assert state["scorecards"] > 0
    assert RollupDay.objects.get(date=datetime.date(2026, 11, 24)).published_run_id == queued["id"]


def test_the_task_leaves_a_run_that_is_no_longer_queued_alone(network):
    run = RollupRun.objects.create(date=datetime.date(2026, 11, 24), status=RollupRun.Status.PUBLISHED)

    assert rollup_run(run.pk) == "not queued"
    assert RollupRun.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "This field is required."),
        ({"date": "24.11.2026"}, "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."),
        ({"date": "2026-11-24", "when": "now"}, None),
    ],
)
def test_a_bad_request_is_a_400_and_queues_nothing(admin_client, body, message):
    response = admin_client.post(URL, body, content_type="application/json")

    assert response.status_code == 400
    if message:
        assert response.json()["errors"] == [{"field": "date", "message": message, "row": None}]
    else:
        assert response.json()["errors"][0]["field"] == "when"
    assert not RollupRun.objects.exists()


def test_today_is_not_over_yet(admin_client):
    today = timezone.localdate()

    response = admin_client.post(URL, {"date": today.isoformat()}, content_type="application/json")

    assert response.json()["errors"] == [
        {
            "field": "date",
            "message": f"{today} has not ended yet; a business day is rolled up once it is over",
            "row": None,
        }
    ]


def test_a_closed_month_is_refused(admin_client):
    MonthClose.objects.create(month=datetime.date(2026, 10, 1), is_closed=True)

    response = admin_client.post(URL, {"date": "2026-10-15"}, content_type="application/json")

    assert response.json()["errors"][0]["message"] == (
        "month 2026-10 is closed (月结); reopen it in the admin to roll it up again"
    )


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("0001-01-01", "'0001-01-01' is outside the supported range (1900-01-01 to 2100-12-31)"),
        (
            "2026-11-23",
            "2026-11-23 is before the facts begin (the first fact is of 2026-11-24); there is nothing to roll up",
        ),
    ],
)
def test_a_day_before_the_first_fact_is_refused_and_queues_nothing(admin_client, network, day, message):
    FactFactory(unit=network["GZ0101"], metric="customers_served", date=datetime.date(2026, 11, 24), value=120)

    response = admin_client.post(URL, {"date": day}, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "date", "message": message, "row": None}]
    assert not RollupRun.objects.exists()


def test_before_any_fact_there_is_nothing_to_roll_up(admin_client):
    response = admin_client.post(URL, {"date": "2026-11-24"}, content_type="application/json")

    assert response.json()["errors"] == [
        {
            "field": "date",
            "message": "2026-11-24 is before the facts begin (no fact has been received yet); there is nothing to "
            "roll up",
            "row": None,
        }
    ]


def test_a_read_token_may_follow_runs_but_not_start_them(token_client, network):
    run = RollupRun.objects.create(date=datetime.date(2026, 11, 23), status=RollupRun.Status.FAILED, message="boom")
    client = token_client(network["GZ01"], "read")

    assert client.post(URL, {"date": "2026-11-24"}, content_type="application/json").status_code == 403
    assert client.get(f"{URL}{run.pk}/").json()["message"] == "boom"
    assert [row["id"] for row in client.get(URL, {"status": "failed"}).json()["results"]] == [run.pk]


def test_the_list_is_newest_first(admin_client):
    older = RollupRun.objects.create(date=datetime.date(2026, 11, 22))
    newer = RollupRun.objects.create(date=datetime.date(2026, 11, 23))

    assert [row["id"] for row in admin_client.get(URL).json()["results"]] == [newer.pk, older.pk]


def test_an_unknown_run_is_404_in_the_error_format(admin_client):
    response = admin_client.get(f"{URL}999999/")

    assert response.status_code == 404
    assert response.json() == {
        "errors": [{"field": "", "message": "No RollupRun matches the given query.", "row": None}]
    }


def test_a_day_before_the_first_day_the_rollup_computes_is_refused(admin_client, settings, network):
    settings.ROLLUP_FIRST_DATE = "2000-01-01"
    # A fact of the day before the first business day (say an old import): the rollup still starts there.
    FactFactory(unit=network["GZ0101"], metric="customers_served", date=datetime.date(1999, 12, 30), value=1)

    response = admin_client.post(URL, {"date": "1999-12-31"}, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "date",
            "message": "1999-12-31 is before 2000-01-01, the first business day the rollup computes",
            "row": None,
        }
    ]
    assert not RollupRun.objects.exists()


@pytest.mark.parametrize("unit", ["GZ0101", "GZ01", "GZ"])
def test_an_admin_token_of_an_outlet_or_a_branch_cannot_start_a_network_wide_rollup(token_client, network, unit):
    # A rollup recomputes every outlet of the network: a token of GZ0101 (or of the sub-branch, or the
    # branch above it) with the admin scope is refused, in the API's error format, and queues nothing.
    client = token_client(network[unit], "read,admin")

    response = client.post(URL, {"date": "2026-11-24"}, content_type="application/json")

    assert response.status_code == 403
    assert response.json() == {
        "errors": [
            {
                "field": "",
                "message": "Only HQ administrators and head-office tokens with the admin scope may start a rollup: "
                "it recomputes the whole network.",
                "row": None,
            }
        ]
    }
    assert not RollupRun.objects.exists()


def test_an_ingest_token_of_the_head_office_without_the_admin_scope_cannot_start_a_rollup(token_client, network):
    client = token_client(network["HQ"], "read,ingest")

    assert client.post(URL, {"date": "2026-11-24"}, content_type="application/json").status_code == 403
    assert not RollupRun.objects.exists()


# Marked, though its personas bring the database: pytest-django runs the tests it cannot tell use the
# database after the transactional ones, whose flush empties the metric catalog the rollup reads.
@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "status"), [("hq_admin", 202), ("unit_manager", 403), ("auditor", 403)])
def test_of_the_signed_in_only_the_hq_administrator_starts_a_rollup(client, request, persona, status, network):
    FactFactory(unit=network["GZ0101"], metric="customers_served", date=datetime.date(2026, 11, 24), value=120)
    client.force_login(request.getfixturevalue(persona))

    assert client.post(URL, {"date": "2026-11-24"}, content_type="application/json").status_code == status
