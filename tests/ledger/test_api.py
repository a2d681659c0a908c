"""The ledger's API (ledger/api.py): items, entries in scope with masking, recording, deciding in a batch."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kpi.models import Fact, MonthClose
from ledger.models import EntryStatus, LedgerEntry
from ledger.services import Action, entries_decide, entry_create
from tests.factories import UserFactory
from tests.ledger.conftest import JPEG, scope_of
from tests.ledger.factories import card_item, discipline_item, leaflet_item

pytestmark = pytest.mark.django_db


def _record(user, item, day, quantity, **kwargs) -> LedgerEntry:
    return entry_create(scope=scope_of(user), user=user, item=item, day=day, quantity=quantity, **kwargs)


def test_the_items_list_gives_each_items_points_with_their_sign(client, teller, ledger_metric):
    card_item()
    discipline_item()
    client.force_login(teller)
    response = client.get("/api/v1/ledger-items/")
    assert response.status_code == 200
    items = {row["code"]: row for row in response.json()["results"]}
    assert items["credit_card"]["signed_points_per_unit"] == "2.50"
    assert items["discipline"]["signed_points_per_unit"] == "-5.00"
    assert items["credit_card"]["metric"] == "ledger_points"
    assert client.get("/api/v1/ledger-items/", {"kind": "deduction"}).json()["results"][0]["code"] == "discipline"
    assert client.get("/api/v1/ledger-items/", {"kind": "x"}).json()["errors"][0]["field"] == "kind"


def test_a_teller_records_an_entry_over_the_api(client, teller, ledger_metric, yesterday):
    card_item()
    client.force_login(teller)
    response = client.post(
        "/api/v1/ledger-entries/",
        {"item": "credit_card", "day": yesterday.isoformat(), "quantity": 3, "customer_code": "C0001024"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    # 3 × 2.5 = 7.5 points, waiting; her own name and customer number unmasked to herself.
    assert (body["points"], body["status"], body["staff"], body["customer_code"]) == (
        "7.5000",
        "pending",
        "S1001",
        "C0001024",
    )


def test_a_photo_comes_as_multipart_form_data(client, teller, ledger_metric, today):
    leaflet_item()
    client.force_login(teller)
    response = client.post(
        "/api/v1/ledger-entries/",
        {
            "item": "leaflets",
            "day": today.isoformat(),
            "quantity": "20",
            "photo": SimpleUploadedFile("p.jpg", JPEG, content_type="image/jpeg"),
        },
    )
    assert response.status_code == 201, response.json()
    # 20 × 0.1 = 2 points, counted at once.
    assert (response.json()["points"], response.json()["status"], response.json()["has_photo"]) == (
        "2.0000",
        "approved",
        True,
    )


def test_a_refused_entry_answers_every_problem_in_the_error_format_and_writes_nothing(
    client, teller, ledger_metric, yesterday
):
    card_item()
    MonthClose.objects.create(month=yesterday.replace(day=1))
    client.force_login(teller)
    response = client.post(
        "/api/v1/ledger-entries/",
        {"item": "credit_card", "day": yesterday.isoformat(), "quantity": 1},
        content_type="application/json",
    )
    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"day", "customer_code"}
    assert not LedgerEntry.objects.exists()
    bad = client.post(
        "/api/v1/ledger-entries/",
        {"item": "nope", "day": "x", "quantity": 0, "valeu": 1},
        content_type="application/json",
    )
    assert bad.status_code == 400 and {e["field"] for e in bad.json()["errors"]} >= {"valeu"}


def test_a_token_may_not_record_an_entry(token_client, network, ledger_metric, yesterday):
    card_item()
    api = token_client(network["HQ"], "read,ingest,admin")
    response = api.post(
        "/api/v1/ledger-entries/",
        {"item": "credit_card", "day": yesterday.isoformat(), "quantity": 1, "customer_code": "C1"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "errors" in response.json()


def test_the_outlet_head_approves_a_batch_and_the_fact_follows(
    client, teller, outlet_head, teller_staff, ledger_metric, yesterday
):
    first = _record(teller, card_item(), yesterday, 2, customer_code="C1")
    second = _record(teller, card_item(), yesterday, 2, customer_code="C2")
    client.force_login(outlet_head)
    response = client.post(
        "/api/v1/ledger-entries/decide/",
        {"entries": [first.pk, second.pk], "action": "approve"},
        content_type="application/json",
    )
    assert response.json() == {"action": "approve", "entries": 2, "facts_changed": 1}
    # (2 + 2) × 2.5 = 10 points.
    assert Fact.objects.get(staff=teller_staff, date=yesterday, metric=ledger_metric).value == Decimal(10)


def test_a_token_with_the_admin_scope_decides_inside_its_subtree_only(
    token_client, teller, network, ledger_metric, yesterday
):
    entry = _record(teller, card_item(), yesterday, 1, customer_code="C1")
    body = {"entries": [entry.pk], "action": "reject", "reason": "客户号有误"}

    outside = token_client(network["SZ"], "read,admin")
    assert outside.post("/api/v1/ledger-entries/decide/", body, content_type="application/json").status_code == 400
    reader = token_client(network["GZ01"], "read")
    assert reader.post("/api/v1/ledger-entries/decide/", body, content_type="application/json").status_code == 403
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PENDING

    inside = token_client(network["GZ01"], "read,admin")
    assert inside.post("/api/v1/ledger-entries/decide/", body, content_type="application/json").status_code == 200
    entry.refresh_from_db()
    assert (entry.status, entry.rejection_reason) == (EntryStatus.REJECTED, "客户号有误")
    assert entry.changes.last().token_name.startswith("GZ01")


def test_staff_and_auditors_may_not_decide(client, teller, auditor, ledger_metric, yesterday):
    entry = _record(teller, card_item(), yesterday, 1, customer_code="C1")
    for user in (teller, auditor):
        client.force_login(user)
        response = client.post(
            "/api/v1/ledger-entries/decide/",
            {"entries": [entry.pk], "action": "approve"},
            content_type="application/json",
        )
        assert response.status_code == 403


def test_entries_are_listed_in_scope_with_names_and_customer_numbers_masked_without_the_personal_scope(
    token_client, teller, network, ledger_metric, yesterday
):
    _record(teller, card_item(), yesterday, 1, customer_code="C0001024")

    masked = token_client(network["GZ01"], "read").get("/api/v1/ledger-entries/").json()["results"]
    assert [(row["staff_name"], row["customer_code"]) for row in masked] == [("黄*娟", "****1024")]
    personal = token_client(network["GZ01"], "read,personal").get("/api/v1/ledger-entries/").json()["results"]
    assert [(row["staff_name"], row["customer_code"]) for row in personal] == [("黄丽娟", "C0001024")]
    assert token_client(network["SZ"], "read").get("/api/v1/ledger-entries/").json()["results"] == []
    assert token_client(network["SZ"], "read").get("/api/v1/ledger-entries/", {"unit": "GZ0101"}).status_code == 404


def test_entries_filter_by_staff_status_and_days(client, outlet_head, teller, ledger_metric, today, yesterday):
    _record(teller, card_item(), yesterday, 1, customer_code="C1")
    _record(teller, card_item(), today, 1, customer_code="C2")
    client.force_login(outlet_head)
    rows = client.get(
        "/api/v1/ledger-entries/", {"staff": "S1001", "status": "pending", "since": today.isoformat()}
    ).json()["results"]
    assert [row["customer_code"] for row in rows] == ["C2"]


def test_a_partner_of_another_outlet_is_not_known_to_the_api(client, teller, neighbour, ledger_metric, yesterday):
    card_item()
    client.force_login(teller)
    response = client.post(
        "/api/v1/ledger-entries/",
        {"item": "credit_card", "day": yesterday.isoformat(), "quantity": 1, "customer_code": "C1", "partner": "S2001"},
        content_type="application/json",
    )
    # Not "works at another outlet", and never 刘洋's name: the code is simply not known here.
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "partner", "message": "staff member 'S2001' is not known", "row": None}
    ]


def _withdraw(api, entry_id):
    return api.post(f"/api/v1/ledger-entries/{entry_id}/withdraw/", content_type="application/json")


def test_a_teller_withdraws_her_waiting_entry_over_the_api_and_a_second_call_changes_nothing(
    client, teller, ledger_metric, yesterday
):
    entry = _record(teller, card_item(), yesterday, 4, customer_code="C0001024")
    client.force_login(teller)

    first = client.post(
        f"/api/v1/ledger-entries/{entry.pk}/withdraw/", {"reason": "数量填错"}, content_type="application/json"
    )
    second = _withdraw(client, entry.pk)

    assert first.status_code == 200, first.json()
    assert (first.json()["id"], first.json()["status"], first.json()["points"]) == (entry.pk, "withdrawn", "10.0000")
    assert second.status_code == 200 and second.json()["status"] == "withdrawn"
    assert list(entry.changes.values_list("action", "reason")) == [("created", ""), ("entry_withdrawn", "数量填错")]
    listed = client.get("/api/v1/ledger-entries/", {"status": "withdrawn"}).json()["results"]
    assert [row["id"] for row in listed] == [entry.pk]


def test_the_api_refuses_an_approved_entry_someone_elses_one_out_of_sight_and_a_token_in_its_error_format(
    client, token_client, teller, outlet_head, neighbour, network, ledger_metric, yesterday
):
    approved = _record(teller, card_item(), yesterday, 1, customer_code="C1")
    entries_decide(scope=scope_of(outlet_head), user=outlet_head, entry_ids=[approved.pk], action=Action.APPROVE)
    waiting = _record(teller, card_item(), yesterday, 1, customer_code="C2")
    neighbour.user = UserFactory(username="liu.yang", role="staff")
    neighbour.save()
    theirs = _record(neighbour.user, card_item(), yesterday, 1, customer_code="C9")

    client.force_login(teller)
    refused = _withdraw(client, approved.pk)
    assert refused.status_code == 400
    assert refused.json()["errors"] == [
        {
            "field": "status",
            "message": f"Credit card opened of {yesterday} is Approved: only an entry waiting for approval may be "
            "withdrawn; ask your outlet head to correct it.",
            "row": None,
        }
    ]
    assert _withdraw(client, theirs.pk).status_code == 404
    misspelt = client.post(
        f"/api/v1/ledger-entries/{waiting.pk}/withdraw/", {"reaosn": "x"}, content_type="application/json"
    )
    assert (misspelt.status_code, misspelt.json()["errors"][0]["field"]) == (400, "reaosn")
    beyond = _withdraw(client, 2**63)
    assert (beyond.status_code, beyond.json()["errors"][0]["field"]) == (404, "")
    client.force_login(outlet_head)
    by_the_head = _withdraw(client, waiting.pk)
    assert by_the_head.status_code == 403
    assert by_the_head.json()["errors"][0]["message"] == (
        "An entry is withdrawn by the person who recorded it, not by anyone else."
    )
    client.logout()
    assert _withdraw(token_client(network["HQ"], "read,ingest,admin"), waiting.pk).status_code == 403
    assert [entry.status for entry in LedgerEntry.objects.order_by("pk")] == [
        EntryStatus.APPROVED,
        EntryStatus.PENDING,
        EntryStatus.PENDING,
    ]
