"""Thin Celery tasks around notify.services: they take dates and ids, call a service, and are safe to run
twice (the schedule is in bankops/settings.py CELERY_BEAT_SCHEDULE: notify-release-waiting)."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.db import OperationalError

from lib.background import InBackgroundWhenEager
from notify.services import day_unpushed, deliveries_queue, deliveries_to_release, delivery_send

# A failed message is tried again MAX_RETRIES times, after 1, 2, 4 and 8 minutes (exponential backoff,
# jittered, at most half an hour apart): a robot's rate limit (20 messages a minute) or a short outage
# passes; a channel set up wrong (no webhook, a secret sealed under another key) is not retried.
MAX_RETRIES = 4


class DeliveryFailed(Exception):
    """A delivery's attempt failed in a way another attempt may mend: Celery retries the task."""


@shared_task(
    name="notify.tasks.push_day",
    base=InBackgroundWhenEager,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def push_day(date: str) -> list[int]:
    """Queued by notify.receivers once kpi announces a day published: the day's deliveries, each sent
    by its own task (a channel that fails fails alone)."""
    delivery_ids = deliveries_queue(day=datetime.date.fromisoformat(date))
    for delivery_id in delivery_ids:
        send_delivery.delay(delivery_id)
    return delivery_ids


@shared_task(
    bind=True,
    name="notify.tasks.send_delivery",
    base=InBackgroundWhenEager,
    autoretry_for=(DeliveryFailed, OperationalError),
    retry_backoff=60,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
)
def send_delivery(self, delivery_id: int) -> dict:
    """One attempt at a delivery; a failure worth another try is retried with backoff, the last one is
    left recorded as failed (with its reason) rather than raised."""
    outcome = delivery_send(delivery_id=delivery_id)
    if outcome.retryable and self.request.retries < self.max_retries:
        if self.request.is_eager:
            # Without a broker (the embedded default, the tests) nothing can hold a retry for later, and
            # with task_eager_propagates Celery's Retry would escape to the caller: the next attempt runs
            # now, as many times.
            return self.apply(args=(delivery_id,), retries=self.request.retries + 1).result
        raise DeliveryFailed(outcome.detail)
    return outcome.as_dict()


@shared_task(name="notify.tasks.release_waiting")
def release_waiting() -> list[int]:
    """Every ten minutes: each daily summary still waiting for its day's data is tried again (sent once
    every expected outlet has reported or HQ's cut-off has passed), and a send whose worker died; and the
    newest day's push, when it was lost (day_unpushed)."""
    lost = day_unpushed()
    queued = deliveries_queue(day=lost) if lost is not None else []
    delivery_ids = sorted(set(queued) | set(deliveries_to_release()))
    for delivery_id in delivery_ids:
        send_delivery.delay(delivery_id)
    return delivery_ids
