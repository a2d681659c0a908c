"""Pay sheets over the API (pay/api.py): stored sheets only, in the reader's scope, names masked unless the
token may read personal data, with every line and what it rests on."""

from __future__ import annotations

import pytest

from pay.services.sheets import pay_close
from tests.pay.pay_data import OCTOBER

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(october, network):
    pay_close(month=OCTOBER, unit=network["GZ0101"], by=None, scope=None)
    return october


def test_a_preview_is_not_pay_the_api_lists_only_closed_sheets(october, token_client, network):
    assert token_client(network["GZ01"], "read").get("/api/v1/pay-sheets/").json()["results"] == []


def test_a_token_reads_the_sheets_of_its_subtree_with_their_lines_and_masked_names(closed, token_client, network):
    response = token_client(network["GZ01"], "read").get("/api/v1/pay-sheets/", {"month": "2026-10", "staff": "S1"})

    [sheet] = response.json()["results"]
    assert (sheet["month"], sheet["staff"], sheet["staff_name"], sheet["unit"]) == ("2026-10", "S1", "王*", "GZ0101")
    assert (sheet["score"], sheet["total"], sheet["carried"]) == ("91.0000", "5500.00", "0.00")
    assert [(line["kind"], line["amount"]) for line in sheet["lines"]] == [
        ("points", "1820.00"),
        ("piece_rate", "270.00"),
        ("pool", "3640.00"),
        ("cap", "-230.00"),
    ]
    piece = sheet["lines"][1]
    assert (piece["metric"], piece["basis"]["method"], len(piece["basis"]["tiers"])) == (
        "counter_referrals",
        "marginal",
        3,
    )


def test_a_personal_token_reads_the_names(closed, token_client, network):
    results = token_client(network["GZ0101"], "read,personal").get("/api/v1/pay-sheets/").json()["results"]

    assert {row["staff_name"] for row in results} == {"王芳", "李强", "张敏", "赵雷", "陈静"}


def test_a_sheet_outside_the_scope_is_a_404_like_a_missing_one(closed, token_client, network):
    from pay.models import PaySheet

    sheet = PaySheet.objects.get(staff__code="S1")
    client = token_client(network["SZ01"], "read")

    assert client.get("/api/v1/pay-sheets/").json()["results"] == []
    assert client.get(f"/api/v1/pay-sheets/{sheet.pk}/").status_code == 404
    assert client.get("/api/v1/pay-sheets/999999/").status_code == 404
    assert client.get("/api/v1/pay-sheets/", {"unit": "GZ0101"}).status_code == 404


def test_a_gated_line_says_its_gate(closed, token_client, network):
    client = token_client(network["GZ0101"], "read")

    [sheet] = client.get("/api/v1/pay-sheets/", {"staff": "S5"}).json()["results"]

    assert {line["gate"] for line in sheet["lines"]} == {"veto"}
    assert sheet["vetoed"] and sheet["total"] == "0.00"


def test_a_bad_month_is_a_400_in_the_error_format(closed, token_client, network):
    response = token_client(network["GZ01"], "read").get("/api/v1/pay-sheets/", {"month": "2026-13"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "month"


def test_a_signed_in_teller_reads_her_own_sheet_only(closed, client):
    from tests.factories import UserFactory

    user = UserFactory(username="wang.fang", first_name="王芳", role="staff")
    closed["S1"].user = user
    closed["S1"].save()
    client.force_login(user)

    results = client.get("/api/v1/pay-sheets/").json()["results"]

    assert [row["staff"] for row in results] == ["S1"]
    assert results[0]["staff_name"] == "王芳"


def test_the_schema_documents_the_pay_sheets(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()

    assert "/api/v1/pay-sheets/" in schema["paths"] and "/api/v1/pay-sheets/{pay_sheet_id}/" in schema["paths"]
    assert "PaySheet" in schema["components"]["schemas"]
