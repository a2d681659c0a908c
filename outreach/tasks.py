"""Thin Celery tasks around the outreach facts (outreach.services.facts): safe to run twice (a day's values
are added up again and written whole; facts sent again with the same values change nothing), kept apart
by a lock."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.utils import timezone

from lib.background import InBackgroundWhenEager
from lib.locks import LockTimeout, named_lock
from lib.periods import parse_date
from outreach.services.facts import outreach_facts_write

LOCK = "outreach.facts"
# The nightly run adds up again the last week: a contact written up late, a reassignment by hand.
NIGHTLY_DAYS = 7


@shared_task(
    name="outreach.tasks.outreach_facts",
    base=InBackgroundWhenEager,
    bind=True,
    max_retries=3,
    default_retry_delay=300,
)
def outreach_facts(self, days: list[str]) -> dict:
    """The facts of these days ("YYYY-MM-DD"), after a contact is saved (queued on commit)."""
    parsed = sorted({parse_date(day) for day in days})
    try:
        with named_lock(LOCK):
            batch = outreach_facts_write(parsed)
    except LockTimeout as exc:
        raise self.retry(exc=exc)
    return {"days": [day.isoformat() for day in parsed], "batch": batch.pk if batch else None}


@shared_task(name="outreach.tasks.outreach_facts_nightly")
def outreach_facts_nightly() -> dict:
    """Every night (CELERY_BEAT_SCHEDULE, before the rollup): the last NIGHTLY_DAYS days again."""
    today = timezone.localdate()
    days = [today - datetime.timedelta(days=offset) for offset in range(1, NIGHTLY_DAYS + 1)]
    return outreach_facts([day.isoformat() for day in days])
