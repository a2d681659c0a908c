"""Thin Celery tasks around kpi services: they take dates, call a service, and are safe to run twice.

The rollup tasks run in the web process's background thread in the embedded default (no broker; see
lib.background), so a facts POST never waits for a rollup."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.utils import timezone, translation

from kpi import retention
from kpi.models import RollupRun
from kpi.services import rollup, runs
from lib import operations
from lib.background import InBackgroundWhenEager

logger = logging.getLogger(__name__)


@shared_task(name="kpi.tasks.rollup_pending", base=InBackgroundWhenEager)
def rollup_pending() -> list[str]:
    """Roll up every day that is stale or newly has facts (queued after each ingest batch commits)."""
    return [day.isoformat() for day in rollup.rollup_pending()]


@shared_task(name="kpi.tasks.rollup_morning", base=InBackgroundWhenEager)
def rollup_morning() -> list[str]:
    """Every morning (CELERY_BEAT_SCHEDULE): yesterday's business day, even if no fact came in (stocks
    carry forward), and every stale day."""
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    return [day.isoformat() for day in rollup.rollup_pending(through=yesterday)]


@shared_task(name="kpi.tasks.rollup_day", base=InBackgroundWhenEager)
def rollup_day(date: str) -> int:
    """Roll up one business day (YYYY-MM-DD); returns the run id."""
    return rollup.rollup_day(day=datetime.date.fromisoformat(date)).pk


@shared_task(name="kpi.tasks.rollup_run", base=InBackgroundWhenEager)
def rollup_run(run_id: int) -> str:
    """Carry out a rollup run queued by the API (POST /api/v1/rollups/). Safe to run twice: a run that is
    finished, or running with a live heartbeat elsewhere, is left alone; one whose worker died (a message
    redelivered after a worker was killed) is taken over (kpi.services.runs)."""
    if not runs.rollup_run_claim(run_id=run_id):
        return "not queued"
    run = RollupRun.objects.get(pk=run_id)
    return rollup.rollup_day(day=run.date, run=run).status


@shared_task(name="kpi.tasks.runs_reap")
def runs_reap() -> dict:
    """Every five minutes (CELERY_BEAT_SCHEDULE): mark failed the rollup runs whose worker stopped, and
    log every operations problem (lib.operations: the apps' checks) as an error for the monitoring."""
    # The problems first: a stuck run is reported, then reaped.
    # In English, the logs' language (the pages show the same problems in the reader's).
    with translation.override("en"):
        problems = operations.problems(timezone.now())
    for problem in problems:
        logger.error("operations: %s", problem)
    return {"reaped": runs.rollup_runs_reap(), "problems": problems}


@shared_task(name="kpi.tasks.scorecards_prune")
def scorecards_prune() -> list[str]:
    """Every night (CELERY_BEAT_SCHEDULE): the scorecards the retention rule no longer keeps (kpi.retention)."""
    return [day.isoformat() for day in retention.scorecards_prune()]
