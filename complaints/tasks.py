"""The register's jobs: thin, safe to run twice (complaints.services)."""

from __future__ import annotations

import datetime

from celery import shared_task

from complaints.services import complaints_check_overdue, complaints_feed_facts
from lib.background import InBackgroundWhenEager


@shared_task(acks_late=True, base=InBackgroundWhenEager)
def feed_facts(since: str | None = None, until: str | None = None) -> int:
    """The register's counts as `complaints` facts (nightly over every open day; after a review, its day)."""
    batch = complaints_feed_facts(
        since=datetime.date.fromisoformat(since) if since else None,
        until=datetime.date.fromisoformat(until) if until else None,
    )
    return 0 if batch is None else batch.created + batch.updated


@shared_task(acks_late=True)
def check_overdue() -> dict:
    """Overdue replies raise (and, once replied, clear) the outlet's alert."""
    return complaints_check_overdue().as_dict()
