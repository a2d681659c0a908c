"""The alerts' Celery tasks and schedules, and the rollup queueing the evaluation of the day it publishes."""

from __future__ import annotations

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings

from alerts import tasks
from alerts.models import Alert, AlertRule, AlertStatus
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

    assert len(callbacks) == 1
    alert = Alert.objects.get(rule=long_waits)
    assert (alert.unit.code, alert.status, alert.value) == ("GZ0101", AlertStatus.OPEN, Decimal("15"))


def test_nothing_is_evaluated_before_the_rollup_commits(long_waits, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rollup.rollup_day(day=DAY, today=DAY)

    assert Alert.objects.count() == 0
    with mock.patch("alerts.tasks.alerts_evaluate") as evaluate:
        callbacks[0]()
    evaluate.assert_called_once_with(day=DAY)


def test_a_failing_evaluation_is_logged_and_the_rollup_stays_published(
    long_waits, django_capture_on_commit_callbacks, caplog
):
    broken = mock.patch("alerts.tasks.alerts_evaluate", side_effect=RuntimeError("rules broken"))
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
    with mock.patch("alerts.tasks.alerts_check_missing") as check:
        tasks.check_missing_data.delay()

    assert check.call_args.kwargs["day"] == DAY


@mock.patch("django.utils.timezone.localdate", return_value=D(2026, 11, 25))
def test_the_weekly_reviews_are_for_the_week_before(_localdate):
    with mock.patch("alerts.tasks.weekly_reviews_create") as create:
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
    }
    assert all(entry["task"] in celery_app.tasks for entry in entries.values())
    missing = schedule["alerts-missing-data"]["schedule"]
    assert missing.minute == {0, 15, 30, 45} and len(missing.hour) == 24
    weekly = schedule["alerts-weekly-reviews"]["schedule"]
    assert weekly.day_of_week == {1} and weekly.hour == {settings.ROLLUP_HOUR + 1}
    digest = schedule["alerts-digests-daily"]["schedule"]
    assert (digest.hour, digest.minute) == ({7}, {30})
