"""The complaints register over the API: scope, masking, the people who write, and bad input."""

from __future__ import annotations

import datetime

import pytest

from complaints.models import Complaint, Validity

pytestmark = pytest.mark.django_db


@pytest.fixture
def complaint(network, teller):
    from staff.models import StaffMember

    return Complaint.objects.create(
        unit=network["GZ0101"], channel="hotline", category="attitude", received_on=datetime.date(2026, 11, 20),
        reply_due=datetime.date(2026, 11, 22), summary="态度生硬", complainant_name="陈美玲",
        complainant_phone="13812345678", staff=StaffMember.objects.get(code="S1001"),
    )  # fmt: skip


def test_a_token_without_the_personal_scope_reads_names_and_phones_masked(complaint, token_client, network):
    rows = token_client(network["GZ01"], "read").get("/api/v1/complaints/").json()["results"]

    assert [(row["complainant_name"], row["complainant_phone"], row["staff_name"]) for row in rows] == [
        ("陈*玲", "138****5678", "黄*娟")
    ]


def test_a_token_of_another_branch_sees_none_of_them(complaint, token_client, network):
    assert token_client(network["SZ"], "read,personal").get("/api/v1/complaints/").json()["results"] == []


def test_the_outlet_head_records_and_replies_and_the_unit_manager_reviews(network, outlet_head, unit_manager, client):
    client.force_login(outlet_head)
    made = client.post(
        "/api/v1/complaints/",
        {"unit": "GZ0101", "channel": "book", "category": "waiting", "received_on": "2026-11-20", "summary": "排队久"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    complaint_id = made.json()["id"]
    # 意见簿: 3 days to reply.
    assert made.json()["reply_due"] == "2026-11-23"
    assert (
        client.post(
            f"/api/v1/complaints/{complaint_id}/reply/", {"reply": "已增开窗口"}, content_type="application/json"
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"/api/v1/complaints/{complaint_id}/review/", {"validity": "valid"}, content_type="application/json"
        ).status_code
        == 403
    )

    client.force_login(unit_manager)
    reviewed = client.post(
        f"/api/v1/complaints/{complaint_id}/review/", {"validity": "valid"}, content_type="application/json"
    )

    assert reviewed.status_code == 200
    assert Complaint.objects.get(pk=complaint_id).validity == Validity.VALID


def test_bad_input_is_a_400_in_the_error_format_and_writes_nothing(network, outlet_head, client):
    client.force_login(outlet_head)

    body = {"unit": "GZ0101", "channel": "fax", "category": "waiting", "received_on": "2026-13-40", "summary": "x"}

    unknown = client.post("/api/v1/complaints/", {**body, "colour": "red"}, content_type="application/json")
    answer = client.post("/api/v1/complaints/", body, content_type="application/json")
    unknown_outlet = client.post(
        "/api/v1/complaints/", {**body, "channel": "book", "received_on": "2026-11-20", "unit": "SZ0101"},
        content_type="application/json",
    )  # fmt: skip

    assert unknown.status_code == answer.status_code == unknown_outlet.status_code == 400
    assert {error["field"] for error in unknown.json()["errors"]} == {"colour"}
    assert {error["field"] for error in answer.json()["errors"]} == {"channel", "received_on"}
    # Another branch's outlet is not known to the outlet head (its existence is not revealed).
    assert {error["field"] for error in unknown_outlet.json()["errors"]} == {"unit"}
    assert not Complaint.objects.exists()


def test_a_token_may_not_write(complaint, token_client, network):
    api = token_client(network["GZ01"], "read,ingest,admin")

    answer = api.post(f"/api/v1/complaints/{complaint.pk}/reply/", {"reply": "x"}, content_type="application/json")

    assert answer.status_code == 403
    complaint.refresh_from_db()
    assert complaint.reply == ""
