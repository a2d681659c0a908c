"""alerts/selectors.py: what each persona may read, overdue first, the badge count worked out by hand."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from alerts import selectors
from alerts.models import Alert, AlertStatus, ReviewStatus, RuleKind
from staff.access import scope_for_user
from tests.alerts.factories import (
    REVIEW_WEEK,
    AlertFactory,
    AlertRuleFactory,
    ImprovementPlanFactory,
    MeasureFactory,
    WeeklyReviewFactory,
)
from tests.factories import UserFactory
from tests.kpi.factories import metric

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 11, 24)


@pytest.fixture
def alerts(network):
    """Alerts across the network; the deadlines are read against TODAY (Tuesday 24 November 2026).

    late_gz0101    GZ0101 in progress, deadline 11-20   overdue
    late_gz0102    GZ0102 open,        deadline 11-22   overdue
    done_gz0101    GZ0101 done,        deadline 11-10   not overdue (done: waits for 复查)
    soon_gz0101    GZ0101 open,        deadline 11-30   not overdue
    none_gz0102    GZ0102 open,        no deadline
    closed_gz0101  GZ0101 verified,    deadline 11-01   closed
    gz0201         GZ0201 open         (GZ02: outside GZ01)
    sz0101         SZ0101 open, deadline 11-01 (overdue, but in Shenzhen)
    """
    wait = AlertRuleFactory(name="平均等待超过10分钟")
    veto = AlertRuleFactory(name="内控风险事件", kind=RuleKind.VETO, metric=metric("risk_events"), threshold=None)
    return {
        "late_gz0101": AlertFactory(
            rule=wait, unit=network["GZ0101"], status=AlertStatus.IN_PROGRESS, deadline=D(2026, 11, 20)
        ),
        "late_gz0102": AlertFactory(rule=wait, unit=network["GZ0102"], deadline=D(2026, 11, 22)),
        "done_gz0101": AlertFactory(
            rule=veto, unit=network["GZ0101"], status=AlertStatus.DONE, deadline=D(2026, 11, 10)
        ),
        "soon_gz0101": AlertFactory(unit=network["GZ0101"], deadline=D(2026, 11, 30)),
        "none_gz0102": AlertFactory(unit=network["GZ0102"], deadline=None),
        "closed_gz0101": AlertFactory(
            rule=wait, unit=network["GZ0101"], status=AlertStatus.VERIFIED, deadline=D(2026, 11, 1)
        ),
        "gz0201": AlertFactory(unit=network["GZ0201"]),
        "sz0101": AlertFactory(unit=network["SZ0101"], deadline=D(2026, 11, 1)),
    }


def _names(queryset, alerts) -> list[str]:
    by_pk = {alert.pk: name for name, alert in alerts.items()}
    return [by_pk[alert.pk] for alert in queryset]


def test_the_unit_manager_reads_the_alerts_of_his_subtree_overdue_first_then_by_deadline(alerts, unit_manager):
    visible = selectors.alerts_visible(scope=scope_for_user(unit_manager), today=TODAY)

    # Overdue first; then the others still to act on by deadline (none last); the closed one last.
    assert _names(visible, alerts) == [
        "late_gz0101",
        "late_gz0102",
        "done_gz0101",
        "soon_gz0101",
        "none_gz0102",
        "closed_gz0101",
    ]
    assert [alert.overdue for alert in visible] == [True, True, False, False, False, False]


def test_the_default_list_is_what_is_still_to_act_on_and_closed_ones_come_on_request(alerts, unit_manager):
    scope = scope_for_user(unit_manager)

    closed = selectors.alerts_visible(scope=scope, status="closed", today=TODAY)
    everything = selectors.alerts_visible(scope=scope, today=TODAY)
    done = selectors.alerts_visible(scope=scope, status=AlertStatus.DONE, today=TODAY)

    assert _names(closed, alerts) == ["closed_gz0101"]
    assert "closed_gz0101" not in _names(selectors.alerts_visible(scope=scope, status="active", today=TODAY), alerts)
    assert len(everything) == 6
    assert _names(done, alerts) == ["done_gz0101"]


def test_the_outlet_head_reads_her_outlets_alerts_only(alerts, outlet_head):
    visible = selectors.alerts_visible(scope=scope_for_user(outlet_head), status="active", today=TODAY)

    assert _names(visible, alerts) == ["late_gz0101", "done_gz0101", "soon_gz0101"]


def test_the_auditor_reads_every_alert_and_the_teller_none(alerts, auditor, teller):
    assert selectors.alerts_visible(scope=scope_for_user(auditor), today=TODAY).count() == 8
    assert selectors.alerts_visible(scope=scope_for_user(teller), today=TODAY).count() == 0


def test_overdue_filters_by_a_fixed_today(alerts, unit_manager):
    scope = scope_for_user(unit_manager)

    assert _names(selectors.alerts_visible(scope=scope, overdue=True, today=TODAY), alerts) == [
        "late_gz0101",
        "late_gz0102",
    ]
    # On 21 November only GZ0101's deadline (the 20th) has passed.
    assert _names(selectors.alerts_visible(scope=scope, overdue=True, today=D(2026, 11, 21)), alerts) == ["late_gz0101"]
    assert "late_gz0101" not in _names(selectors.alerts_visible(scope=scope, overdue=False, today=TODAY), alerts)


def test_unit_under_and_rule_kind_narrow_the_list(alerts, hq_admin, network):
    scope = scope_for_user(hq_admin)

    under_gz01 = selectors.alerts_visible(scope=scope, under=network["GZ01"], status="active", today=TODAY)
    gz0102 = selectors.alerts_visible(scope=scope, unit=network["GZ0102"], today=TODAY)
    vetoes = selectors.alerts_visible(scope=scope, rule_kind=RuleKind.VETO, today=TODAY)

    assert set(_names(under_gz01, alerts)) == {
        "late_gz0101",
        "late_gz0102",
        "done_gz0101",
        "soon_gz0101",
        "none_gz0102",
    }
    assert _names(gz0102, alerts) == ["late_gz0102", "none_gz0102"]
    assert _names(vetoes, alerts) == ["done_gz0101"]


def test_an_alert_outside_the_scope_is_not_found_as_if_it_did_not_exist(alerts, unit_manager):
    scope = scope_for_user(unit_manager)

    assert selectors.alert_get_or_404(scope=scope, alert_id=alerts["late_gz0101"].pk).unit.code == "GZ0101"
    with pytest.raises(Http404):
        selectors.alert_get_or_404(scope=scope, alert_id=alerts["sz0101"].pk)
    with pytest.raises(Http404):
        selectors.alert_get_or_404(scope=scope, alert_id=2**40)


def test_a_list_reads_rule_unit_metric_and_owner_in_one_query(alerts, unit_manager, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = list(selectors.alerts_visible(scope=scope_for_user(unit_manager), today=TODAY))
        labels = [(alert.rule.name, alert.unit.code, alert.metric and alert.metric.code, alert.owner) for alert in rows]
    assert len(labels) == 6


def test_the_owners_offered_are_those_who_may_follow_the_unit_up(
    alerts, network, hq_admin, unit_manager, outlet_head, auditor, teller
):
    UserFactory(username="gz0102.head", role="outlet_head", unit=network["GZ0102"])
    UserFactory(username="sz01.manager", role="unit_manager", unit=network["SZ01"])
    UserFactory(username="gz.manager", role="unit_manager", unit=network["GZ"])

    candidates = selectors.alert_owner_candidates(alert=alerts["late_gz0101"])

    assert {user.username for user in candidates} == {
        "zhou.minghua",
        "gz.manager",
        "chen.zhiqiang",
        "lin.xiaoyan",
    }


# -- the header badge -----------------------------------------------------------------------------------


def test_the_badge_counts_the_outlet_heads_active_alerts_and_the_reviews_she_must_fill_in(
    network, outlet_head, unit_manager, django_assert_num_queries
):
    # Hers and active: open + in progress = 2. Not counted: her verified one, the manager's.
    AlertFactory(unit=network["GZ0101"], owner=outlet_head)
    AlertFactory(unit=network["GZ0101"], owner=outlet_head, status=AlertStatus.IN_PROGRESS)
    AlertFactory(unit=network["GZ0101"], owner=outlet_head, status=AlertStatus.VERIFIED)
    AlertFactory(unit=network["GZ0102"], owner=unit_manager)
    # Reviews of GZ0101 to fill in: this week's = 1. Not counted: last week's submitted one, GZ0102's.
    WeeklyReviewFactory(unit=network["GZ0101"])
    WeeklyReviewFactory(unit=network["GZ0101"], week_start=D(2026, 11, 16), status=ReviewStatus.SUBMITTED)
    WeeklyReviewFactory(unit=network["GZ0102"])

    with django_assert_num_queries(1):
        assert selectors.badge_count(outlet_head) == 2 + 1


def test_the_badge_counts_the_unit_managers_alerts_and_the_submitted_reviews_he_must_answer(
    network, outlet_head, unit_manager, hq_admin, auditor
):
    # His active alert: 1 (done, waiting for his own 复查 counts as his until verified).
    AlertFactory(unit=network["GZ0102"], owner=unit_manager, status=AlertStatus.DONE)
    AlertFactory(unit=network["GZ0101"], owner=outlet_head)
    # Submitted in GZ01's subtree: GZ0101 and GZ0102 = 2. Not counted: to fill, answered, and GZ02/SZ's.
    WeeklyReviewFactory(unit=network["GZ0101"], status=ReviewStatus.SUBMITTED)
    WeeklyReviewFactory(unit=network["GZ0102"], status=ReviewStatus.SUBMITTED)
    WeeklyReviewFactory(unit=network["GZ0102"], week_start=D(2026, 11, 16), status=ReviewStatus.ANSWERED)
    WeeklyReviewFactory(unit=network["GZ0101"], week_start=D(2026, 11, 16))
    WeeklyReviewFactory(unit=network["GZ0201"], status=ReviewStatus.SUBMITTED)
    WeeklyReviewFactory(unit=network["SZ0101"], status=ReviewStatus.SUBMITTED)

    assert selectors.badge_count(unit_manager) == 1 + 2
    # HQ owns nothing here and no review waits for HQ; the auditor neither.
    assert selectors.badge_count(hq_admin) == 0
    assert selectors.badge_count(auditor) == 0


def test_the_badges_one_query_counts_without_sorting(network, outlet_head, unit_manager):
    """A COUNT needs no order: none of the models' default orderings (alerts by opened_on, reviews by week
    and unit path, action items by due day, patrol sheets by day and slot) reaches the badge's query."""
    AlertFactory(unit=network["GZ0101"], owner=outlet_head)
    WeeklyReviewFactory(unit=network["GZ0101"], status=ReviewStatus.SUBMITTED)

    for user, expected in ((outlet_head, 1), (unit_manager, 1)):
        with CaptureQueriesContext(connection) as captured:
            assert selectors.badge_count(user) == expected
        [query] = captured.captured_queries
        assert "ORDER BY" not in query["sql"]


def test_the_badge_is_read_afresh_so_an_alert_verified_leaves_it_at_once(network, outlet_head):
    """No cache: the count a page shows is the database's at that moment (2, then 1 after a verification)."""
    AlertFactory(unit=network["GZ0101"], owner=outlet_head)
    second = AlertFactory(unit=network["GZ0101"], owner=outlet_head, status=AlertStatus.IN_PROGRESS)
    assert selectors.badge_count(outlet_head) == 2

    Alert.objects.filter(pk=second.pk).update(status=AlertStatus.VERIFIED)

    assert selectors.badge_count(outlet_head) == 1


# -- reviews and plans ----------------------------------------------------------------------------------


def test_reviews_are_read_by_week_inside_the_scope(network, unit_manager, outlet_head):
    this_week = WeeklyReviewFactory(unit=network["GZ0101"])
    gz0102 = WeeklyReviewFactory(unit=network["GZ0102"])
    WeeklyReviewFactory(unit=network["GZ0101"], week_start=D(2026, 11, 16))
    WeeklyReviewFactory(unit=network["SZ0101"])

    manager = scope_for_user(unit_manager)

    assert list(selectors.reviews_visible(scope=manager, week=REVIEW_WEEK)) == [this_week, gz0102]
    assert list(selectors.reviews_visible(scope=scope_for_user(outlet_head), week=REVIEW_WEEK)) == [this_week]
    assert selectors.review_weeks(scope=manager) == [REVIEW_WEEK, D(2026, 11, 16)]


def test_plans_come_with_their_measures_and_progress_in_two_queries(network, unit_manager, django_assert_num_queries):
    plan = ImprovementPlanFactory(unit=network["GZ0101"])
    MeasureFactory(plan=plan, progress=40)
    MeasureFactory(plan=plan, progress=90)
    MeasureFactory(plan=plan, progress=0)
    other = ImprovementPlanFactory(unit=network["GZ0102"], period="2026-Q4")
    ImprovementPlanFactory(unit=network["SZ0101"])

    with django_assert_num_queries(2):
        plans = list(selectors.plans_visible(scope=scope_for_user(unit_manager)))
        progress = [selectors.plan_progress(item) for item in plans]

    assert plans == [other, plan]  # by period code, descending: "2026-Q4" before "2026-11"
    # (40 + 90 + 0) / 3 = 43.3 → 43; a plan without measures: 0.
    assert progress == [0, 43]
    assert list(selectors.plans_visible(scope=scope_for_user(unit_manager), period="2026-11")) == [plan]
