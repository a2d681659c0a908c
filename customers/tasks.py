"""Thin Celery tasks around the monthly tiering (customers.services.tiering): they take a month, call the
service, and are safe to run twice (a month's tiers and migrations are replaced whole, and facts sent
again with the same values change nothing)."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.utils import timezone

from customers.models import TieringRun
from customers.services import referrals, tiering
from customers.services.runs import (
    tiering_month_after,
    tiering_month_problem,
    tiering_pending_months,
    tiering_runs_reap,
)
from lib.background import InBackgroundWhenEager
from lib.locks import LockTimeout
from lib.periods import parse_month

logger = logging.getLogger(__name__)


@shared_task(name="customers.tasks.tiering_month", bind=True, max_retries=3, default_retry_delay=600)
def tiering_month(self, month: str) -> dict:
    """Tier the customers of one month ("YYYY-MM-01" or "YYYY-MM"). A month that has not ended or has no
    snapshots is skipped (see tiering_month_problem) rather than recorded as every customer lost."""
    day = parse_month(month, first_day=True)
    problem = tiering_month_problem(day)
    if problem is not None:
        logger.warning("tiering of %s skipped: %s", f"{day:%Y-%m}", problem)
        return {"month": f"{day:%Y-%m}", "skipped": problem}
    try:
        run = tiering.tiering_run(month=day)
    except LockTimeout as exc:
        # Another tiering holds the lock for longer than its timeout: try again later.
        raise self.retry(exc=exc)
    return {"month": f"{day:%Y-%m}", "run": run.pk, "status": run.status, "customers": run.customers}


@shared_task(name="customers.tasks.tiering_months", base=InBackgroundWhenEager)
def tiering_months(months: list[str]) -> list[dict]:
    """Tier `months` ("YYYY-MM-01" or "YYYY-MM") one after the other, oldest first: the admin's "Tier a
    month" and "Tier again". Each month's migrations start from the month before, so two months never run
    side by side in two workers; without a broker it runs in the background thread, not the request."""
    return [tiering_month(month) for month in sorted(months)]


@shared_task(name="customers.tasks.tiering_last_month")
def tiering_last_month() -> dict:
    """On the 1st of every month (CELERY_BEAT_SCHEDULE): tier the month that has just ended."""
    month = tiering.previous_month(timezone.localdate())
    return tiering_month(month.isoformat())


@shared_task(name="customers.tasks.tiering_pending")
def tiering_pending() -> list[dict]:
    """Every night (CELERY_BEAT_SCHEDULE): tier every ended month not yet tiered, oldest first (each
    month's migrations start from the month before). On the 1st that is the month just ended; a night
    missed, or snapshots that came in late, are made up by the next night. Safe to run twice: a month
    tiered is no longer pending. A month tiered after the month following it was (its snapshots came
    late) has that month tiered again: its migrations start from this one."""
    results = []
    for month in tiering_pending_months():
        result = tiering_month(month.isoformat())
        results.append(result)
        following = tiering_month_after(month) if result.get("status") == TieringRun.Status.DONE else None
        if following is not None:
            results.append(tiering_month(following.isoformat()))
    return results


@shared_task(name="customers.tasks.tiering_runs_reap")
def tiering_runs_reap_task() -> list[int]:
    """Every five minutes: mark failed the tiering runs whose worker stopped (no heartbeat)."""
    return tiering_runs_reap()


@shared_task(name="customers.tasks.referral_facts")
def referral_facts(first: str = "", last: str = "") -> dict:
    """Every night (CELERY_BEAT_SCHEDULE): the referral facts of the last week, or of `first`..`last`
    (YYYY-MM-DD). Safe to run twice: the second run finds every fact unchanged
    (customers.services.referrals.referral_facts_sync)."""
    batch = referrals.referral_facts_sync(
        first=datetime.date.fromisoformat(first) if first else None,
        last=datetime.date.fromisoformat(last) if last else None,
    )
    if batch is None:
        return {"facts": 0}
    return {"batch": batch.pk, "created": batch.created, "updated": batch.updated}
