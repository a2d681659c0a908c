"""The goals of the morning meeting (晨会) on the teller's own scorecard (kpi.day_goals, told by
meetings): beside the day's actual on the day view, today's on this month's page, never a target.

At 天河路网点 (GZ0101) on Tuesday 24 November 2026 (D), worked by hand:

    the 晨会 of D         黄丽娟 (the teller, S1001): 2 mobile-banking sign-ups, 4 counter referrals
                          张伟 (S1002, her colleague): 5 sign-ups
    D's facts             黄丽娟 3 sign-ups, no counter referral; 张伟 1 sign-up
    the month's target    黄丽娟 40 sign-ups in November (no day target)
    the 晨会 of D + 1     黄丽娟 3 sign-ups (today's goal: the tests read the pages on the morning of D + 1,
                          once the rollup has published D)

Her day page of D: sign-ups goal 2, actual 3: met; counter referrals (no line: nothing recorded, no
target) goal 4, actual 0: not met. Her month page of November: today's goal, 3 sign-ups, its actual not
in yet; the card's target stays 40.
"""

from __future__ import annotations

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kpi.models import Fact, Target
from kpi.services.rollup import rollup_range
from lib.periods import PeriodKind, period_of
from meetings.models import Goal, MeetingKind
from meetings.services import GoalInput, goals_set, meeting_get_or_create
from staff.access import scope_for_user
from staff.models import StaffMember
from tests.factories import AssignmentFactory, StaffMemberFactory
from tests.kpi.factories import metric

pytestmark = pytest.mark.django_db

D = datetime.date(2026, 11, 24)
TODAY = D + datetime.timedelta(days=1)
DAY_PAGE = f"/scorecard/?period=day&date={D.isoformat()}"


@pytest.fixture(autouse=True)
def _the_morning_after_d(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


def _goals(outlet_head, outlet, day: datetime.date, goals: list[tuple[StaffMember, str, int]]) -> None:
    scope = scope_for_user(outlet_head)
    meeting = meeting_get_or_create(
        scope=scope, by=outlet_head, unit=outlet, kind=MeetingKind.MORNING, day=day, today=day
    )
    goals_set(
        scope=scope,
        by=outlet_head,
        meeting=meeting,
        goals=[GoalInput(staff=person, metric=metric(code), value=Decimal(value)) for person, code, value in goals],
        today=day,
    )


@pytest.fixture
def goals_of_d(network, teller, outlet_head) -> dict[str, StaffMember]:
    """The goals, facts and target above, D rolled up; 黄丽娟 and 张伟 by staff code."""
    outlet = network["GZ0101"]
    huang = teller.staff_member
    zhang = StaffMemberFactory(code="S1002", name="张伟")
    AssignmentFactory(staff=zhang, post="lobby_manager", unit=outlet, start=datetime.date(2026, 1, 1))
    _goals(
        outlet_head,
        outlet,
        D,
        [(huang, "mobile_banking_signups", 2), (huang, "counter_referrals", 4), (zhang, "mobile_banking_signups", 5)],
    )
    _goals(outlet_head, outlet, TODAY, [(huang, "mobile_banking_signups", 3)])
    signups = metric("mobile_banking_signups")
    Fact.objects.create(date=D, unit=outlet, staff=huang, metric=signups, value=Decimal(3))
    Fact.objects.create(date=D, unit=outlet, staff=zhang, metric=signups, value=Decimal(1))
    november = period_of(PeriodKind.MONTH, D)
    Target.objects.create(
        staff=huang,
        metric=signups,
        period_kind=november.kind,
        period=november.code,
        period_start=november.start,
        period_end=november.end,
        value=Decimal(40),
    )
    rollup_range(first=D, last=D)
    return {"S1001": huang, "S1002": zhang}


def _lines(response) -> dict[str, object]:
    return {line.metric.code: line for _category, lines in response.context["cards"] for line in lines}


def _card(page: str, metric_name: str) -> str:
    """The phone's card of a metric (templates/kpi/scorecard.html)."""
    cards = re.findall(r'<li class="metric-card[ "].*?</li>', page, re.S)
    found = [card for card in cards if f">{metric_name}</a>" in card]
    assert len(found) == 1, f"one card of {metric_name}"
    return _text(found[0])


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment)))


def test_the_tellers_day_page_shows_the_goal_of_that_mornings_meeting_beside_the_days_actual(
    english, teller, goals_of_d
):
    english.force_login(teller)

    response = english.get(DAY_PAGE)

    assert response.status_code == 200
    signups = _lines(response)["mobile_banking_signups"]
    goal = signups.day_goal
    assert (goal.day, goal.value, goal.actual, goal.met) == (D, Decimal(2), Decimal(3), True)
    # Not a target: the day's line has none and no status, as published.
    assert (signups.actual, signups.target, signups.shown_status) == (Decimal(3), None, None)
    card = _card(response.content.decode(), signups.metric.name)
    assert "The day's goal at the morning meeting 2 " in card
    assert "Actual 3 " in card and "Met" in card and "Target" not in card


def test_a_goal_on_a_metric_with_nothing_recorded_that_day_is_shown_apart_with_an_actual_of_0(
    english, teller, goals_of_d
):
    english.force_login(teller)

    response = english.get(DAY_PAGE)

    assert "counter_referrals" not in _lines(response)  # no fact, no target: no line that day
    [apart] = response.context["day_goals_apart"]
    # A flow with nothing recorded on a published day: 0 of 4, not met.
    assert (apart.metric.code, apart.value, apart.actual, apart.met) == ("counter_referrals", Decimal(4), 0, False)
    section = response.content.decode().split('<section class="card day-goals"')[1].split("</section>")[0]
    text = _text(section)
    assert "The day's goal at the morning meeting 4 " in text and "Actual 0 " in text and "Not met" in text


def test_another_staff_members_goals_do_not_appear_on_the_tellers_page(english, teller, goals_of_d):
    english.force_login(teller)

    day = english.get(DAY_PAGE)
    month = english.get("/scorecard/")

    for response in (day, month):
        goals = [line.day_goal for line in _lines(response).values() if line.day_goal]
        goals += response.context["day_goals_apart"]
        # 张伟's 5 sign-ups are his: 黄丽娟 reads her own 2 and 4 on D, 3 today.
        assert Decimal(5) not in [goal.value for goal in goals]
    on_d = [_lines(day)["mobile_banking_signups"].day_goal, *day.context["day_goals_apart"]]
    assert sorted(goal.value for goal in on_d) == [Decimal(2), Decimal(4)]


def test_this_months_page_shows_todays_goal_waiting_for_its_actual_beside_the_months_target(
    english, teller, goals_of_d
):
    english.force_login(teller)

    response = english.get("/scorecard/")  # the month of the latest rolled-up day, D: November holds today

    assert response.context["day"] == D
    signups = _lines(response)["mobile_banking_signups"]
    goal = signups.day_goal
    assert (goal.day, goal.value, goal.actual, goal.met) == (TODAY, Decimal(3), None, None)
    assert response.context["day_goals_apart"] == []  # D's counter-referral goal is not today's
    # The month's line is as published: 3 of 40.
    assert (signups.actual, signups.target) == (Decimal(3), Decimal(40))
    card = _card(response.content.decode(), signups.metric.name)
    assert "Today's goal at the morning meeting 3 " in card
    assert "not in yet" in card
    assert "Target 40" in card


def test_last_months_page_shows_no_goal(english, teller, goals_of_d):
    english.force_login(teller)

    response = english.get("/scorecard/?period=month&date=2026-10-31")

    assert response.status_code == 200
    assert response.context["day_goals_apart"] == []
    assert "goal at the morning meeting" not in response.content.decode()


def test_the_outlet_head_reads_the_goals_she_set_on_her_tellers_page(english, outlet_head, goals_of_d):
    english.force_login(outlet_head)

    response = english.get(f"/staff/S1002/scorecard/?period=day&date={D.isoformat()}")

    assert response.status_code == 200
    goal = _lines(response)["mobile_banking_signups"].day_goal
    assert (goal.value, goal.actual, goal.met) == (Decimal(5), Decimal(1), False)


def test_the_day_page_reads_the_goals_in_one_query_whatever_their_number(english, teller, goals_of_d):
    english.force_login(teller)

    with CaptureQueriesContext(connection) as with_two:
        english.get(DAY_PAGE)
    Goal.objects.filter(staff=goals_of_d["S1001"], meeting__date=D).delete()
    with CaptureQueriesContext(connection) as with_none:
        response = english.get(DAY_PAGE)

    assert _lines(response)["mobile_banking_signups"].day_goal is None
    assert len(with_two) == len(with_none)
