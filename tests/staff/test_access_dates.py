"""Staff visibility and writes follow the dates of the assignment (staff/access.py, issue 13).

梁敏 (S1004) is a teller at the Taiping Town outlet (GZ0201, Conghua sub-branch GZ02) from 2026-01-01 to
2026-09-30 and at the Tianhe Road outlet (GZ0101, Tianhe sub-branch GZ01) from 2026-10-01. So:

- Conghua (its outlet head 邓建华, its sub-branch's token) reads her September (scorecards of 2026-09-30,
  targets of 2026-09, the history up to 09-30) and not her October; she is not Conghua's staff on
  2026-10-01; Conghua sets her no target of 2026-11 (the period starts a month after she left) but may
  still correct 2026-09's.
- Tianhe Road reads and writes her from 2026-10-01 on, and not her September.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import translation

from kpi.models import Target
from kpi.services.targets import target_problems, target_set
from lib.periods import parse_period
from staff.access import get_staff_or_404, scope_for_token, scope_for_user
from staff.models import Role
from staff.services import api_token_create
from tests.factories import AssignmentFactory, StaffMemberFactory, UserFactory
from tests.kpi.scorecard_factories import ScorecardFactory, ScorecardLineFactory, metric, published_day

SEP_30 = datetime.date(2026, 9, 30)
OCT_1 = datetime.date(2026, 10, 1)
OCT_15 = datetime.date(2026, 10, 15)
SEPTEMBER = (datetime.date(2026, 9, 1), SEP_30)
NOVEMBER = (datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))


@pytest.fixture
def liang(network):
    member = StaffMemberFactory(code="S1004", name="梁敏")
    AssignmentFactory(staff=member, unit=network["GZ0201"], post="teller", end=SEP_30)
    AssignmentFactory(staff=member, unit=network["GZ0101"], post="teller", start=OCT_1)
    return member


@pytest.fixture
def conghua_head(network):
    """邓建华, head of the Taiping Town outlet (GZ0201), where 梁敏 worked until 2026-09-30."""
    return UserFactory(username="deng.jianhua", first_name="邓建华", role=Role.OUTLET_HEAD, unit=network["GZ0201"])


def _token(network, code: str, scopes: str = "read") -> str:
    _token, key = api_token_create(name=f"{code} {scopes}", unit=network[code], scopes=scopes)
    return key


# -- the rule ------------------------------------------------------------------------------------------


def test_the_old_outlet_sees_her_on_her_last_day_there_and_not_on_the_first_day_elsewhere(
    conghua_head, outlet_head, liang
):
    conghua, tianhe_road = scope_for_user(conghua_head), scope_for_user(outlet_head)

    assert conghua.can_see_staff(liang, on=SEP_30)
    assert not conghua.can_see_staff(liang, on=OCT_1)
    assert not tianhe_road.can_see_staff(liang, on=SEP_30)
    assert tianhe_road.can_see_staff(liang, on=OCT_1)
    # Both may look her up (a past scorecard names her); what they read of hers is dated.
    assert conghua.can_see_staff(liang) and tianhe_road.can_see_staff(liang)


def test_a_period_counts_when_she_was_there_on_any_of_its_days(conghua_head, outlet_head, liang):
    conghua, tianhe_road = scope_for_user(conghua_head), scope_for_user(outlet_head)

    assert conghua.can_see_staff(liang, during=SEPTEMBER)
    assert not conghua.can_see_staff(liang, during=NOVEMBER)
    # 2026-Q3 ends on 09-30 (Conghua only); 2026-Q4 starts on 10-01 (Tianhe Road only); 2026 both.
    assert conghua.can_see_staff(liang, during=(datetime.date(2026, 7, 1), SEP_30))
    assert not tianhe_road.can_see_staff(liang, during=(datetime.date(2026, 7, 1), SEP_30))
    assert tianhe_road.can_see_staff(liang, during=(OCT_1, datetime.date(2026, 12, 31)))
    assert conghua.can_see_staff(liang, during=(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)))


def test_hq_and_the_auditor_see_her_on_every_day(hq_admin, auditor, liang):
    for user in (hq_admin, auditor):
        scope = scope_for_user(user)
        assert scope.can_see_staff(liang, on=SEP_30) and scope.can_see_staff(liang, on=OCT_1)
        assert scope.can_see_staff(liang, during=NOVEMBER)


def test_the_days_of_her_history_the_old_outlet_reads_end_on_her_last_day(conghua_head, outlet_head, liang):
    first, last = datetime.date(2026, 9, 28), datetime.date(2026, 10, 3)

    conghua_days = scope_for_user(conghua_head).staff_days(liang, first, last)
    tianhe_days = scope_for_user(outlet_head).staff_days(liang, first, last)

    assert sorted(day.day for day in conghua_days) == [28, 29, 30]
    assert sorted(day.day for day in tianhe_days) == [1, 2, 3]


def test_a_404_for_a_day_she_was_not_there(conghua_head, liang):
    from django.http import Http404

    scope = scope_for_user(conghua_head)

    assert get_staff_or_404(scope, "S1004", on=SEP_30) == liang
    with pytest.raises(Http404):
        get_staff_or_404(scope, "S1004", on=OCT_1)


# -- reading: scorecards, targets and the staff list of the API -----------------------------------------


@pytest.fixture
def her_scorecards(liang):
    """Her published month scorecards of 2026-09-30 (9 sign-ups) and 2026-10-15 (4 sign-ups)."""
    for day, actual in ((SEP_30, 9), (OCT_15, 4)):
        card = ScorecardFactory(run=published_day(day).published_run, staff=liang, period="month")
        ScorecardLineFactory(scorecard=card, metric=metric("mobile_banking_signups"), actual=actual)


@pytest.mark.parametrize(
    ("token_unit", "day", "expected"),
    [
        ("GZ02", "2026-09-30", ["9.0000"]),
        ("GZ02", "2026-10-15", []),
        ("GZ01", "2026-09-30", []),
        ("GZ01", "2026-10-15", ["4.0000"]),
        ("HQ", "2026-09-30", ["9.0000"]),
        ("HQ", "2026-10-15", ["4.0000"]),
    ],
)
def test_her_scorecard_of_a_day_is_read_where_she_worked_that_day(
    client, network, her_scorecards, token_unit, day, expected
):
    key = _token(network, token_unit)

    every = client.get("/api/v1/scorecards/", {"date": day}, HTTP_AUTHORIZATION=f"Token {key}").json()
    under = client.get(
        "/api/v1/scorecards/",
        {"date": day, "under": token_unit, "holder": "staff"},
        HTTP_AUTHORIZATION=f"Token {key}",
    ).json()

    for answer in (every, under):
        assert [card["lines"][0]["actual"] for card in answer["results"] if card["staff"] == "S1004"] == expected


def test_her_targets_are_read_where_she_worked_during_their_period(client, network, liang):
    signups = metric("mobile_banking_signups")
    for code, value in (("2026-09", 30), ("2026-11", 40)):
        target_set(metric=signups, period=parse_period(code), value=Decimal(value), staff=liang, source="test")
    conghua, tianhe = _token(network, "GZ02"), _token(network, "GZ01")

    def periods(key: str, **query) -> list[str]:
        answer = client.get("/api/v1/targets/", query, HTTP_AUTHORIZATION=f"Token {key}").json()
        return [target["period"] for target in answer["results"]]

    assert periods(conghua) == ["2026-09"]
    assert periods(conghua, under="GZ0201") == ["2026-09"]
    assert periods(tianhe) == ["2026-11"]
    assert periods(tianhe, staff="S1004") == ["2026-11"]


def test_she_is_not_in_the_old_sub_branchs_staff_list_after_she_left(client, network, liang):
    key = _token(network, "GZ02")

    def codes(day: str) -> list[str]:
        answer = client.get("/api/v1/staff/", {"date": day}, HTTP_AUTHORIZATION=f"Token {key}").json()
        return [member["code"] for member in answer["results"]]

    assert codes("2026-09-30") == ["S1004"]
    assert codes("2026-10-01") == []
    assert client.get(
        "/api/v1/staff/S1004/", {"date": "2026-10-01"}, HTTP_AUTHORIZATION=f"Token {key}"
    ).status_code == (404)


# -- reading: the pages ----------------------------------------------------------------------------------


def test_the_old_outlet_head_opens_her_september_scorecard_and_not_her_october_one(
    client, conghua_head, her_scorecards
):
    client.force_login(conghua_head)

    assert client.get("/staff/S1004/scorecard/?date=2026-09-30").status_code == 200
    assert client.get("/staff/S1004/scorecard/?date=2026-10-15").status_code == 404


def test_her_history_on_the_old_outlet_heads_page_stops_on_her_last_day_there(client, conghua_head, liang):
    # Sign-ups 1, 2, 3, 4 on 09-29, 09-30, 10-01, 10-02; the page of 10-02 looks back 30 days.
    for offset, day in enumerate([datetime.date(2026, 9, 29), SEP_30, OCT_1, datetime.date(2026, 10, 2)], start=1):
        card = ScorecardFactory(run=published_day(day).published_run, staff=liang, period="month")
        ScorecardLineFactory(scorecard=card, metric=metric("mobile_banking_signups"), actual=offset)
    client.force_login(conghua_head)

    response = client.get("/staff/S1004/metrics/mobile_banking_signups/?date=2026-10-02")

    assert response.status_code == 200
    shown = {row.day.isoformat(): row.point.actual for row in response.context["rows"] if row.point is not None}
    assert shown == {"2026-09-29": Decimal("1"), "2026-09-30": Decimal("2")}


# -- writing: targets through the API, the admin and the service ------------------------------------------


def _post_target(client, key: str, period: str):
    body = {"staff": "S1004", "metric": "mobile_banking_signups", "period": period, "value": "40"}
    return client.post("/api/v1/targets/", body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}")


def test_the_old_sub_branchs_admin_token_cannot_set_her_november_target(client, network, liang):
    response = _post_target(client, _token(network, "GZ02", "read,admin"), "2026-11")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "staff",
            "message": "staff member 'S1004' is not assigned in your subtree during 2026-11 (2026-11-01 – "
            "2026-11-30); their targets of that period are set where they work then",
            "row": None,
        }
    ]
    assert not Target.objects.exists()


def test_the_old_sub_branch_may_still_set_her_september_target_and_the_new_one_her_november_target(
    client, network, liang
):
    conghua, tianhe = _token(network, "GZ02", "read,admin"), _token(network, "GZ01", "read,admin")

    assert _post_target(client, conghua, "2026-09").status_code == 201
    assert _post_target(client, tianhe, "2026-11").status_code == 201
    # …and the new one not her September's: she was not theirs then.
    assert _post_target(client, tianhe, "2026-09").status_code == 400

    assert sorted(Target.objects.values_list("period", flat=True)) == ["2026-09", "2026-11"]


def test_a_token_of_another_branch_cannot_set_a_target_of_a_unit_outside_its_subtree(client, network, liang):
    body = {"unit": "GZ0101", "metric": "deposit_balance", "period": "2026-12", "value": "52000"}
    key = _token(network, "SZ01", "read,admin")

    response = client.post("/api/v1/targets/", body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "unit", "message": "unit 'GZ0101' is not known", "row": None}]
    assert not Target.objects.exists()


def test_the_target_service_refuses_her_november_target_to_the_old_outlet_and_accepts_it_from_hq(
    network, conghua_head, hq_admin, liang
):
    signups, november = metric("mobile_banking_signups"), parse_period("2026-11")

    refused = target_problems(
        metric=signups, period=november, value=Decimal(40), unit=None, staff=liang, scope=scope_for_user(conghua_head)
    )
    accepted = target_problems(
        metric=signups, period=november, value=Decimal(40), unit=None, staff=liang, scope=scope_for_user(hq_admin)
    )

    assert list(refused) == ["staff"]
    assert accepted == {}


def test_a_token_of_another_branch_is_refused_a_unit_target_by_the_service_too(network):
    scope = scope_for_token(api_token_create(name="sz", unit=network["SZ01"], scopes="read,admin")[0])

    with translation.override("en"):  # the API's language
        problems = target_problems(
            metric=metric("deposit_balance"),
            period=parse_period("2026-12"),
            value=Decimal(1),
            unit=network["GZ0101"],
            staff=None,
            scope=scope,
        )

    assert problems == {"unit": "unit 'GZ0101' is outside your subtree"}


def test_the_old_sub_branch_manager_cannot_add_her_november_target_in_the_admin(client, network, liang):
    manager = UserFactory(
        username="he.wei", first_name="何伟", role=Role.UNIT_MANAGER, unit=network["GZ02"], is_staff=True
    )
    manager.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_target", "add_target", "change_target"])
    )
    client.force_login(manager)
    signups = metric("mobile_banking_signups")

    def add(period: str):
        body = {"unit": "", "staff": liang.pk, "metric": signups.pk, "period": period, "value": "40"}
        return client.post("/admin/kpi/target/add/", body)

    november = add("2026-11")
    september = add("2026-09")

    assert november.status_code == 200  # the form again, with the error
    # In the admin's language: 2026-11 runs from the 1st to the 30th.
    assert "员工“S1004”在 2026-11（2026-11-01 – 2026-11-30）期间未在您管辖的机构任职" in november.content.decode()
    assert september.status_code == 302
    assert list(Target.objects.values_list("period", flat=True)) == ["2026-09"]


def test_the_old_sub_branchs_ingest_token_pushes_her_facts_of_september_and_not_of_october(client, network, liang):
    key = _token(network, "GZ02", "read,ingest")

    def push(day: str, unit: str):
        fact = {"date": day, "unit": unit, "staff": "S1004", "metric": "mobile_banking_signups", "value": "3"}
        return client.post(
            "/api/v1/facts/", {"facts": [fact]}, content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}"
        )

    september, october, elsewhere = (
        push("2026-09-30", "GZ0201"),
        push("2026-10-02", "GZ0201"),
        push("2026-10-02", "GZ0101"),
    )

    assert september.status_code == 201
    assert october.json()["errors"] == [
        {"row": 0, "field": "staff", "message": "staff member 'S1004' is not assigned to GZ0201 on 2026-10-02"}
    ]
    # Where she works now is outside the token's subtree: not known, as any unit outside it.
    assert elsewhere.json()["errors"] == [{"row": 0, "field": "unit", "message": "unit 'GZ0101' is not known"}]


def test_the_old_outlets_customer_page_offers_her_as_a_manager_for_september_and_not_for_november(
    client, conghua_head, network, liang
):
    from customers.services.tiering import tiering_run
    from tests.customers.factories import CustomerFactory, SnapshotFactory

    customer = CustomerFactory(home_outlet=network["GZ0201"], relationship_manager=liang)
    for month in (datetime.date(2026, 9, 1), datetime.date(2026, 11, 1)):
        SnapshotFactory(customer=customer, month=month, aum_avg_daily=Decimal("60000"))
        tiering_run(month=month)
    client.force_login(conghua_head)

    def offered(month: str) -> list[str]:
        response = client.get(f"/units/GZ0201/customers/?month={month}")
        assert response.status_code == 200
        return [manager.code for manager in response.context["managers"]]

    assert offered("2026-09") == ["S1004"]
    assert offered("2026-11") == []
