"""The alerts' Celery tasks and schedules, and the rollup queueing the evaluation of the day it publishes."""

from __future__ import annotations

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings

from alerts import tasks
from alerts.models import Alert, AlertRule, AlertStatus, RuleKind
from bankops.celery import app as celery_app
from kpi.models import Fact, Metric, RollupRun
from kpi.services import rollup
from tests.alerts.factories import AlertRuleFactory

D = datetime.date
DAY = D(2026, 11, 24)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _only_the_rules_under_test(db):
    AlertRule.objects.update(is_active=False)


@pytest.fixture
def long_waits(network):
    """GZ0101 served 10 customers who waited 150 minutes in all on the 24th: 15 minutes on average."""
    for code, value in (("customers_served", 10), ("wait_minutes_total", 150)):
        Fact.objects.create(
            date=DAY, unit=network["GZ0101"], metric=Metric.objects.get(code=code), value=Decimal(value)
        )
    return AlertRuleFactory(name="平均等待超过10分钟")


def test_the_rollup_evaluates_the_rules_once_the_day_is_published(long_waits, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rollup.rollup_day(day=DAY, today=DAY)

    # The rollup's announcement, and the push that notify's receiver queues on its commit (issue 17).
    assert len(callbacks) == 2
    alert = Alert.objects.get(rule=long_waits)
    assert (alert.unit.code, alert.status, alert.value) == ("GZ0101", AlertStatus.OPEN, Decimal("15"))


def test_nothing_is_evaluated_before_the_rollup_commits(long_waits, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rollup.rollup_day(day=DAY, today=DAY)

    assert Alert.objects.count() == 0
    with mock.patch("alerts.services.catch_up.alerts_evaluate") as evaluate:
        callbacks[0]()
    evaluate.assert_called_once_with(day=DAY)


def test_a_failing_evaluation_is_logged_and_the_rollup_stays_published(
    long_waits, django_capture_on_commit_callbacks, caplog
):
    broken = mock.patch("alerts.services.catch_up.alerts_evaluate", side_effect=RuntimeError("rules broken"))
    with broken, django_capture_on_commit_callbacks(execute=True):
        run = rollup.rollup_day(day=DAY, today=DAY)

    assert run.status == RollupRun.Status.PUBLISHED
    assert "rules broken" in caplog.text


def test_evaluate_day_takes_a_date_and_answers_what_it_did(long_waits):
    rollup.rollup_day(day=DAY, today=DAY)  # not committed in this test: nothing queued

    result = tasks.evaluate_day.delay("2026-11-24").get()

    assert (result["day"], result["published"], result["opened"]) == ("2026-11-24", True, 1)
    # Twice is safe: the second run finds the alert already open.
    assert tasks.evaluate_day.delay("2026-11-24").get()["opened"] == 0
    assert Alert.objects.count() == 1


@mock.patch("django.utils.timezone.localdate", return_value=D(2026, 11, 25))
def test_the_missing_data_check_is_for_yesterday(_localdate):
    with mock.patch("alerts.services.catch_up.alerts_check_missing") as check:
        tasks.check_missing_data.delay()

    assert check.call_args.kwargs["day"] == DAY


def test_a_day_the_missing_data_check_never_took_after_its_cut_off_is_made_up(network):
    from alerts.models import PeriodDone
    from alerts.services.catch_up import alerts_check_missing_pending

    # The check ran on the 23rd for the 22nd; the beat was down from the 24th 09:00 to midnight, so the
    # 23rd was never checked after its cut-off. On the 25th at 10:00: the 23rd, then yesterday (the 24th).
    AlertRuleFactory(name="数据未按时报送", kind=RuleKind.MISSING_DATA, metric=None, cutoff=datetime.time(9, 0))
    PeriodDone.record(PeriodDone.Job.MISSING_DATA, D(2026, 11, 22), None)
    ten = datetime.datetime(2026, 11, 25, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))

    assert [result.day for result in alerts_check_missing_pending(now=ten)] == [D(2026, 11, 23), DAY]
    # Both recorded: the next quarter of an hour checks yesterday alone. Nothing before the first check.
    assert [result.day for result in alerts_check_missing_pending(now=ten)] == [DAY]
    assert set(PeriodDone.objects.filter(job="missing_data").values_list("start", flat=True)) == {
        D(2026, 11, 22),
        D(2026, 11, 23),
        DAY,
    }


@mock.patch("django.utils.timezone.localdate", return_value=D(2026, 11, 25))
def test_the_weekly_reviews_are_for_the_week_before(_localdate):
    with mock.patch("alerts.services.catch_up.weekly_reviews_create") as create:
        tasks.weekly_reviews.delay()

    # Wednesday 25 November: this week began on Monday the 23rd, last week on the 16th.
    create.assert_called_once_with(week_start=D(2026, 11, 16))


@mock.patch("django.utils.timezone.localdate", return_value=D(2026, 11, 25))
def test_the_digests_are_sent_for_today(_localdate):
    with mock.patch("alerts.tasks.digests_send") as send:
        tasks.send_digests.delay()

    send.assert_called_once_with(today=D(2026, 11, 25))


def test_the_beat_schedules_the_alert_tasks():
    schedule = settings.CELERY_BEAT_SCHEDULE
    entries = {name: entry for name, entry in schedule.items() if entry["task"].startswith("alerts.")}

    assert {entry["task"] for entry in entries.values()} == {
        "alerts.tasks.check_missing_data",
        "alerts.tasks.weekly_reviews",
        "alerts.tasks.send_digests",
        "alerts.tasks.evaluate_pending",
    }
    assert all(entry["task"] in celery_app.tasks for entry in entries.values())
    missing = schedule["alerts-missing-data"]["schedule"]
    assert missing.minute == {0, 15, 30, 45} and len(missing.hour) == 24
    # Every day, not only on Mondays (issue 13): a Monday missed is made up on Tuesday.
    weekly = schedule["alerts-weekly-reviews"]["schedule"]
    assert len(weekly.day_of_week) == 7 and weekly.hour == {settings.ROLLUP_HOUR + 1}
    assert schedule["alerts-evaluate-pending"]["schedule"].minute == {40}
    digest = schedule["alerts-digests-daily"]["schedule"]
    assert (digest.hour, digest.minute) == ({7}, {30})


# -- catch-up: every period not yet done (issue 13) -----------------------------------------------------


def test_a_published_day_whose_evaluation_was_lost_is_evaluated_by_the_next_catch_up(long_waits):
    # The 24th is published but its evaluation never ran (the broker lost the task).
    rollup.rollup_day(day=DAY, today=DAY)
    assert Alert.objects.count() == 0

    with mock.patch("django.utils.timezone.localdate", return_value=D(2026, 11, 25)):
        results = tasks.evaluate_pending.delay().get()
        assert [result["day"] for result in results] == ["2026-11-24"]
        assert Alert.objects.get(rule=long_waits).unit.code == "GZ0101"
        # Done: the next run has nothing to do.
        assert tasks.evaluate_pending.delay().get() == []


def test_a_day_published_again_is_evaluated_again_by_the_catch_up(long_waits):
    rollup.rollup_day(day=DAY, today=DAY)
    tasks.evaluate_day.delay("2026-11-24").get()
    rollup.rollup_day(day=DAY, today=DAY)  # a late fact: the day is published again

    with mock.patch("django.utils.timezone.localdate", return_value=D(2026, 11, 25)):
        assert [result["day"] for result in tasks.evaluate_pending.delay().get()] == ["2026-11-24"]


def test_a_missed_monday_is_made_up_and_a_reviewed_week_is_not_reviewed_twice():
    from alerts.models import PeriodDone
    from alerts.services.catch_up import reviews_pending_weeks

    # Week 2026-W47 (16–22 Nov) was reviewed; nothing ran on Monday 30 Nov, so on Tuesday 1 Dec the weeks
    # of the 23rd (W48) is still to do, and W49 (from the 30th) is not over yet.
    PeriodDone.record(PeriodDone.Job.REVIEWS, D(2026, 11, 16), None)
    assert reviews_pending_weeks(today=D(2026, 12, 1)) == [D(2026, 11, 23)]
    # A week missed entirely as well: on Monday 7 Dec, W48 and W49.
    assert reviews_pending_weeks(today=D(2026, 12, 7)) == [D(2026, 11, 23), D(2026, 11, 30)]
    # No further back than ALERTS_CATCH_UP_DAYS (14): on 28 Dec, from the week of the 14th.
    assert reviews_pending_weeks(today=D(2026, 12, 28))[0] == D(2026, 12, 14)


def test_a_week_left_behind_is_reviewed_though_a_later_week_was():
    from alerts.models import PeriodDone
    from alerts.services.catch_up import reviews_pending_weeks

    # W47 (from the 16th) reviewed; W48 (from the 23rd) not, its Sunday published late; W49 (from the 30th)
    # reviewed on Monday 7 Dec. On Tuesday 8 Dec W48 is still to do (was: nothing after the latest, W49).
    PeriodDone.record(PeriodDone.Job.REVIEWS, D(2026, 11, 16), None)
    PeriodDone.record(PeriodDone.Job.REVIEWS, D(2026, 11, 30), None)

    assert reviews_pending_weeks(today=D(2026, 12, 8)) == [D(2026, 11, 23)]
    # Nothing before the first week reviewed, within the window or not.
    assert reviews_pending_weeks(today=D(2026, 11, 24)) == []
