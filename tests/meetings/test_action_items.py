"""The Monday meeting's action items (meetings/services.py): who may own one, what it links to through
lib.links (an alert, an improvement plan, a target) without meetings importing alerts, and an item linked
to an alert that closes when the alert closes, whichever way it closes (verified by the level above, or
cleared by itself at the rollup's evaluation), with the hourly reconciliation as the net behind the signal.

The meeting: 天河支行 (GZ01)'s Monday meeting of 23 November 2026, held by its president 陈志强; the item
goes to 林晓燕, head of 天河路网点 (GZ0101), whose outlet has an alert.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from alerts.models import Alert, AlertRule, AlertStatus
from alerts.selectors import badge_count
from alerts.services.evaluation import alerts_evaluate
from alerts.services.follow_up import alert_transition, alert_update
from lib.links import link_kinds
from meetings.models import ActionItem, ActionStatus, MeetingKind
from meetings.services import (
    action_item_add,
    action_item_settle,
    action_items_reconcile,
    meeting_get_or_create,
)
from staff.access import scope_for_user
from tests.alerts.factories import AlertFactory, AlertRuleFactory, ImprovementPlanFactory
from tests.kpi.scorecard_factories import published_day

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 11, 23)
FRIDAY = datetime.date(2026, 11, 27)


@pytest.fixture(autouse=True)
def _monday(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: MONDAY)


@pytest.fixture
def weekly(unit_manager, network):
    return meeting_get_or_create(
        scope=scope_for_user(unit_manager), by=unit_manager, unit=network["GZ01"], kind=MeetingKind.WEEKLY, day=MONDAY
    )


@pytest.fixture
def alert(network):
    AlertRule.objects.update(is_active=False)
    return AlertFactory(unit=network["GZ0101"], rule=AlertRuleFactory(period="day"), last_seen_on=MONDAY)


def _item(weekly, unit_manager, owner, **link) -> ActionItem:
    return action_item_add(
        scope=scope_for_user(unit_manager),
        by=unit_manager,
        meeting=weekly,
        text="高峰时段增开弹性窗口，平均等待压到10分钟以内",
        owner=owner,
        due=FRIDAY,
        **link,
    )


def test_the_kinds_an_item_links_to_are_registered_by_the_apps_that_own_them():
    # kpi's target, alerts' alert and improvement plan, checklists' inspection finding
    assert [kind.code for kind in link_kinds()] == ["target", "alert", "improvement_plan", "inspection_finding"]


def test_an_item_linked_to_an_alert_closes_when_the_level_above_verifies_the_alert(
    weekly, alert, unit_manager, outlet_head, django_capture_on_commit_callbacks
):
    item = _item(weekly, unit_manager, outlet_head, link_kind_code="alert", link_id=alert.pk)
    alert_update(
        alert=alert, by=outlet_head, owner=outlet_head, cause="internal", action_plan="增开窗口", deadline=FRIDAY
    )
    alert_transition(alert=alert, to=AlertStatus.IN_PROGRESS, by=outlet_head)
    alert_transition(alert=alert, to=AlertStatus.DONE, by=outlet_head)
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN  # done is not closed: the level above verifies (复查)

    with django_capture_on_commit_callbacks(execute=True):
        alert_transition(alert=alert, to=AlertStatus.VERIFIED, by=unit_manager)

    item.refresh_from_db()
    assert (item.status, item.closed_with_link, item.done_by) == (ActionStatus.DONE, True, None)
    assert item.done_at is not None


def test_an_item_linked_to_an_alert_closes_when_the_alert_clears_by_itself(
    weekly, alert, unit_manager, outlet_head, django_capture_on_commit_callbacks
):
    item = _item(weekly, unit_manager, outlet_head, link_kind_code="alert", link_id=alert.pk)
    other = _item(weekly, unit_manager, outlet_head)  # linked to nothing: stays open
    published_day(MONDAY + datetime.timedelta(days=1))  # the 24th: no wait above 10 minutes any more

    with django_capture_on_commit_callbacks(execute=True):
        alerts_evaluate(day=MONDAY + datetime.timedelta(days=1))

    alert.refresh_from_db()
    item.refresh_from_db()
    other.refresh_from_db()
    assert alert.status == AlertStatus.CLEARED
    assert (item.status, item.closed_with_link) == (ActionStatus.DONE, True)
    assert other.status == ActionStatus.OPEN


def test_the_hourly_reconciliation_closes_an_item_whose_alert_closed_unannounced_and_a_rerun_does_nothing(
    weekly, alert, unit_manager, outlet_head
):
    item = _item(weekly, unit_manager, outlet_head, link_kind_code="alert", link_id=alert.pk)
    Alert.objects.filter(pk=alert.pk).update(status=AlertStatus.CLEARED)  # no announcement

    assert action_items_reconcile() == 1
    assert action_items_reconcile() == 0
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE and item.closed_with_link


def test_an_item_links_to_a_plan_or_a_target_of_the_meetings_units_and_nothing_outside_them(
    weekly, unit_manager, outlet_head, network
):
    from kpi.models import Target
    from tests.kpi.factories import metric

    plan = ImprovementPlanFactory(unit=network["GZ0102"], period="2026-11")
    week_target = Target.objects.create(
        unit=network["GZ0101"],
        metric=metric("mobile_banking_signups"),
        period_kind="week",
        period="2026-W48",
        period_start=MONDAY,
        period_end=MONDAY + datetime.timedelta(days=6),
        value=50,
    )
    assert (
        _item(weekly, unit_manager, outlet_head, link_kind_code="improvement_plan", link_id=plan.pk).link_id == plan.pk
    )
    assert (
        _item(weekly, unit_manager, outlet_head, link_kind_code="target", link_id=week_target.pk).link_kind == "target"
    )

    elsewhere = AlertFactory(unit=network["SZ0101"])
    # Each refusal is under "link" and names what was asked for (the words are the reader's language).
    cases = {
        ("alert", elsewhere.pk): str(elsewhere.pk),  # in another branch: as if there were none
        ("alert", 999_999): "999999",
        ("ticket", 1): "ticket",
        ("alert", None): "",
    }
    for (kind, object_id), named in cases.items():
        with pytest.raises(ValidationError) as refused:
            _item(weekly, unit_manager, outlet_head, link_kind_code=kind, link_id=object_id)
        [message] = refused.value.message_dict["link"]
        assert named in message, (kind, object_id)
    assert ActionItem.objects.count() == 2


def test_an_item_needs_text_an_owner_who_can_act_in_the_unit_and_a_due_day_after_the_meeting(
    weekly, unit_manager, auditor
):
    with pytest.raises(ValidationError) as refused:
        action_item_add(
            scope=scope_for_user(unit_manager),
            by=unit_manager,
            meeting=weekly,
            text=" ",
            owner=auditor,
            due=MONDAY - datetime.timedelta(days=1),
        )

    assert set(refused.value.message_dict) == {"text", "owner", "due"}
    assert not ActionItem.objects.exists()


def test_the_owner_may_mark_it_done_though_the_meeting_is_above_them_and_a_teller_or_auditor_may_not(
    weekly, unit_manager, outlet_head, teller, auditor
):
    item = _item(weekly, unit_manager, outlet_head)
    for reader in (teller, auditor):
        with pytest.raises(PermissionDenied):
            action_item_settle(scope=scope_for_user(reader), by=reader, item=item, done=True)

    action_item_settle(scope=scope_for_user(outlet_head), by=outlet_head, item=item, done=True)

    item.refresh_from_db()
    assert (item.status, item.done_by, item.closed_with_link) == (ActionStatus.DONE, outlet_head, False)


def test_an_overdue_item_counts_in_its_owners_header_badge(weekly, unit_manager, outlet_head, monkeypatch):
    _item(weekly, unit_manager, outlet_head)
    assert badge_count(outlet_head) == 0

    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: FRIDAY + datetime.timedelta(days=1))

    assert badge_count(outlet_head) == 1  # due Friday, open on Saturday
    assert badge_count(unit_manager) == 0  # not theirs
