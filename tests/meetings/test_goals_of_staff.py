"""One person's goals of a day (meetings.selectors.goals_of_staff) and how their scorecard is told them
(meetings.day_goals.morning_goals, registered with kpi.day_goals): what the outlet head set for 黄丽娟
at the 晨会 of D, read by her, beside D's actuals once the morning after has rolled D up.

The data is tests/meetings/conftest.py's (the morning of 24 November 2026 at 天河路网点). At the 晨会 of D
林晓燕 sets 黄丽娟 (S1001) 2 mobile-banking sign-ups and 4 counter referrals, 张伟 (S1002) 3 sign-ups.
Overnight D's facts arrive: 黄丽娟 3 sign-ups and 1 counter referral, 张伟 1 sign-up.

    黄丽娟  sign-ups         goal 2, actual 3: met
            counter referrals goal 4, actual 1: not met
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from kpi.day_goals import day_goals
from kpi.services.rollup import rollup_range
from meetings.day_goals import morning_goals
from meetings.models import MeetingKind
from meetings.selectors import goals_of_staff
from meetings.services import GoalInput, goals_set, meeting_get_or_create
from staff.access import scope_for_user
from staff.models import Role
from tests.factories import UserFactory
from tests.kpi.factories import metric
from tests.meetings.conftest import D, staff_facts

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today_is_d(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: D)


@pytest.fixture
def goals_of_d(morning_of_d, outlet_head, network) -> dict:
    """The goals set at the 晨会 of D (above), by the outlet head."""
    scope = scope_for_user(outlet_head)
    meeting = meeting_get_or_create(
        scope=scope, by=outlet_head, unit=network["GZ0101"], kind=MeetingKind.MORNING, day=D, today=D
    )
    signups, referrals = metric("mobile_banking_signups"), metric("counter_referrals")
    goals_set(
        scope=scope,
        by=outlet_head,
        meeting=meeting,
        goals=[
            GoalInput(staff=morning_of_d["S1001"], metric=signups, value=Decimal(2)),
            GoalInput(staff=morning_of_d["S1001"], metric=referrals, value=Decimal(4)),
            GoalInput(staff=morning_of_d["S1002"], metric=signups, value=Decimal(3)),
        ],
        today=D,
    )
    return morning_of_d


def _d_rolled_up(network, people) -> None:
    """D's facts, rolled up by the morning of D + 1."""
    outlet = network["GZ0101"]
    staff_facts(outlet, people["S1001"], "mobile_banking_signups", {D: "3"})
    staff_facts(outlet, people["S1001"], "counter_referrals", {D: "1"})
    staff_facts(outlet, people["S1002"], "mobile_banking_signups", {D: "1"})
    rollup_range(first=D, last=D)


def test_the_teller_reads_her_own_goals_of_the_day_in_catalog_order_and_not_her_colleagues(goals_of_d, teller):
    huang = goals_of_d["S1001"]

    goals = list(goals_of_staff(scope=scope_for_user(teller), staff=huang, day=D))

    assert [(goal.staff.code, goal.metric.code, goal.value) for goal in goals] == [
        ("S1001", "mobile_banking_signups", Decimal(2)),
        ("S1001", "counter_referrals", Decimal(4)),
    ]


def test_the_teller_reads_no_goal_of_her_colleague_nor_of_another_day(goals_of_d, teller):
    scope = scope_for_user(teller)

    assert list(goals_of_staff(scope=scope, staff=goals_of_d["S1002"], day=D)) == []
    assert list(goals_of_staff(scope=scope, staff=goals_of_d["S1001"], day=D - datetime.timedelta(days=1))) == []


def test_the_outlet_head_reads_her_outlets_goals_and_another_outlets_head_none(goals_of_d, outlet_head, network):
    other_head = UserFactory(username="he.min", role=Role.OUTLET_HEAD, unit=network["GZ0102"])
    zhang = goals_of_d["S1002"]

    assert [goal.value for goal in goals_of_staff(scope=scope_for_user(outlet_head), staff=zhang, day=D)] == [
        Decimal(3)
    ]
    assert list(goals_of_staff(scope=scope_for_user(other_head), staff=zhang, day=D)) == []


def test_the_goals_of_a_day_are_read_in_one_query_with_their_actuals(goals_of_d, teller, network):
    _d_rolled_up(network, goals_of_d)
    scope = scope_for_user(teller)

    with CaptureQueriesContext(connection) as queries:
        goals = list(goals_of_staff(scope=scope, staff=goals_of_d["S1001"], day=D))
        [(goal.metric.name, goal.meeting.unit.code, goal.actual) for goal in goals]

    assert len(queries) == 1
    assert [goal.actual for goal in goals] == [Decimal(3), Decimal(1)]


def test_the_scorecard_is_told_todays_goals_waiting_for_their_actuals(goals_of_d, teller):
    with translation.override("en"):
        told = morning_goals(scope=scope_for_user(teller), staff=goals_of_d["S1001"], day=D)

    assert [(goal.metric.code, goal.value, goal.actual, goal.met) for goal in told] == [
        ("mobile_banking_signups", Decimal(2), None, None),
        ("counter_referrals", Decimal(4), None, None),
    ]
    assert {goal.label for goal in told} == {"Today's goal at the morning meeting"}


def test_the_morning_after_the_scorecard_is_told_goal_2_actual_3_met_and_goal_4_actual_1_not(
    goals_of_d, teller, network, monkeypatch
):
    _d_rolled_up(network, goals_of_d)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: D + datetime.timedelta(days=1))

    # Through kpi's registry, as the scorecard page asks (meetings registered in its ready()).
    with translation.override("en"):
        told = day_goals(scope=scope_for_user(teller), staff=goals_of_d["S1001"], day=D)

    assert [(goal.metric.code, goal.day, goal.value, goal.actual, goal.met) for goal in told] == [
        ("mobile_banking_signups", D, Decimal(2), Decimal(3), True),
        ("counter_referrals", D, Decimal(4), Decimal(1), False),
    ]
    assert {goal.label for goal in told} == {"The day's goal at the morning meeting"}


def test_the_scorecard_of_the_colleague_read_by_the_teller_is_told_nothing(goals_of_d, teller):
    assert day_goals(scope=scope_for_user(teller), staff=goals_of_d["S1002"], day=D) == []
