"""Thin Celery tasks around kpi services: they take dates, call a service, and are safe to run twice."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.utils import timezone

from kpi.models import RollupRun
from kpi.services import rollup


@shared_task(name="kpi.tasks.rollup_pending")
def rollup_pending() -> list[str]:
    """Roll up every day that is stale or newly has facts (queued after each ingest batch commits)."""
    return [day.isoformat() for day in rollup.rollup_pending()]


@shared_task(name="kpi.tasks.rollup_morning")
def rollup_morning() -> list[str]:
    """Every morning (CELERY_BEAT_SCHEDULE): yesterday's business day, even if no fact came in (stocks
    carry forward), and every stale day."""
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    return [day.isoformat() for day in rollup.rollup_pending(through=yesterday)]


@shared_task(name="kpi.tasks.rollup_day")
def rollup_day(date: str) -> int:
    """Roll up one business day (YYYY-MM-DD); returns the run id."""
    return rollup.rollup_day(day=datetime.date.fromisoformat(date)).pk


@shared_task(name="kpi.tasks.rollup_run")
def rollup_run(run_id: int) -> str:
    """Carry out a rollup run queued by the API (POST /api/v1/rollups/). A run that is no longer queued
    (a redelivered message, a second worker) is left alone: safe to run twice."""
    claimed = RollupRun.objects.filter(pk=run_id, status=RollupRun.Status.QUEUED).update(
        status=RollupRun.Status.RUNNING, message="waiting for any other rollup to finish"
    )
    if not claimed:
        return "not queued"
    run = RollupRun.objects.get(pk=run_id)
    return rollup.rollup_day(day=run.date, run=run).status
