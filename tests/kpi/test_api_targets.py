"""/api/v1/targets/ (kpi/api/targets.py): read in scope; set through the admin's checks and audit."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from kpi.models import RollupDay, Target, TargetChange
from tests.kpi.factories import TargetFactory
from tests.kpi.scorecard_factories import metric, published_day

URL = "/api/v1/targets/"
DECEMBER = {"unit": "GZ0101", "metric": "deposit_balance", "period": "2026-12", "value": "52000"}


@pytest.fixture
def targets(network, teller):
    """GZ0101's November deposits 50,000; the teller's November sign-ups 40; SZ0101's November deposits."""
    return {
        "gz0101": TargetFactory(unit=network["GZ0101"], metric=metric("deposit_balance"), value=Decimal("50000")),
        "teller": TargetFactory(
            unit=None, staff=teller.staff_member, metric=metric("mobile_banking_signups"), value=Decimal("40")
        ),
        "sz0101": TargetFactory(unit=network["SZ0101"], metric=metric("deposit_balance"), value=Decimal("30000")),
    }


# -- reading -------------------------------------------------------------------------------------------


def test_a_sub_branch_token_lists_the_targets_of_its_subtree_only(token_client, network, targets):
    body = token_client(network["GZ01"]).get(URL).json()

    assert [(row["unit"], row["staff"], row["metric"], row["value"]) for row in body["results"]] == [
        ("GZ0101", None, "deposit_balance", "50000.0000"),
        (None, "S1001", "mobile_banking_signups", "40.0000"),
    ]


def test_filters_by_holder_and_metric(token_client, network, targets):
    client = token_client(network["HQ"])

    assert [row["id"] for row in client.get(URL, {"unit": "SZ0101"}).json()["results"]] == [targets["sz0101"].pk]
    assert [row["id"] for row in client.get(URL, {"staff": "S1001"}).json()["results"]] == [targets["teller"].pk]
    by_metric = client.get(URL, {"metric": "deposit_balance", "under": "GZ"}).json()["results"]
    assert [row["id"] for row in by_metric] == [targets["gz0101"].pk]


def test_a_target_outside_the_subtree_is_404_in_detail_and_as_a_filter(token_client, network, targets):
    client = token_client(network["GZ01"])

    detail = client.get(f"{URL}{targets['sz0101'].pk}/")
    assert detail.status_code == 404
    assert detail.json()["errors"][0]["field"] == ""
    assert client.get(URL, {"unit": "SZ0101"}).status_code == 404
    assert client.get(f"{URL}{targets['gz0101'].pk}/").json()["value"] == "50000.0000"


# -- writing -------------------------------------------------------------------------------------------


def test_an_admin_token_sets_a_target_with_an_audit_row(token_client, network):
    response = token_client(network["GZ01"], "read,admin").post(URL, DECEMBER, content_type="application/json")

    assert response.status_code == 201
    body = response.json()
    assert (body["unit"], body["period"], body["period_kind"]) == ("GZ0101", "2026-12", "month")
    assert (body["period_start"], body["period_end"], body["value"]) == ("2026-12-01", "2026-12-31", "52000.0000")
    change = TargetChange.objects.get()
    assert (change.entity_code, change.period, change.old_value, change.new_value) == (
        "GZ0101",
        "2026-12",
        None,
        Decimal("52000"),
    )
    assert (change.source, change.token_name, change.changed_by) == ("api", "GZ01 read,admin #1", None)


def test_posting_an_existing_target_replaces_its_value_and_answers_200(token_client, network):
    client = token_client(network["GZ01"], "read,admin")
    client.post(URL, DECEMBER, content_type="application/json")

    response = client.post(URL, {**DECEMBER, "value": "53000.5"}, content_type="application/json")

    assert response.status_code == 200
    assert Target.objects.get().value == Decimal("53000.5")
    assert [(c.old_value, c.new_value) for c in TargetChange.objects.order_by("pk")] == [
        (None, Decimal("52000")),
        (Decimal("52000"), Decimal("53000.5")),
    ]


def test_put_changes_the_value_and_refuses_to_move_the_target(token_client, network, targets):
    client = token_client(network["GZ01"], "read,admin")
    url = f"{URL}{targets['gz0101'].pk}/"
    body = {"unit": "GZ0101", "metric": "deposit_balance", "period": targets["gz0101"].period, "value": "55000"}

    assert client.put(url, body, content_type="application/json").json()["value"] == "55000.0000"
    moved = client.put(url, {**body, "metric": "loan_balance"}, content_type="application/json")
    assert moved.status_code == 400
    assert moved.json()["errors"][0]["message"].startswith("a target's unit, staff member, metric and period cannot")
    assert Target.objects.get(pk=targets["gz0101"].pk).value == Decimal("55000")


def test_a_new_target_marks_the_rolled_up_days_of_its_period_stale(token_client, network):
    day = published_day(datetime.date(2026, 12, 3))

    token_client(network["GZ01"], "read,admin").post(URL, DECEMBER, content_type="application/json")

    assert RollupDay.objects.get(pk=day.pk).stale_since is not None


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({**DECEMBER, "unit": "SZ0101"}, "unit", "unit 'SZ0101' is not known"),
        ({**DECEMBER, "unit": "GZ9999"}, "unit", "unit 'GZ9999' is not known"),
        ({**DECEMBER, "metric": "deposits"}, "metric", "metric 'deposits' is not in the catalog"),
        ({**DECEMBER, "value": "-1"}, "value", "-1.0000 is negative (a target is 0 or more)"),
        ({**DECEMBER, "value": "lots"}, "value", "A valid number is required."),
        ({**DECEMBER, "value": [1]}, "value", "A valid number is required."),
        ({**DECEMBER, "value": "1e3"}, "value", "A valid number is required."),
        ({**DECEMBER, "value": "١٢"}, "value", "A valid number is required."),
        (
            {**DECEMBER, "period": "0001-W01"},
            "period",
            "'0001-W01' is outside the supported range (years 1900 to 2100)",
        ),
        (
            {**DECEMBER, "period": "9999-12-31"},
            "period",
            "'9999-12-31' is outside the supported range (years 1900 to 2100)",
        ),
        ({**DECEMBER, "valeu": "1"}, "valeu", "unknown field (the fields are: unit, staff, metric, period, value)"),
        ({**DECEMBER, "unit": None}, "unit", "a target is for a unit or a staff member; give unit or staff"),
    ],
)
def test_a_bad_target_is_a_400_that_names_the_field_and_writes_nothing(token_client, network, body, field, message):
    response = token_client(network["GZ01"], "read,admin").post(URL, body, content_type="application/json")

    assert response.status_code == 400
    assert {"field": field, "message": message, "row": None} in response.json()["errors"]
    assert not Target.objects.exists()
    assert not TargetChange.objects.exists()


def test_a_json_number_with_an_exponent_is_refused_as_written_and_a_plain_one_taken(token_client, network):
    client = token_client(network["GZ01"], "read,admin")
    body = '{"unit": "GZ0101", "metric": "deposit_balance", "period": "2026-12", "value": %s}'

    refused = client.post(URL, body % "5.2E4", content_type="application/json")
    taken = client.post(URL, body % "52000.5", content_type="application/json")

    assert refused.status_code == 400
    assert refused.json()["errors"] == [{"field": "value", "message": "A valid number is required.", "row": None}]
    assert (taken.status_code, taken.json()["value"]) == (201, "52000.5000")


def test_a_numeric_string_may_carry_thousands_commas_or_full_width_digits(token_client, network):
    client = token_client(network["GZ01"], "read,admin")

    commas = client.post(URL, {**DECEMBER, "value": "52,000"}, content_type="application/json")
    full_width = client.post(
        URL, {**DECEMBER, "period": "2027-01", "value": "５２０００"}, content_type="application/json"
    )

    assert (commas.status_code, commas.json()["value"]) == (201, "52000.0000")
    assert (full_width.status_code, full_width.json()["value"]) == (201, "52000.0000")


def test_a_bad_period_says_what_is_expected(token_client, network):
    response = token_client(network["GZ01"], "read,admin").post(
        URL, {**DECEMBER, "period": "2026-13"}, content_type="application/json"
    )

    [error] = response.json()["errors"]
    assert error["field"] == "period"
    assert "2026-13" in error["message"]


def test_a_balance_target_for_a_staff_member_is_refused_by_the_same_check_as_the_admin(token_client, network, teller):
    body = {"staff": "S1001", "metric": "deposit_balance", "period": "2026-12", "value": "10"}

    response = token_client(network["GZ01"], "read,admin").post(URL, body, content_type="application/json")

    assert response.json()["errors"] == [
        {
            "field": "metric",
            "message": "metric 'deposit_balance' is measured per unit only, not per staff member",
            "row": None,
        }
    ]


def test_a_read_token_may_not_write(token_client, network):
    response = token_client(network["GZ01"], "read").post(URL, DECEMBER, content_type="application/json")

    assert response.status_code == 403
    assert response.json() == {
        "errors": [{"field": "", "message": "This token does not have the scope this request needs.", "row": None}]
    }


def test_a_signed_in_hq_administrator_writes_with_the_csrf_token(network, hq_admin):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(hq_admin)

    refused = browser.post(URL, DECEMBER, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["errors"][0]["message"]

    browser.get("/")  # a page with a form (the language switch) sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    accepted = browser.post(URL, DECEMBER, content_type="application/json", headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 201
    assert TargetChange.objects.get().changed_by == hq_admin


def test_a_signed_in_unit_manager_may_read_but_not_write(client, unit_manager, targets):
    client.force_login(unit_manager)

    assert len(client.get(URL).json()["results"]) == 2
    assert client.post(URL, DECEMBER, content_type="application/json").status_code == 403
