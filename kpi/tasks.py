"""Thin Celery tasks around kpi services: they take dates, call a service, and are safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="kpi.tasks.rollup_pending")
def rollup_pending() -> list[str]:
    """Roll up every day that is stale or newly has facts (queued after each ingest batch commits)."""
    from kpi.services.rollup import rollup_pending as run

    return [day.isoformat() for day in run()]
