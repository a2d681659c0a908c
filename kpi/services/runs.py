"""Rollup runs that tell the truth: claimed, taken over, reaped, and checked for the operations line.

A running run moves its heartbeat (RollupRun.heartbeat_at) as it advances and while it waits for the
rollup lock (kpi.services.rollup). One whose heartbeat is older than settings.RUN_STALE_AFTER has lost
its worker (killed, out of memory, the machine restarted):

- the reaper (kpi.tasks.runs_reap, every five minutes) marks it failed, saying so;
- a redelivered message for it (acks_late: the broker hands the task of a dead worker to another)
  takes it over instead of finding it "running" and doing nothing; so does one for a run the reaper
  failed, since the task is safe to run twice.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from branches.models import OrgUnit
from kpi.models import RollupDay, RollupRun, Scorecard, ScorecardLine
from kpi.partitions import line_partitions, run_tables
from lib import bulk
from staff.models import Assignment, StaffMember

# The reaper's message starts so: a redelivered task may take such a run over.
REAPED = "reaped:"


def stale_before(now: datetime.datetime) -> datetime.datetime:
    """Runs without a sign of life since this time have lost their worker."""
    return now - datetime.timedelta(seconds=settings.RUN_STALE_AFTER)


def _silent_since(cutoff: datetime.datetime) -> Q:
    # A run from before heartbeats existed counts from when it was queued.
    return Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at=None, created_at__lt=cutoff)


def rollup_run_claim(*, run_id: int, now: datetime.datetime | None = None) -> bool:
    """Claim a run for this worker (compare-and-swap): a queued one, or one whose worker died (running
    without a heartbeat for RUN_STALE_AFTER, or already reaped). False when it is finished, failed for a
    reason of its own, or alive elsewhere: the task then leaves it alone."""
    now = now or timezone.now()
    dead = Q(status=RollupRun.Status.RUNNING) | Q(status=RollupRun.Status.FAILED, message__startswith=REAPED)
    claimable = Q(status=RollupRun.Status.QUEUED) | (dead & _silent_since(stale_before(now)))
    previous = RollupRun.objects.filter(pk=run_id).values_list("status", flat=True).first()
    claimed = RollupRun.objects.filter(claimable, pk=run_id).update(
        status=RollupRun.Status.RUNNING,
        heartbeat_at=now,
        finished_at=None,
        message="waiting for any other rollup to finish"
        if previous == RollupRun.Status.QUEUED
        else "taken over from a worker that stopped; waiting for any other rollup to finish",
    )
    return bool(claimed)


def rollup_runs_reap(*, now: datetime.datetime | None = None) -> list[int]:
    """Mark failed every run whose heartbeat stopped RUN_STALE_AFTER ago: running ones, and queued ones
    that a worker was waiting on (they have a heartbeat; one that never had is still with the broker,
    and the operations line reports it). Their ids."""
    now = now or timezone.now()
    cutoff = stale_before(now)
    dead = RollupRun.objects.filter(
        Q(status=RollupRun.Status.RUNNING) & _silent_since(cutoff)
        | Q(status=RollupRun.Status.QUEUED, heartbeat_at__lt=cutoff)
    ).order_by("pk")
    ids = []
    for run in dead:
        since = run.heartbeat_at or run.created_at
        ids += [run.pk] * RollupRun.objects.filter(pk=run.pk, status=run.status).update(
            status=RollupRun.Status.FAILED,
            finished_at=now,
            message=f"{REAPED} no sign of life from its worker since {timezone.localtime(since):%Y-%m-%d %H:%M:%S}",
        )
    return ids


def rollup_problems(now: datetime.datetime) -> list[str]:
    """The operations line (lib.operations): yesterday not published by ROLLUP_DUE_TIME, and runs that
    are stuck: running or queued without a sign of life for RUN_STALE_AFTER (a queued run waiting for
    the rollup lock beats; one never started has none since it was queued)."""
    found = []
    local = timezone.localtime(now)
    yesterday = local.date() - datetime.timedelta(days=1)
    due = datetime.time.fromisoformat(settings.ROLLUP_DUE_TIME)
    # Asked whatever the time, so that a page that shows the line issues the same queries all day.
    published = RollupDay.objects.published(on=yesterday).exists()
    if local.time() >= due and not published:
        found.append(
            _("Yesterday (%(day)s) is not published yet; it was due by %(time)s.")
            % {"day": date_format(yesterday, "Y-m-d"), "time": due.strftime("%H:%M")}
        )
    cutoff = stale_before(now)
    stuck = RollupRun.objects.filter(
        Q(status__in=[RollupRun.Status.RUNNING, RollupRun.Status.QUEUED]) & _silent_since(cutoff)
    ).order_by("pk")
    for run in stuck:
        since = timezone.localtime(run.heartbeat_at or run.created_at)
        found.append(
            _("Rollup run %(run)s of %(day)s is stuck: no sign of life since %(since)s.")
            % {"run": run.pk, "day": date_format(run.date, "Y-m-d"), "since": since.strftime("%Y-%m-%d %H:%M")}
        )
    return found


def run_tables_analyze(
    sender=None, *, day: datetime.date | None = None, run: RollupRun | None = None, **kwargs
) -> list[str]:
    """After a day is published (kpi.signals.day_published, connected in KpiConfig.ready before the apps
    above connect theirs): the planner's statistics of the rollup's tables, on PostgreSQL, when a tenth
    of a table or more changed since they were taken (bulk.analyze_stale). Without them the first page of
    scorecards after a bulk rollup walks the primary key through millions of rows (1.2 s a page on a
    database never analysed, issue 21); autovacuum may not run on a server, or not yet. Returns the
    tables analysed. The units, staff and assignments too: every page's scope reads them (staff.access:
    a staff scorecard is seen where its holder worked that day), and a network loaded in bulk and never
    analysed plans that EXISTS as a loop over every unit (50 ms a page of staff scorecards)."""
    # Not the running totals: each run's are a table of their own (kpi.partitions), read whole.
    analysed = bulk.analyze_stale(Scorecard, RollupDay, OrgUnit, StaffMember, Assignment)
    # The lines: on PostgreSQL the day's partition only (kpi.partitions), always (it is new); ANALYZE of
    # the partitioned table would sample every day's partition again, a cost growing with the days kept.
    # Where the day keeps its lines by run, the published run's tables only: the planner reads the
    # statistics of the tables it scans, and an ANALYZE of the day's partition would sample them twice
    # (for the day as a whole, then each table) and the superseded run's too.
    tables = tuple(name for on, run_id, name in run_tables() if day and run and on == day and run_id == run.pk)
    if tables:
        bulk.analyze(tables=tables)
        return [*analysed, *tables]
    partition = line_partitions().get(day) if day else None
    if partition:
        bulk.analyze(tables=(partition,))
        return [*analysed, partition]
    return analysed + bulk.analyze_stale(ScorecardLine)
