"""Follow-through of an alert (alerts/services/follow_up.py): open → in progress → done → verified, or
reopened; who may do what; every change in the history with who did it."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from alerts.models import AlertEvent, AlertStatus, Cause
from alerts.services.follow_up import (
    alert_comment,
    alert_transition,
    alert_update,
    can_follow_up,
    is_overdue,
    next_statuses,
)
from staff.models import Role
from tests.alerts.factories import AlertFactory
from tests.factories import UserFactory

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(network):
    """An open alert of the Tianhe Road outlet (GZ0101), seen on 2026-11-24."""
    return AlertFactory(unit=network["GZ0101"])


def plan(alert, by):
    """What the work needs before it starts: owner, cause, action plan, deadline."""
    return alert_update(
        alert=alert,
        by=by,
        owner=by,
        cause=Cause.INTERNAL,
        action_plan="高峰时段增开两个窗口，大堂经理分流引导",
        deadline=D(2026, 12, 1),
    )


def statuses(alert):
    return list(AlertEvent.objects.filter(alert=alert).exclude(to_status="").values_list("from_status", "to_status"))


class TestStateMachine:
    def test_the_whole_way_from_open_to_verified(self, alert, outlet_head, unit_manager):
        plan(alert, outlet_head)
        alert_transition(alert=alert, to=AlertStatus.IN_PROGRESS, by=outlet_head)
        alert_transition(alert=alert, to=AlertStatus.DONE, by=outlet_head, comment="已增开窗口，等待时间降到8分钟")
        alert_transition(alert=alert, to=AlertStatus.VERIFIED, by=unit_manager, comment="复查通过")

        alert.refresh_from_db()
        assert alert.status == AlertStatus.VERIFIED
        assert alert.closed_at is not None
        assert not alert.is_active
        assert statuses(alert) == [("open", "in_progress"), ("in_progress", "done"), ("done", "verified")]

    @pytest.mark.parametrize("skipped_to", [AlertStatus.VERIFIED, AlertStatus.DONE, AlertStatus.REOPENED])
    def test_no_skipping_from_open(self, alert, unit_manager, skipped_to):
        plan(alert, unit_manager)

        with pytest.raises(ValidationError):
            alert_transition(alert=alert, to=skipped_to, by=unit_manager, comment="跳过")

        alert.refresh_from_db()
        assert alert.status == AlertStatus.OPEN

    def test_in_progress_needs_owner_cause_plan_and_deadline(self, alert, outlet_head):
        alert_update(alert=alert, by=outlet_head, owner=outlet_head, cause=Cause.MARKET)

        with pytest.raises(ValidationError) as refused:
            alert_transition(alert=alert, to=AlertStatus.IN_PROGRESS, by=outlet_head)

        assert set(refused.value.message_dict) == {"action_plan", "deadline"}
        assert alert.status == AlertStatus.OPEN

    def test_the_outlet_head_cannot_verify_her_own_work(self, alert, outlet_head):
        plan(alert, outlet_head)
        alert_transition(alert=alert, to=AlertStatus.IN_PROGRESS, by=outlet_head)
        alert_transition(alert=alert, to=AlertStatus.DONE, by=outlet_head)

        with pytest.raises(PermissionDenied):
            alert_transition(alert=alert, to=AlertStatus.VERIFIED, by=outlet_head)
        assert next_statuses(outlet_head, alert) == []

    def test_reopening_needs_a_comment_and_sends_the_work_back(self, alert, outlet_head, hq_admin):
        plan(alert, outlet_head)
        alert_transition(alert=alert, to=AlertStatus.IN_PROGRESS, by=outlet_head)
        alert_transition(alert=alert, to=AlertStatus.DONE, by=outlet_head)

        with pytest.raises(ValidationError) as refused:
            alert_transition(alert=alert, to=AlertStatus.REOPENED, by=hq_admin, comment="  ")
        assert "comment" in refused.value.message_dict

        alert_transition(alert=alert, to=AlertStatus.REOPENED, by=hq_admin, comment="等待时间仍在12分钟")
        alert_transition(alert=alert, to=AlertStatus.IN_PROGRESS, by=outlet_head)

        reopened = AlertEvent.objects.get(alert=alert, to_status=AlertStatus.REOPENED)
        assert (reopened.by, reopened.comment) == (hq_admin, "等待时间仍在12分钟")
        assert alert.status == AlertStatus.IN_PROGRESS

    def test_a_closed_alert_changes_no_more(self, alert, outlet_head, unit_manager):
        plan(alert, outlet_head)
        alert_transition(alert=alert, to=AlertStatus.IN_PROGRESS, by=outlet_head)
        alert_transition(alert=alert, to=AlertStatus.DONE, by=outlet_head)
        alert_transition(alert=alert, to=AlertStatus.VERIFIED, by=unit_manager)

        with pytest.raises(ValidationError):
            alert_update(alert=alert, by=unit_manager, deadline=D(2026, 12, 31))
        with pytest.raises(ValidationError):
            alert_transition(alert=alert, to=AlertStatus.REOPENED, by=unit_manager, comment="再看看")

    def test_the_buttons_offered_follow_the_role(self, alert, outlet_head, unit_manager):
        plan(alert, outlet_head)
        alert_transition(alert=alert, to=AlertStatus.IN_PROGRESS, by=outlet_head)
        alert_transition(alert=alert, to=AlertStatus.DONE, by=outlet_head)

        assert next_statuses(unit_manager, alert) == [AlertStatus.VERIFIED, AlertStatus.REOPENED]


class TestWhoMayFollowUp:
    def test_the_outlet_head_the_manager_above_and_hq_may(self, alert, outlet_head, unit_manager, hq_admin):
        assert all(can_follow_up(user, alert) for user in (outlet_head, unit_manager, hq_admin))

    def test_auditors_staff_outsiders_and_other_units_may_not(self, alert, network, auditor, teller, outsider):
        other_head = UserFactory(first_name="李娜", role=Role.OUTLET_HEAD, unit=network["GZ0102"])
        for user in (auditor, teller, outsider, other_head):
            assert not can_follow_up(user, alert)
            with pytest.raises(PermissionDenied):
                alert_update(alert=alert, by=user, cause=Cause.MARKET)
            with pytest.raises(PermissionDenied):
                alert_comment(alert=alert, by=user, text="看一下")
        assert AlertEvent.objects.filter(alert=alert).count() == 0

    def test_the_owner_must_see_the_unit(self, alert, network, unit_manager):
        other_head = UserFactory(first_name="李娜", role=Role.OUTLET_HEAD, unit=network["GZ0102"])

        with pytest.raises(ValidationError) as refused:
            alert_update(alert=alert, by=unit_manager, owner=other_head)

        assert "owner" in refused.value.message_dict


class TestDeadline:
    @pytest.fixture(autouse=True)
    def fifth_of_december(self, monkeypatch):
        monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: D(2026, 12, 5))

    def test_an_overdue_alert_gets_a_later_deadline_from_the_unit_manager_not_the_outlet_head(
        self, alert, outlet_head, unit_manager
    ):
        plan(alert, outlet_head)  # deadline 1 December: overdue on the 5th

        with pytest.raises(ValidationError) as refused:
            alert_update(alert=alert, by=outlet_head, deadline=D(2026, 12, 20))
        alert_update(alert=alert, by=unit_manager, deadline=D(2026, 12, 20))

        assert list(refused.value.message_dict) == ["deadline"]
        alert.refresh_from_db()
        assert (alert.deadline, is_overdue(alert)) == (D(2026, 12, 20), False)
        assert AlertEvent.objects.filter(alert=alert, by=unit_manager).get().changes == {
            "deadline": ["2026-12-01", "2026-12-20"]
        }

    def test_a_deadline_not_yet_passed_is_moved_by_the_outlet_head(self, alert, outlet_head):
        plan(alert, outlet_head)
        alert.deadline = D(2026, 12, 10)  # still ahead on the 5th
        alert.save()

        alert_update(alert=alert, by=outlet_head, deadline=D(2026, 12, 31))

        alert.refresh_from_db()
        assert alert.deadline == D(2026, 12, 31)


class TestHistory:
    def test_every_change_says_what_it_was_and_who_made_it(self, alert, outlet_head):
        plan(alert, outlet_head)
        alert_update(alert=alert, by=outlet_head, deadline=D(2026, 11, 28))

        first, second = AlertEvent.objects.filter(alert=alert).order_by("pk")
        assert first.by == second.by == outlet_head
        assert first.changes["cause"] == [None, "internal"]
        assert first.changes["owner"] == [None, "林晓燕"]
        assert second.changes == {"deadline": ["2026-12-01", "2026-11-28"]}

    def test_saving_the_same_values_again_records_nothing(self, alert, outlet_head):
        plan(alert, outlet_head)
        plan(alert, outlet_head)

        assert AlertEvent.objects.filter(alert=alert).count() == 1

    def test_a_comment_is_kept_with_who_wrote_it_and_an_empty_one_is_refused(self, alert, unit_manager):
        with pytest.raises(ValidationError):
            alert_comment(alert=alert, by=unit_manager, text="   ")

        event = alert_comment(alert=alert, by=unit_manager, text=" 周五前反馈整改进度 ")

        assert (event.by, event.comment, event.to_status) == (unit_manager, "周五前反馈整改进度", "")


class TestOverdue:
    @pytest.mark.parametrize(
        ("status", "deadline", "overdue"),
        [
            (AlertStatus.OPEN, D(2026, 11, 24), True),
            (AlertStatus.IN_PROGRESS, D(2026, 11, 24), True),
            (AlertStatus.REOPENED, D(2026, 11, 24), True),
            (AlertStatus.OPEN, D(2026, 11, 25), False),  # due today is not late yet
            (AlertStatus.DONE, D(2026, 11, 1), False),  # the work is done, waiting to be verified
            (AlertStatus.VERIFIED, D(2026, 11, 1), False),
            (AlertStatus.OPEN, None, False),
        ],
    )
    def test_overdue_is_a_passed_deadline_on_work_still_to_do(self, network, status, deadline, overdue):
        alert = AlertFactory(unit=network["GZ0101"], status=status, deadline=deadline)

        assert is_overdue(alert, D(2026, 11, 25)) is overdue
