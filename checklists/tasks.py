"""Thin Celery tasks around the checklists services: they take dates, call a service, and are safe to run
twice (the schedules are in bankops/settings.py CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from checklists.services import patrol_days_ended, patrol_facts_write, patrols_mark_missed


@shared_task(name="checklists.tasks.mark_missed_patrols")
def mark_missed_patrols() -> int:
    """Every quarter of an hour: the rounds whose time is over without a sheet become missed, so the outlet
    head sees them the same day (a round already recorded is left alone)."""
    return patrols_mark_missed(now=timezone.now())


@shared_task(
    name="checklists.tasks.write_patrol_facts", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3
)
def write_patrol_facts(date: str | None = None) -> int:
    """The patrol facts of a day (default: the PATROL_FACT_DAYS days before today, so a night the beat
    missed is made up): items checked, items in order, rounds missed, through facts_ingest. Safe to run
    twice: an unchanged fact is left alone."""
    now = timezone.now()
    days = [datetime.date.fromisoformat(date)] if date else patrol_days_ended(now=now)
    batch = patrol_facts_write(days=days, now=now)
    return (batch.created + batch.updated) if batch else 0
