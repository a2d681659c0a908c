"""Meetings over the REST API (meetings/api.py): tokens read with scope and masking, people write; the goals
are set all or nothing, with the row of each bad goal; action items are added and settled."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from kpi.services.rollup import rollup_range
from meetings.models import ActionItem, Goal, GoalChange, Meeting
from tests.alerts.factories import AlertFactory
from tests.meetings.conftest import D, staff_facts

pytestmark = pytest.mark.django_db
GOALS = "/api/v1/meeting-goals/"


@pytest.fixture(autouse=True)
def _today_is_d(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: D)


DAY_TEXT = D.isoformat()


def _goals(client, goals, unit="GZ0101", date=DAY_TEXT):
    return client.post(GOALS, {"unit": unit, "date": date, "goals": goals}, content_type="application/json")


def test_the_outlet_head_sets_goals_and_the_token_reads_them_with_their_actuals_once_published(
    client, outlet_head, morning_of_d, network, token_client
):
    client.force_login(outlet_head)
    response = _goals(
        client,
        [
            {"staff": "S1001", "metric": "mobile_banking_signups", "value": "3"},
            {"staff": "S1002", "metric": "mobile_banking_signups", "value": 2},
        ],
    )

    assert response.status_code == 200, response.json()
    assert [(row["staff"], row["value"], row["actual"], row["met"]) for row in response.json()] == [
        ("S1001", "3.0000", None, None),
        ("S1002", "2.0000", None, None),
    ]
    assert set(GoalChange.objects.values_list("source", flat=True)) == {"api"}

    # D's facts arrive; the morning of D + 1 rolls D up: 3 of 3 met, 1 of 2 not.
    staff_facts(network["GZ0101"], morning_of_d["S1001"], "mobile_banking_signups", {D: "3"})
    staff_facts(network["GZ0101"], morning_of_d["S1002"], "mobile_banking_signups", {D: "1"})
    rollup_range(first=D, last=D)
    reader = token_client(network["GZ01"], "read")
    rows = reader.get(GOALS, {"date": D.isoformat()}).json()["results"]

    assert [(row["staff"], row["name"], row["actual"], row["met"]) for row in rows] == [
        ("S1001", "黄*娟", "3.0000", True),
        ("S1002", "张*", "1.0000", False),
    ]


def test_one_bad_goal_answers_400_with_its_row_and_writes_nothing(client, outlet_head, morning_of_d):
    client.force_login(outlet_head)

    response = _goals(
        client,
        [
            {"staff": "S1001", "metric": "mobile_banking_signups", "value": "3"},
            {"staff": "S1002", "metric": "mobile_banking_signups", "value": "2.5"},
            {"staff": "S9999", "metric": "mobile_banking_signups", "value": "1"},
        ],
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(error["field"], error["row"]) for error in errors] == [("goals.staff", 2)]
    assert not Meeting.objects.exists()

    response = _goals(
        client,
        [
            {"staff": "S1001", "metric": "mobile_banking_signups", "value": "3"},
            {"staff": "S1002", "metric": "mobile_banking_signups", "value": "2.5"},
        ],
    )
    assert response.status_code == 400
    assert [(error["field"], error["row"]) for error in response.json()["errors"]] == [("goals", 1)]
    assert not Meeting.objects.exists() and not Goal.objects.exists()


def test_a_token_may_not_write_goals_and_is_answered_in_the_error_format(morning_of_d, network, token_client):
    writer = token_client(network["GZ0101"], "read,ingest,admin")

    response = _goals(writer, [{"staff": "S1001", "metric": "mobile_banking_signups", "value": "3"}])

    assert response.status_code == 403
    assert "signed-in person" in response.json()["errors"][0]["message"]


def test_goals_of_another_outlet_are_a_404_and_an_auditor_may_not_set_them(client, outlet_head, auditor, morning_of_d):
    client.force_login(outlet_head)
    assert (
        _goals(client, [{"staff": "S1001", "metric": "customer_visits", "value": "1"}], unit="SZ0101").status_code
        == 404
    )
    client.force_login(auditor)
    assert _goals(client, [{"staff": "S1001", "metric": "customer_visits", "value": "1"}]).status_code == 403


def test_a_staff_login_reads_its_own_goals_only(client, outlet_head, teller, morning_of_d):
    client.force_login(outlet_head)
    _goals(
        client,
        [
            {"staff": "S1001", "metric": "mobile_banking_signups", "value": "3"},
            {"staff": "S1002", "metric": "mobile_banking_signups", "value": "2"},
        ],
    )
    client.force_login(teller)

    rows = client.get(GOALS).json()["results"]

    assert [(row["staff"], row["name"]) for row in rows] == [("S1001", "黄丽娟")]
    assert client.get("/api/v1/meetings/").json()["results"] == []


def test_meetings_list_and_detail_with_scope_and_masking(client, outlet_head, morning_of_d, network, token_client):
    client.force_login(outlet_head)
    client.post(
        "/meetings/GZ0101/morning/",
        {
            "action": "save",
            "attendance-S1001": "present",
            "goal-S1001-mobile_banking_signups": "3",
            "decisions": "主推手机银行",
        },
    )
    meeting = Meeting.objects.get()

    listed = token_client(network["GZ01"], "read").get("/api/v1/meetings/", {"unit": "GZ0101"}).json()["results"]
    assert [(row["kind"], row["date"], row["held_by"], row["decisions"]) for row in listed] == [
        ("morning", "2026-11-24", "lin.xiaoyan", "主推手机银行")
    ]
    assert listed[0]["attendance"] == [{"staff": "S1001", "name": "黄*娟", "status": "present"}]
    detail = token_client(network["GZ01"], "read,personal").get(f"/api/v1/meetings/{meeting.pk}/").json()
    assert [(goal["name"], goal["value"]) for goal in detail["goals"]] == [("黄丽娟", "3.0000")]
    assert token_client(network["SZ01"], "read").get(f"/api/v1/meetings/{meeting.pk}/").status_code == 404
    assert token_client(network["SZ01"], "read").get("/api/v1/meetings/", {"unit": "GZ0101"}).status_code == 404


def test_an_action_item_is_added_read_and_settled_over_the_api(
    client, unit_manager, outlet_head, morning_of_d, network
):
    alert = AlertFactory(unit=network["GZ0101"])
    monday = (D - datetime.timedelta(days=1)).isoformat()
    client.force_login(unit_manager)
    body = {
        "unit": "GZ01",
        "week": monday,
        "text": "天河路网点高峰时段增开弹性窗口",
        "owner": "lin.xiaoyan",
        "due": "2026-11-27",
        "link_kind": "alert",
        "link_id": alert.pk,
    }

    created = client.post("/api/v1/action-items/", body, content_type="application/json")
    bad = client.post(
        "/api/v1/action-items/", {**body, "due": "2026-11-01", "owner": "nobody"}, content_type="application/json"
    )
    not_monday = client.post("/api/v1/action-items/", {**body, "week": D.isoformat()}, content_type="application/json")

    assert created.status_code == 201, created.json()
    assert (created.json()["link_kind"], created.json()["link_id"], created.json()["overdue"]) == (
        "alert",
        alert.pk,
        False,
    )
    assert (bad.status_code, [e["field"] for e in bad.json()["errors"]]) == (400, ["owner"])
    assert (not_monday.status_code, [e["field"] for e in not_monday.json()["errors"]]) == (400, ["date"])
    assert ActionItem.objects.count() == 1

    client.force_login(outlet_head)  # the owner, though the meeting is GZ01's
    listed = client.get("/api/v1/action-items/", {"owner": "lin.xiaoyan"}).json()["results"]
    assert [row["text"] for row in listed] == ["天河路网点高峰时段增开弹性窗口"]
    item_id = listed[0]["id"]
    settled = client.patch(f"/api/v1/action-items/{item_id}/", {"status": "done"}, content_type="application/json")
    assert (settled.status_code, settled.json()["status"], settled.json()["done_by"]) == (200, "done", "lin.xiaoyan")
    wrong = client.patch(f"/api/v1/action-items/{item_id}/", {"status": "finished"}, content_type="application/json")
    assert wrong.status_code == 400


def test_overdue_items_are_filtered_and_a_wrong_filter_is_a_400(
    client, unit_manager, outlet_head, morning_of_d, network
):
    meeting = Meeting.objects.create(unit=network["GZ01"], kind="weekly", date=D - datetime.timedelta(days=8))
    ActionItem.objects.create(meeting=meeting, text="逾期", owner=outlet_head, due=D - datetime.timedelta(days=1))
    ActionItem.objects.create(meeting=meeting, text="未到期", owner=outlet_head, due=D + datetime.timedelta(days=1))
    client.force_login(unit_manager)

    overdue = client.get("/api/v1/action-items/", {"overdue": "true"}).json()["results"]

    assert [row["text"] for row in overdue] == ["逾期"]
    assert client.get("/api/v1/action-items/", {"overdue": "yes"}).status_code == 400
    assert client.get("/api/v1/action-items/", {"link_id": "9" * 30}).status_code == 400
    assert Decimal(len(client.get("/api/v1/action-items/").json()["results"])) == 2
