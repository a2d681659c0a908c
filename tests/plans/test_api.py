"""Target plans over the API (plans/api.py): integrations read and write plans and their cells with the
admin scope, under the page's checks."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from kpi.models import Target, TargetChange
from lib.periods import parse_period
from plans.models import Plan, PlanCell, PlanStatus
from plans.services.cells import plan_create
from tests.kpi.factories import metric

pytestmark = pytest.mark.django_db


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def plan(network, hq_scope):
    return plan_create(
        scope=hq_scope,
        unit=network["GZ01"],
        period=parse_period("2027"),
        metrics=[metric("deposit_growth"), metric("mobile_banking_signups")],
        name="天河支行 2027",
    )


def test_a_token_reads_the_plans_of_its_subtree_only(token_client, network, plan, hq_scope):
    other = plan_create(
        scope=hq_scope, unit=network["GZ02"], period=parse_period("2027"), metrics=[metric("deposit_growth")]
    )
    client = token_client(network["GZ01"], "read")
    listed = client.get("/api/v1/target-plans/").json()["results"]
    assert [row["id"] for row in listed] == [plan.pk]
    assert listed[0]["metrics"] == ["deposit_growth", "mobile_banking_signups"]
    assert client.get(f"/api/v1/target-plans/{other.pk}/").status_code == 404
    assert client.get(f"/api/v1/target-plans/{other.pk}/cells/").status_code == 404


def test_a_read_token_writes_nothing(token_client, network, plan):
    client = token_client(network["GZ01"], "read")
    response = _post(client, "/api/v1/target-plans/", {"unit": "GZ01", "period": "2027", "metrics": ["deposit_growth"]})
    assert response.status_code == 403
    assert response.json()["errors"][0]["field"] == ""


def test_an_admin_token_makes_fills_and_publishes_a_plan(token_client, network, teller):
    client = token_client(network["GZ01"], "read,admin")
    made = _post(
        client, "/api/v1/target-plans/", {"unit": "GZ01", "period": "2027", "metrics": ["mobile_banking_signups"]}
    )
    assert made.status_code == 201, made.json()
    plan_id = made.json()["id"]

    written = _post(
        client,
        f"/api/v1/target-plans/{plan_id}/cells/",
        {
            "cells": [
                {"unit": "GZ01", "metric": "mobile_banking_signups", "period": "2027", "value": "1,200"},
                {"unit": "GZ0101", "metric": "mobile_banking_signups", "period": "2027", "value": 700},
                {"unit": "GZ0102", "metric": "mobile_banking_signups", "period": "2027", "value": "500"},
                {
                    "unit": "GZ0101",
                    "staff": "S1001",
                    "metric": "mobile_banking_signups",
                    "period": "2027-01",
                    "value": "60",
                },
            ]
        },
    )
    assert written.status_code == 200, written.json()
    assert written.json() == {"created": 4, "updated": 0, "cleared": 0, "unchanged": 0}

    cells = client.get(f"/api/v1/target-plans/{plan_id}/cells/", {"unit": "GZ0101"}).json()["results"]
    assert {(row["staff"], row["period"], row["value"]) for row in cells} == {
        (None, "2027", "700.0000"),
        ("S1001", "2027-01", "60.0000"),
    }
    # A token without the personal scope reads staff names masked.
    assert next(row for row in cells if row["staff"])["staff_name"] == "黄*娟"

    published = _post(client, f"/api/v1/target-plans/{plan_id}/publish/", {})
    assert published.status_code == 200, published.json()
    assert published.json()["created"] == 4
    assert Target.objects.get(unit__code="GZ0102", period="2027").value == Decimal(500)
    change = TargetChange.objects.get(entity_code="S1001")
    assert change.source == "plan" and change.token_name.startswith("GZ01 ") and change.changed_by is None
    assert client.get(f"/api/v1/target-plans/{plan_id}/").json()["status"] == PlanStatus.PUBLISHED


def test_every_bad_cell_is_answered_with_its_row_and_nothing_is_written(token_client, network, plan, teller):
    client = token_client(network["GZ01"], "read,admin")
    response = _post(
        client,
        f"/api/v1/target-plans/{plan.pk}/cells/",
        {
            "cells": [
                {"unit": "GZ0101", "metric": "deposit_growth", "period": "2027", "value": "10"},
                {"unit": "GZ0101", "staff": "S1001", "metric": "deposit_growth", "period": "2027", "value": "5"},
                {"unit": "GZ0201", "metric": "deposit_growth", "period": "2027", "value": "5"},
                {"unit": "GZ0102", "metric": "deposit_growth", "period": "2026-12", "value": "5"},
            ]
        },
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    # One answer names every wrong cell, in the order of the cells: the unit outside the subtree and the
    # services' own checks of the cells that could be read.
    assert [(error["field"], error["row"]) for error in errors] == [("cells", 1), ("unit", 2), ("cells", 3)]
    # With the unit outside the subtree left out, the services' own checks answer by row.
    response = _post(
        client,
        f"/api/v1/target-plans/{plan.pk}/cells/",
        {
            "cells": [
                {"unit": "GZ0101", "metric": "deposit_growth", "period": "2027", "value": "10"},
                {"unit": "GZ0101", "staff": "S1001", "metric": "deposit_growth", "period": "2027", "value": "5"},
                {"unit": "GZ0102", "metric": "deposit_growth", "period": "2026-12", "value": "5"},
            ]
        },
    )
    errors = response.json()["errors"]
    assert [(error["field"], error["row"]) for error in errors] == [("cells", 1), ("cells", 2)]
    assert "not measured per staff member" in errors[0]["message"]
    assert "2026-12 is not a period of this plan" in errors[1]["message"]
    assert not PlanCell.objects.exists()


def test_a_unit_manager_signed_in_plans_weeks_but_not_years(client, unit_manager, network):
    client.force_login(unit_manager)
    week = _post(client, "/api/v1/target-plans/", {"unit": "GZ01", "period": "2026-W50", "metrics": ["deposit_growth"]})
    assert week.status_code == 201
    year = _post(client, "/api/v1/target-plans/", {"unit": "GZ01", "period": "2027", "metrics": ["deposit_growth"]})
    assert year.status_code == 403


def test_a_published_plan_is_not_renamed(token_client, network, plan):
    client = token_client(network["GZ01"], "read,admin")
    assert (
        client.patch(
            f"/api/v1/target-plans/{plan.pk}/", json.dumps({"name": "新名称"}), content_type="application/json"
        ).json()["name"]
        == "新名称"
    )
    plan.status = PlanStatus.PUBLISHED
    plan.save()
    response = client.patch(
        f"/api/v1/target-plans/{plan.pk}/", json.dumps({"name": "x"}), content_type="application/json"
    )
    assert response.status_code == 403


def test_a_second_plan_of_a_unit_and_period_is_refused_with_409_naming_the_plan_there(token_client, network, plan):
    client = token_client(network["GZ01"], "read,admin")
    again = {"unit": "GZ01", "period": "2027", "metrics": ["deposit_growth"], "name": "天河支行 2027 第二稿"}

    response = _post(client, "/api/v1/target-plans/", again)

    assert response.status_code == 409
    assert response["Location"] == f"/api/v1/target-plans/{plan.pk}/"
    [error] = response.json()["errors"]
    assert error["field"] == "period" and "“天河支行 2027”" in error["message"]
    assert list(Plan.objects.values_list("pk", flat=True)) == [plan.pk]
    # Published, the plan is opened the same way; a revision asked for is a new draft beside it.
    Plan.objects.filter(pk=plan.pk).update(status=PlanStatus.PUBLISHED)
    assert _post(client, "/api/v1/target-plans/", again).status_code == 409
    revision = _post(client, "/api/v1/target-plans/", again | {"revise": True})
    assert revision.status_code == 201 and revision.json()["status"] == "draft"
