"""/api/v1/alerts/, /reviews/ and /plans/: scope, filters, the history, and follow-up by signed-in people
only (tokens read)."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from alerts.models import Alert, AlertEvent, AlertStatus, RuleKind
from tests.alerts.factories import (
    AlertFactory,
    AlertRuleFactory,
    ImprovementPlanFactory,
    MeasureFactory,
    WeeklyReviewFactory,
    metric,
)

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 11, 24)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def alerts(network, outlet_head):
    wait = AlertRuleFactory(name="平均等待超过10分钟")
    veto = AlertRuleFactory(name="内控风险事件", kind=RuleKind.VETO, metric=metric("risk_events"), threshold=None)
    return {
        "late": AlertFactory(
            rule=wait,
            unit=network["GZ0101"],
            status=AlertStatus.IN_PROGRESS,
            owner=outlet_head,
            cause="internal",
            action_plan="增开柜口",
            deadline=D(2026, 11, 20),
        ),
        "veto": AlertFactory(rule=veto, unit=network["GZ0102"], metric=metric("risk_events"), value=1),
        "closed": AlertFactory(rule=wait, unit=network["GZ0102"], status=AlertStatus.CLEARED),
        "shenzhen": AlertFactory(rule=wait, unit=network["SZ0101"]),
    }


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_a_gz01_token_reads_its_subtrees_alerts_and_not_shenzhens(token_client, network, alerts):
    client = token_client(network["GZ01"])

    assert sorted(_ids(client.get("/api/v1/alerts/"))) == sorted(
        [alerts["late"].pk, alerts["veto"].pk, alerts["closed"].pk]
    )
    assert client.get(f"/api/v1/alerts/{alerts['shenzhen'].pk}/").status_code == 404
    assert client.get("/api/v1/alerts/", {"unit": "SZ0101"}).status_code == 404


def test_an_alert_reads_as_documented(token_client, network, alerts):
    body = token_client(network["GZ01"]).get("/api/v1/alerts/", {"unit": "GZ0101"}).json()["results"][0]

    assert body == {
        "id": alerts["late"].pk,
        "rule": {
            "id": alerts["late"].rule_id,
            "name": "平均等待超过10分钟",
            "kind": "threshold",
            "severity": "warning",
        },
        "unit": "GZ0101",
        "metric": "avg_wait_minutes",
        "status": "in_progress",
        "opened_on": "2026-11-24",
        "last_seen_on": "2026-11-24",
        "cleared_on": None,
        "closed_at": None,
        "value": "12.500000",
        "detail": "平均等待时间 12.5 分钟，高于 10 分钟",
        "owner": "lin.xiaoyan",
        "cause": "internal",
        "action_plan": "增开柜口",
        "deadline": "2026-11-20",
        "overdue": True,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "active"}, ["late", "veto"]),
        ({"status": "closed"}, ["closed"]),
        ({"status": "in_progress"}, ["late"]),
        ({"kind": "veto"}, ["veto"]),
        ({"overdue": "true"}, ["late"]),
        ({"overdue": "false"}, ["veto", "closed"]),
        ({"under": "GZ0102"}, ["veto", "closed"]),
        ({"unit": "GZ0101"}, ["late"]),
    ],
)
def test_the_filters(token_client, network, alerts, query, expected):
    client = token_client(network["GZ"])

    assert _ids(client.get("/api/v1/alerts/", query)) == sorted(alerts[name].pk for name in expected)


def test_a_bad_filter_value_answers_400_naming_it(token_client, network, alerts):
    response = token_client(network["GZ"]).get("/api/v1/alerts/", {"status": "waiting"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "status"


def test_the_detail_carries_the_history_with_who_and_when(token_client, network, alerts, outlet_head):
    AlertEvent.objects.create(alert=alerts["late"], by=outlet_head, from_status="open", to_status="in_progress")
    AlertEvent.objects.create(alert=alerts["late"], comment="系统自动关闭")

    events = token_client(network["GZ01"]).get(f"/api/v1/alerts/{alerts['late'].pk}/").json()["events"]

    assert [(event["by"], event["from_status"], event["to_status"], event["comment"]) for event in events] == [
        ("lin.xiaoyan", "open", "in_progress", ""),
        (None, "", "", "系统自动关闭"),
    ]
    assert all(event["at"] for event in events)


@pytest.mark.parametrize(
    ("scopes", "owners"),
    [("read", [[None, "林*燕"], ["林*燕", "陈*强"]]), ("read,personal", [[None, "林晓燕"], ["林晓燕", "陈志强"]])],
)
def test_the_history_names_each_owner_masked_unless_the_token_may_read_personal_data(
    token_client, network, alerts, unit_manager, scopes, owners
):
    # 林晓燕 (the outlet head) owned the alert, then 陈志强 (the unit manager): the history keeps their names.
    AlertEvent.objects.create(alert=alerts["late"], by=unit_manager, changes={"owner": [None, "林晓燕"]})
    AlertEvent.objects.create(alert=alerts["late"], by=unit_manager, changes={"owner": ["林晓燕", "陈志强"]})

    events = token_client(network["GZ01"], scopes).get(f"/api/v1/alerts/{alerts['late'].pk}/").json()["events"]

    assert [event["changes"]["owner"] for event in events] == owners
    assert [event["by"] for event in events] == ["chen.zhiqiang", "chen.zhiqiang"]


def test_the_list_costs_the_same_queries_for_one_alert_as_for_eight(token_client, network, django_assert_num_queries):
    client = token_client(network["GZ01"])
    client.get("/api/v1/alerts/")  # the token's first use records when it was used
    AlertFactory(unit=network["GZ0101"])
    # the token, the page of alerts with their rule, unit, metric and owner
    with django_assert_num_queries(2):
        assert client.get("/api/v1/alerts/").status_code == 200
    for _ in range(7):
        AlertFactory(unit=network["GZ0102"], rule=AlertRuleFactory())
    with django_assert_num_queries(2):
        assert len(_ids(client.get("/api/v1/alerts/"))) == 8


# -- writes: signed-in people only -------------------------------------------------------------------


def test_a_token_may_not_follow_up_even_with_the_admin_scope(token_client, network, alerts):
    client = token_client(network["GZ01"], "read,admin")
    url = f"/api/v1/alerts/{alerts['veto'].pk}/"

    patched = client.patch(url, {"cause": "market"}, content_type="application/json")
    moved = client.post(f"{url}transitions/", {"to": "in_progress"}, content_type="application/json")

    assert patched.status_code == 403 and moved.status_code == 403
    assert "signed-in person" in patched.json()["errors"][0]["message"]
    assert Alert.objects.get(pk=alerts["veto"].pk).cause == ""


def test_the_outlet_head_sets_the_follow_up_over_the_api(client, outlet_head, network, alerts):
    client.force_login(outlet_head)
    alert = AlertFactory(unit=network["GZ0101"], rule=AlertRuleFactory())

    response = client.patch(
        f"/api/v1/alerts/{alert.pk}/",
        {"owner": "lin.xiaoyan", "cause": "customer", "action_plan": "电话回访", "deadline": "2026-12-01"},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["owner"], body["cause"], body["deadline"]) == ("lin.xiaoyan", "customer", "2026-12-01")
    assert body["events"][0]["by"] == "lin.xiaoyan"
    assert body["events"][0]["changes"]["owner"] == [None, "林晓燕"]


def test_an_owner_who_cannot_follow_up_the_unit_is_refused(client, outlet_head, auditor, network, alerts):
    client.force_login(outlet_head)

    response = client.patch(
        f"/api/v1/alerts/{alerts['late'].pk}/", {"owner": "wu.guoping"}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"field": "owner", "message": "“wu.guoping” is not someone who can follow up GZ0101.", "row": None}]
    }


def test_an_unknown_field_is_refused(client, outlet_head, alerts):
    client.force_login(outlet_head)

    response = client.patch(f"/api/v1/alerts/{alerts['late'].pk}/", {"staus": "done"}, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "staus"


@pytest.mark.parametrize("deadline", ["2026-W48-2", "2026-11-3", "0001-01-01"])
def test_a_deadline_that_is_no_plain_business_date_is_refused_naming_it(client, outlet_head, alerts, deadline):
    """The deadline reads as every other date of the API (lib.api_fields.DateField): DRF's own field took an
    ISO week date and the year 1, which no page shows."""
    client.force_login(outlet_head)

    response = client.patch(
        f"/api/v1/alerts/{alerts['late'].pk}/", {"deadline": deadline}, content_type="application/json"
    )

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["deadline"]
    assert Alert.objects.get(pk=alerts["late"].pk).deadline == D(2026, 11, 20)


def test_skipping_to_verified_answers_400_with_the_reason(client, unit_manager, alerts):
    client.force_login(unit_manager)

    response = client.post(
        f"/api/v1/alerts/{alerts['veto'].pk}/transitions/", {"to": "verified"}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"field": "", "message": "An alert that is “Open” cannot become “Verified (closed)”.", "row": None}]
    }


def test_starting_without_a_plan_names_each_missing_field(client, unit_manager, alerts):
    client.force_login(unit_manager)

    response = client.post(
        f"/api/v1/alerts/{alerts['veto'].pk}/transitions/", {"to": "in_progress"}, content_type="application/json"
    )

    assert response.status_code == 400
    assert {error["field"] for error in response.json()["errors"]} == {"owner", "cause", "action_plan", "deadline"}


def test_the_outlet_head_finishes_the_work_and_cannot_verify_it(client, outlet_head, alerts):
    client.force_login(outlet_head)
    url = f"/api/v1/alerts/{alerts['late'].pk}/transitions/"

    done = client.post(url, {"to": "done", "comment": "已增开柜口"}, content_type="application/json")
    verified = client.post(url, {"to": "verified"}, content_type="application/json")

    assert done.status_code == 200 and done.json()["status"] == "done"
    assert done.json()["events"][-1]["comment"] == "已增开柜口"
    assert verified.status_code == 403
    assert Alert.objects.get(pk=alerts["late"].pk).status == AlertStatus.DONE


def test_the_auditor_reads_but_may_not_follow_up(client, auditor, alerts):
    client.force_login(auditor)

    assert client.get(f"/api/v1/alerts/{alerts['shenzhen'].pk}/").status_code == 200
    response = client.post(
        f"/api/v1/alerts/{alerts['late'].pk}/transitions/", {"to": "done"}, content_type="application/json"
    )
    assert response.status_code == 403
    # Refused as a reader before the body is looked at.
    patched = client.patch(f"/api/v1/alerts/{alerts['late'].pk}/", {"owner": "nobody"}, content_type="application/json")
    assert patched.status_code == 403


def test_a_session_write_needs_the_csrf_token(unit_manager, alerts):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(unit_manager)

    response = browser.patch(
        f"/api/v1/alerts/{alerts['veto'].pk}/", {"cause": "market"}, content_type="application/json"
    )

    assert response.status_code == 403
    assert "CSRF" in response.json()["errors"][0]["message"]


def test_a_session_user_follows_up_only_inside_his_scope(client, unit_manager, alerts):
    client.force_login(unit_manager)

    response = client.patch(
        f"/api/v1/alerts/{alerts['shenzhen'].pk}/", {"cause": "market"}, content_type="application/json"
    )

    assert response.status_code == 404


# -- reviews and plans -----------------------------------------------------------------------------


def test_reviews_are_listed_in_scope_and_by_week(token_client, network):
    this_week = WeeklyReviewFactory(unit=network["GZ0101"], what_happened="签约不足")
    last_week = WeeklyReviewFactory(unit=network["GZ0102"], week_start=D(2026, 11, 16))
    WeeklyReviewFactory(unit=network["SZ0101"])
    client = token_client(network["GZ01"])

    assert _ids(client.get("/api/v1/reviews/")) == [this_week.pk, last_week.pk]
    body = client.get("/api/v1/reviews/", {"week": "2026-W48"}).json()["results"]
    assert [(row["unit"], row["week_start"], row["what_happened"], row["status"]) for row in body] == [
        ("GZ0101", "2026-11-23", "签约不足", "to_fill")
    ]
    assert _ids(client.get("/api/v1/reviews/", {"week": "2026-11-16"})) == [last_week.pk]
    wrong = client.get("/api/v1/reviews/", {"week": "2026-11-17"})
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "week"


def test_plans_come_with_their_measures_and_progress(token_client, network, outlet_head):
    plan = ImprovementPlanFactory(unit=network["GZ0101"], period="2026-11")
    MeasureFactory(plan=plan, description="晨会演练", progress=40, owner=outlet_head)
    MeasureFactory(plan=plan, description="社区外拓", progress=90, due=D(2026, 11, 15))
    ImprovementPlanFactory(unit=network["SZ0101"])
    client = token_client(network["GZ"])

    rows = client.get("/api/v1/plans/").json()["results"]

    assert len(rows) == 1
    assert (rows[0]["unit"], rows[0]["period"], rows[0]["progress"]) == ("GZ0101", "2026-11", 65)
    assert [(m["description"], m["owner"], m["due"], m["progress"]) for m in rows[0]["measures"]] == [
        ("社区外拓", None, "2026-11-15", 90),
        ("晨会演练", "lin.xiaoyan", "2026-11-30", 40),
    ]
    assert client.get("/api/v1/plans/", {"period": "2026-12"}).json()["results"] == []
    assert client.get("/api/v1/plans/", {"period": "2026-W48"}).status_code == 400
