"""Writes of the 晨会 sheet (meetings/services.py): the goals' audit, and bad input that writes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from meetings.models import Attendance, Goal, GoalChange, Meeting, MeetingKind, Topic
from meetings.services import (
    GoalInput,
    attendance_set,
    goal_metrics_set,
    goals_set,
    meeting_get_or_create,
    meeting_is_open,
    parse_goal,
    topic_add,
)
from staff.access import scope_for_user
from tests.kpi.factories import metric
from tests.meetings.conftest import D

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(people, outlet_head, network) -> Meeting:
    return meeting_get_or_create(
        scope=scope_for_user(outlet_head),
        by=outlet_head,
        unit=network["GZ0101"],
        kind=MeetingKind.MORNING,
        day=D,
        today=D,
    )


def _set(outlet_head, meeting, staff_member, code, value, *, by=None):
    return goals_set(
        scope=scope_for_user(by or outlet_head),
        by=by or outlet_head,
        meeting=meeting,
        goals=[GoalInput(staff=staff_member, metric=metric(code), value=None if value is None else Decimal(value))],
        today=D,
    )


def test_every_change_of_a_goal_is_kept_with_who_when_old_and_new(meeting, people, outlet_head, unit_manager):
    huang = people["S1001"]
    assert _set(outlet_head, meeting, huang, "mobile_banking_signups", "3") == 1
    assert _set(outlet_head, meeting, huang, "mobile_banking_signups", "3.0000") == 0  # the same goal: no change
    assert _set(outlet_head, meeting, huang, "mobile_banking_signups", "4", by=unit_manager) == 1
    assert _set(outlet_head, meeting, huang, "mobile_banking_signups", None) == 1  # cleared

    changes = list(GoalChange.objects.order_by("pk").values_list("old_value", "new_value", "changed_by__username"))
    assert changes == [
        (None, Decimal(3), "lin.xiaoyan"),
        (Decimal(3), Decimal(4), "chen.zhiqiang"),
        (Decimal(4), None, "lin.xiaoyan"),
    ]
    assert all(change.changed_at is not None and change.source == "page" for change in GoalChange.objects.all())
    assert not Goal.objects.exists()


def test_the_goals_of_one_save_are_all_written_and_a_goal_given_twice_is_its_second(meeting, people, outlet_head):
    huang, zhang = people["S1001"], people["S1002"]
    signups, referrals = metric("mobile_banking_signups"), metric("counter_referrals")
    goals = [
        GoalInput(staff=huang, metric=signups, value=Decimal(3)),
        GoalInput(staff=zhang, metric=referrals, value=Decimal(2)),
        GoalInput(staff=huang, metric=signups, value=Decimal(5)),  # the same goal again, changed
    ]

    assert goals_set(scope=scope_for_user(outlet_head), by=outlet_head, meeting=meeting, goals=goals, today=D) == 3

    stored = Goal.objects.values_list("staff__code", "metric__code", "value", "set_by__username")
    assert sorted(stored) == [
        ("S1001", "mobile_banking_signups", Decimal(5), "lin.xiaoyan"),
        ("S1002", "counter_referrals", Decimal(2), "lin.xiaoyan"),
    ]
    assert all(goal.set_at is not None for goal in Goal.objects.all())
    changes = GoalChange.objects.order_by("pk").values_list("staff__code", "old_value", "new_value")
    assert list(changes) == [
        ("S1001", None, Decimal(3)),
        ("S1002", None, Decimal(2)),
        ("S1001", Decimal(3), Decimal(5)),
    ]


def test_one_bad_goal_among_good_ones_writes_none_and_says_which_and_why(meeting, people, outlet_head):
    goals = [
        GoalInput(staff=people["S1001"], metric=metric("mobile_banking_signups"), value=Decimal(3)),
        # 2.5 customers: sign-ups are counted in whole 户.
        GoalInput(staff=people["S1002"], metric=metric("mobile_banking_signups"), value=Decimal("2.5")),
        # A balance is no amount brought in during a day.
        GoalInput(staff=people["S1002"], metric=metric("deposit_balance"), value=Decimal(10)),
        GoalInput(staff=people["S1001"], metric=metric("counter_referrals"), value=Decimal(-1)),
    ]

    with pytest.raises(ValidationError) as refused, translation.override("en"):
        goals_set(scope=scope_for_user(outlet_head), by=outlet_head, meeting=meeting, goals=goals, today=D)

    errors = refused.value.message_dict
    assert set(errors) == {
        "goal-S1002-mobile_banking_signups",
        "goal-S1002-deposit_balance",
        "goal-S1001-counter_referrals",
    }
    assert "whole" in errors["goal-S1002-mobile_banking_signups"][0]
    assert "0 or more" in errors["goal-S1001-counter_referrals"][0]
    assert not Goal.objects.exists() and not GoalChange.objects.exists()


def test_a_goal_for_someone_who_does_not_work_at_the_outlet_that_day_is_refused(meeting, outlet_head, network):
    from tests.factories import AssignmentFactory, StaffMemberFactory

    elsewhere = StaffMemberFactory(code="S2001")
    AssignmentFactory(staff=elsewhere, unit=network["GZ0102"])
    left = StaffMemberFactory(code="S2002")
    AssignmentFactory(staff=left, unit=network["GZ0101"], end=D - datetime.timedelta(days=1))

    with pytest.raises(ValidationError) as refused:
        goals_set(
            scope=scope_for_user(outlet_head),
            by=outlet_head,
            meeting=meeting,
            goals=[
                GoalInput(staff=elsewhere, metric=metric("mobile_banking_signups"), value=Decimal(1)),
                GoalInput(staff=left, metric=metric("mobile_banking_signups"), value=Decimal(1)),
            ],
            today=D,
        )

    assert set(refused.value.message_dict) == {"goal-S2001-mobile_banking_signups", "goal-S2002-mobile_banking_signups"}
    assert not Goal.objects.exists()


def test_the_sheet_is_written_on_its_day_or_the_evening_before_and_then_kept(people, outlet_head, network):
    assert meeting_is_open(kind=MeetingKind.MORNING, day=D, today=D)
    assert meeting_is_open(kind=MeetingKind.MORNING, day=D, today=D - datetime.timedelta(days=1))
    assert not meeting_is_open(kind=MeetingKind.MORNING, day=D, today=D + datetime.timedelta(days=1))
    assert not meeting_is_open(kind=MeetingKind.MORNING, day=D, today=D - datetime.timedelta(days=2))

    with pytest.raises(ValidationError) as refused:
        meeting_get_or_create(
            scope=scope_for_user(outlet_head),
            by=outlet_head,
            unit=network["GZ0101"],
            kind=MeetingKind.MORNING,
            day=D,
            today=D + datetime.timedelta(days=1),
        )
    assert "2026-11-24" in refused.value.message_dict["date"][0]
    assert not Meeting.objects.exists()


@pytest.mark.parametrize("persona", ["auditor", "teller", "outsider"])
def test_who_may_not_hold_the_outlets_meeting_is_refused(persona, people, request, network):
    user = request.getfixturevalue(persona)

    with pytest.raises(PermissionDenied):
        meeting_get_or_create(
            scope=scope_for_user(user), by=user, unit=network["GZ0101"], kind=MeetingKind.MORNING, day=D, today=D
        )


def test_another_outlets_head_may_not_hold_it_and_a_morning_meeting_is_an_outlets(people, outlet_head, network):
    with pytest.raises(PermissionDenied):
        meeting_get_or_create(
            scope=scope_for_user(outlet_head), by=outlet_head, unit=network["GZ0102"], kind="morning", day=D, today=D
        )
    with pytest.raises(PermissionDenied):
        meeting_get_or_create(
            scope=scope_for_user(outlet_head), by=outlet_head, unit=network["GZ01"], kind="morning", day=D, today=D
        )


def test_attendance_and_topics_are_recorded_and_a_stranger_is_refused(meeting, people, outlet_head):
    from tests.factories import StaffMemberFactory

    scope = scope_for_user(outlet_head)
    attendance_set(scope=scope, meeting=meeting, marks={people["S1001"]: "present", people["S1002"]: "leave"}, today=D)
    attendance_set(scope=scope, meeting=meeting, marks={people["S1002"]: "late"}, today=D)
    topic_add(
        scope=scope, by=outlet_head, meeting=meeting, kind="script", text="手机银行营销话术：三句话讲清好处", today=D
    )

    assert dict(Attendance.objects.values_list("staff__code", "status")) == {"S1001": "present", "S1002": "late"}
    assert list(Topic.objects.values_list("kind", "text")) == [("script", "手机银行营销话术：三句话讲清好处")]
    with pytest.raises(ValidationError):
        attendance_set(scope=scope, meeting=meeting, marks={StaffMemberFactory(code="S9"): "present"}, today=D)
    with pytest.raises(ValidationError):
        attendance_set(scope=scope, meeting=meeting, marks={people["S1001"]: "asleep"}, today=D)
    with pytest.raises(ValidationError):
        topic_add(scope=scope, by=outlet_head, meeting=meeting, kind="gossip", text=" ", today=D)
    assert Topic.objects.count() == 1


def test_only_metrics_that_carry_a_days_goal_may_be_chosen(meeting, outlet_head):
    scope = scope_for_user(outlet_head)
    goal_metrics_set(scope=scope, meeting=meeting, metrics=[metric("mobile_banking_signups")], today=D)

    with pytest.raises(ValidationError):
        goal_metrics_set(scope=scope, meeting=meeting, metrics=[metric("satisfaction_rate")], today=D)
    assert [m.code for m in meeting.goal_metrics.all()] == ["mobile_banking_signups"]


@pytest.mark.parametrize("text, value", [("3", Decimal(3)), ("1,200", Decimal(1200)), (" 12.5 ", Decimal("12.5"))])
def test_a_goal_is_read_as_typed(text, value):
    assert parse_goal(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1e400", "NaN", "٣", "３", "1.2.3"])
def test_what_is_no_number_is_refused(text):
    with pytest.raises(ValueError):
        parse_goal(text)
