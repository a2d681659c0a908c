"""The outreach API: lists, their customers and contacts in scope, masked without the personal scope; a
contact recorded by a signed-in person, never a token."""

from __future__ import annotations

import pytest

from outreach.models import Contact, ListAssignment

pytestmark = pytest.mark.django_db


def test_a_token_without_the_personal_scope_reads_the_customers_masked(token_client, network, moved_down, book):
    client = token_client(network["GZ01"], "read")
    rows = client.get("/api/v1/outreach-assignments/", {"list": moved_down.pk}).json()["results"]
    assert [(row["customer"], row["staff"], row["tier"], row["aum_band"]) for row in rows] == [
        ("***OWN2", "S1002", "star3", "5–20万"),  # C-DOWN2: 150,000 元
        ("***OWN1", "S1002", "star3", "5–20万"),  # C-DOWN1: 80,000 元
    ]
    assert all("*" in row["customer_name"] and row["staff_name"] == "王*" for row in rows)


def test_a_token_with_the_personal_scope_reads_the_names(token_client, network, moved_down, book):
    client = token_client(network["GZ01"], "read,personal")
    rows = client.get("/api/v1/outreach-assignments/").json()["results"]
    assert {row["customer_name"] for row in rows} == {book["C-DOWN1"].name, book["C-DOWN2"].name}


def test_another_branchs_token_sees_no_list(token_client, network, moved_down):
    client = token_client(network["SZ"], "read,personal")
    assert client.get("/api/v1/outreach-lists/").json()["results"] == []
    assert client.get("/api/v1/outreach-assignments/").json()["results"] == []
    assert client.get("/api/v1/outreach-lists/", {"unit": "GZ0101"}).status_code == 404


def test_the_customer_manager_records_a_call_and_the_token_may_not(
    client, token_client, manager_user, network, moved_down, book
):
    row = ListAssignment.objects.get(customer=book["C-DOWN2"])
    body = {"assignment": row.pk, "outcome": "interested", "product": "理财"}
    client.force_login(manager_user)
    created = client.post("/api/v1/outreach-contacts/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert (created.json()["staff"], created.json()["outlet"], created.json()["channel"]) == ("S1002", "GZ0101", "call")
    client.logout()
    refused = token_client(network["GZ01"], "read,ingest,admin").post(
        "/api/v1/outreach-contacts/", body, content_type="application/json"
    )
    assert refused.status_code == 403
    assert Contact.objects.count() == 1


def test_a_bad_outcome_is_answered_in_the_error_format(client, manager_user, moved_down, book):
    row = ListAssignment.objects.get(customer=book["C-DOWN2"])
    client.force_login(manager_user)
    response = client.post(
        "/api/v1/outreach-contacts/", {"assignment": row.pk, "outcome": "maybe"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "outcome"


def test_someone_elses_customer_is_not_known(client, teller, moved_down, book):
    row = ListAssignment.objects.get(customer=book["C-DOWN2"])
    client.force_login(teller)
    response = client.post(
        "/api/v1/outreach-contacts/", {"assignment": row.pk, "outcome": "connected"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "assignment"
