"""The 晨会 and its 夕会, worked by hand (issue 17): goals set on the morning of D for two people, D's
facts arriving overnight, the rollup of D + 1's morning, and the 夕会 of D person by person.

The data is tests/meetings/conftest.py's: as of the 23rd 黄丽娟 (S1001) has 23 of 40 sign-ups and 23 of 30
counter referrals, 张伟 (S1002) 46 of 60 sign-ups; 7 days remain.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from kpi.services.rollup import rollup_range
from meetings.models import ChangeSource, MeetingKind
from meetings.selectors import evening_sheet, morning_sheet
from meetings.services import GoalInput, goals_set, meeting_get_or_create
from staff.access import scope_for_user
from tests.kpi.factories import metric
from tests.meetings.conftest import FIGURES_DAY, D, staff_facts

pytestmark = pytest.mark.django_db


def _cells(sheet) -> dict[tuple[str, str], object]:
    return {(person.staff.code, cell.metric.code): cell for person in sheet.people for cell in person.cells}


def test_the_sheet_of_d_is_prefilled_from_the_scorecards_of_the_day_before(morning_of_d, outlet_head, network):
    sheet = morning_sheet(unit=network["GZ0101"], day=D, scope=scope_for_user(outlet_head))

    assert sheet.figures_day == FIGURES_DAY
    # The metrics the people have a month target on, in catalog order.
    assert [m.code for m in sheet.metrics] == ["mobile_banking_signups", "counter_referrals"]
    cells = _cells(sheet)
    # 张伟 has no counter-referral target: no field for it.
    assert set(cells) == {
        ("S1001", "mobile_banking_signups"),
        ("S1001", "counter_referrals"),
        ("S1002", "mobile_banking_signups"),
    }
    huang = cells[("S1001", "mobile_banking_signups")]
    assert (huang.month.actual, huang.month.target, huang.yesterday) == (Decimal(23), Decimal(40), Decimal(1))
    # (40 − 23) / 7 = 2.428… a day: the sheet proposes 3 (a count, rounded up).
    assert huang.month.required_per_day.quantize(Decimal("0.001")) == Decimal("2.429")
    assert huang.suggestion == Decimal(3)
    # (60 − 46) / 7 = 2 exactly.
    assert cells[("S1002", "mobile_banking_signups")].suggestion == Decimal(2)
    # (30 − 23) / 7 = 1.
    assert cells[("S1001", "counter_referrals")].suggestion == Decimal(1)
    # Pace as of the 23rd (23/30 of the month gone): 黄丽娟's sign-ups 23 / (40 × 23/30) = 75 % (red), her
    # counter referrals 23 / (30 × 23/30) = 100 % (green); 张伟's sign-ups 46 / (60 × 23/30) = 100 % (green).
    assert [(person.staff.code, [cell.metric.code for cell in person.behind]) for person in sheet.people] == [
        ("S1002", []),  # the lobby manager's post comes before the teller's in the catalog
        ("S1001", ["mobile_banking_signups"]),
    ]
    assert {person.staff.code for person in sheet.people if person.behind} == {"S1001"}


def test_a_goal_set_and_cleared_through_the_api_is_not_proposed_again_but_the_others_are(
    morning_of_d, outlet_head, network
):
    outlet, people = network["GZ0101"], morning_of_d
    scope = scope_for_user(outlet_head)
    meeting = meeting_get_or_create(scope=scope, by=outlet_head, unit=outlet, kind=MeetingKind.MORNING, day=D, today=D)
    signups = metric("mobile_banking_signups")
    for value in (Decimal(5), None):  # 5 sign-ups for 黄丽娟, then cleared; the sheet was never saved
        goals_set(
            scope=scope,
            by=outlet_head,
            meeting=meeting,
            goals=[GoalInput(staff=people["S1001"], metric=signups, value=value)],
            source=ChangeSource.API,
            today=D,
        )

    cells = _cells(morning_sheet(unit=outlet, day=D, scope=scope))

    cleared = cells[("S1001", "mobile_banking_signups")]
    # Still 3 a day to bring, but the field holds no proposal: the goal was cleared on purpose.
    assert (cleared.goal, cleared.suggestion, cleared.value) == (None, Decimal(3), None)
    # The fields nobody decided keep their proposals: 2 sign-ups for 张伟, 1 counter referral for 黄丽娟.
    assert cells[("S1002", "mobile_banking_signups")].value == Decimal(2)
    assert cells[("S1001", "counter_referrals")].value == Decimal(1)


def test_goals_set_on_d_meet_the_actuals_of_d_once_the_morning_after_rolls_it_up(morning_of_d, outlet_head, network):
    outlet, people = network["GZ0101"], morning_of_d
    scope = scope_for_user(outlet_head)
    meeting = meeting_get_or_create(scope=scope, by=outlet_head, unit=outlet, kind=MeetingKind.MORNING, day=D, today=D)
    signups, referrals = metric("mobile_banking_signups"), metric("counter_referrals")
    goals_set(
        scope=scope,
        by=outlet_head,
        meeting=meeting,
        goals=[
            GoalInput(staff=people["S1001"], metric=signups, value=Decimal(3)),
            GoalInput(staff=people["S1001"], metric=referrals, value=Decimal(4)),
            GoalInput(staff=people["S1002"], metric=signups, value=Decimal(2)),
        ],
        today=D,
    )

    # The evening of D: the facts are not in, the day is not published; the goals wait for their actuals.
    before = evening_sheet(unit=outlet, day=D, scope=scope)
    assert not before.published
    assert [(g.goal.value, g.actual, g.met) for person in before.people for g in person.goals] == [
        (Decimal(2), None, None),  # 张伟, the lobby manager, first
        (Decimal(3), None, None),
        (Decimal(4), None, None),
    ]

    # Overnight, D's facts: 黄丽娟 3 sign-ups and 2 counter referrals, 张伟 1 sign-up; the morning of D + 1
    # rolls D up.
    staff_facts(outlet, people["S1001"], "mobile_banking_signups", {D: "3"})
    staff_facts(outlet, people["S1001"], "counter_referrals", {D: "2"})
    staff_facts(outlet, people["S1002"], "mobile_banking_signups", {D: "1"})
    rollup_range(first=D, last=D)

    after = evening_sheet(unit=outlet, day=D, scope=scope)
    assert after.published
    rows = {
        (person.staff.code, g.metric.code): (g.goal.value, g.actual, g.met, g.shortfall)
        for person in after.people
        for g in person.goals
    }
    assert rows == {
        # 3 of 3: met.
        ("S1001", "mobile_banking_signups"): (Decimal(3), Decimal(3), True, Decimal(0)),
        # 2 of 4: not met, 2 short.
        ("S1001", "counter_referrals"): (Decimal(4), Decimal(2), False, Decimal(-2)),
        # 1 of 2: not met, 1 short.
        ("S1002", "mobile_banking_signups"): (Decimal(2), Decimal(1), False, Decimal(-1)),
    }
    assert [(person.staff.code, person.met, len(person.goals)) for person in after.people] == [
        ("S1002", 0, 1),
        ("S1001", 1, 2),
    ]
    assert (after.met, after.goals) == (1, 3)


def test_a_flow_with_no_fact_on_the_published_day_counts_as_nothing_done(morning_of_d, outlet_head, network):
    outlet, people = network["GZ0101"], morning_of_d
    scope = scope_for_user(outlet_head)
    meeting = meeting_get_or_create(scope=scope, by=outlet_head, unit=outlet, kind=MeetingKind.MORNING, day=D, today=D)
    goals_set(
        scope=scope,
        by=outlet_head,
        meeting=meeting,
        goals=[GoalInput(staff=people["S1002"], metric=metric("lobby_referrals"), value=Decimal(5))],
        today=D,
    )
    staff_facts(outlet, people["S1001"], "mobile_banking_signups", {D: "1"})
    rollup_range(first=D, last=D)

    [goal] = [g for person in evening_sheet(unit=outlet, day=D, scope=scope).people for g in person.goals]

    # 张伟 reported no lobby referral on the 24th: 0 of 5, not met.
    assert (goal.actual, goal.met) == (Decimal(0), False)


def test_the_evening_of_a_day_without_a_morning_meeting_says_so(morning_of_d, outlet_head, network):
    sheet = evening_sheet(unit=network["GZ0101"], day=D, scope=scope_for_user(outlet_head))

    assert sheet.meeting is None
    assert sheet.goals == 0
