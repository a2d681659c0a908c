"""Thin Celery tasks around the alerts services: they take dates, call a service, and are safe to run
twice (the schedules are in bankops/settings.py CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from alerts.services.catch_up import (
    alerts_check_missing_pending,
    alerts_evaluate_pending,
    alerts_evaluate_recorded,
    weekly_reviews_pending,
)
from alerts.services.digest import digests_send


@shared_task(name="alerts.tasks.evaluate_day", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def evaluate_day(date: str) -> dict:
    """Evaluate the alert rules for a business day (YYYY-MM-DD); queued by alerts.receivers once kpi
    announces the day published (kpi.signals.day_published)."""
    return alerts_evaluate_recorded(day=datetime.date.fromisoformat(date)).as_dict()


@shared_task(name="alerts.tasks.check_missing_data")
def check_missing_data() -> list[dict]:
    """Yesterday's facts against the missing-data rules whose cut-off has passed (every 15 minutes), after
    any of the three days before it never checked after its cut-off (alerts_check_missing_pending)."""
    return [result.as_dict() for result in alerts_check_missing_pending(now=timezone.now())]


@shared_task(name="alerts.tasks.evaluate_pending")
def evaluate_pending() -> list[dict]:
    """Every hour: each published day of the last ALERTS_CATCH_UP_DAYS not yet evaluated (the rollup
    queues the evaluation of a day it publishes; this makes up one that was lost)."""
    return [result.as_dict() for result in alerts_evaluate_pending()]


@shared_task(name="alerts.tasks.weekly_reviews")
def weekly_reviews() -> list[dict]:
    """The Monday review (周例会): a review item for every outlet that missed a weekly target, for every
    week not yet reviewed up to last week (a Monday missed is made up the next day)."""
    return [result.as_dict() for result in weekly_reviews_pending()]


@shared_task(name="alerts.tasks.send_digests")
def send_digests() -> dict:
    """The daily e-mail digest to every owner of alerts or measures due."""
    return digests_send(today=timezone.localdate()).as_dict()
