"""Which months the tiering may run for: shared by the command, the admin and the Celery tasks, so each
door refuses the same months with the same words. Which months are still to tier (the nightly catch-up),
and the runs whose worker stopped (the reaper and the operations line)."""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Snapshot, TieringRun
from customers.services.tiering import REAPED, month_end, month_start, previous_month, stale_before


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = month_start(month_end(month) + datetime.timedelta(days=1))
    return months


def tiering_month_problem(month: datetime.date) -> str | None:
    """Why the tiering of `month` should not run now, or None.

    A month that has not ended has no final snapshots, and a month without any snapshot would record
    every customer of the month before as lost: the tiering of such a month is refused rather than run.
    """
    month = month_start(month)
    if month_end(month) >= timezone.localdate():
        return _("%(month)s has not ended yet; its customers are tiered from the 1st of the next month.") % {
            "month": f"{month:%Y-%m}"
        }
    if not Snapshot.objects.filter(month=month).exists():
        return _("%(month)s has no AUM snapshots; import them first (import_csv customer_snapshots FILE).") % {
            "month": f"{month:%Y-%m}"
        }
    return None


# How far back the nightly tiering looks for a month not tiered (its snapshots came late).
TIERING_CATCH_UP_MONTHS = 12


def tiering_pending_months(*, today: datetime.date | None = None) -> list[datetime.date]:
    """The ended months not yet tiered, oldest first: every month from the first one tiered (at most
    TIERING_CATCH_UP_MONTHS back) up to the month just ended that is not done, so a month whose snapshots
    came in late is tiered even after a later month was; before the first tiering, the month just ended.
    A month whose snapshots are not in yet stays pending and is tiered the night they are; a missed night
    is made up by the next."""
    last = previous_month(month_start(today or timezone.localdate()))
    done = set(TieringRun.objects.filter(status=TieringRun.Status.DONE).values_list("month", flat=True))
    if not done:
        return [last]
    index = last.year * 12 + last.month - 1 - (TIERING_CATCH_UP_MONTHS - 1)  # months since year 0
    earliest = datetime.date(index // 12, index % 12 + 1, 1)
    return [month for month in months_between(max(min(done), earliest), last) if month not in done]


def tiering_month_after(month: datetime.date) -> datetime.date | None:
    """The month after `month` when it is already tiered: its migrations were counted from `month`'s tiers,
    so it is tiered again once `month` is (late snapshots). None when it is not tiered."""
    following = month_start(month_end(month) + datetime.timedelta(days=1))
    done = TieringRun.objects.filter(status=TieringRun.Status.DONE, month=following).exists()
    return following if done else None


def tiering_runs_reap(*, now: datetime.datetime | None = None) -> list[int]:
    """Mark failed every running tiering run whose heartbeat stopped RUN_STALE_AFTER ago; their ids."""
    now = now or timezone.now()
    dead = TieringRun.objects.filter(_silent_since(stale_before(now)), status=TieringRun.Status.RUNNING).order_by("pk")
    ids = []
    for run in dead:
        since = timezone.localtime(run.heartbeat_at or run.started_at)
        ids += [run.pk] * TieringRun.objects.filter(pk=run.pk, status=TieringRun.Status.RUNNING).update(
            status=TieringRun.Status.FAILED,
            finished_at=now,
            message=f"{REAPED} no sign of life from its worker since {since:%Y-%m-%d %H:%M:%S}",
        )
    return ids


def tiering_problems(now: datetime.datetime) -> list[str]:
    """The operations line (lib.operations): tiering runs stuck without a heartbeat for RUN_STALE_AFTER."""
    return [
        _("Customer tiering of %(month)s is stuck: no sign of life since %(since)s.")
        % {
            "month": f"{run.month:%Y-%m}",
            "since": timezone.localtime(run.heartbeat_at or run.started_at).strftime("%Y-%m-%d %H:%M"),
        }
        for run in TieringRun.objects.filter(
            _silent_since(stale_before(now)), status=TieringRun.Status.RUNNING
        ).order_by("pk")
    ]


def _silent_since(cutoff: datetime.datetime) -> Q:
    # A run from before heartbeats existed counts from when it started.
    return Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at=None, started_at__lt=cutoff)
