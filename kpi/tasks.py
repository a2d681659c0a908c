"""Thin Celery tasks around kpi services: they take dates, call a service, and are safe to run twice.

The rollup tasks run in the web process's background thread in the embedded default (no broker; see
lib.background), so a facts POST never waits for a rollup."""

from __future__ import annotations

import datetime
import logging

from celery import chord, group, shared_task
from django.conf import settings
from django.utils import timezone, translation

from kpi import retention
from kpi.models import RollupRun
from kpi.selectors import scorecard_json
from kpi.services import fanout, rollup, runs
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


# -- a day fanned out over the workers (issue 21: kpi.services.fanout) ------------------------------------


@shared_task(name="kpi.tasks.rollup_fanout_day")
def rollup_fanout_day(date: str, depth: int = 1, queue: str | None = None) -> int | None:
    """Plan a fanned-out day (one part per subtree at `depth`) and send its chord: the parts on any
    worker (of `queue`, if given), then rollup_fanout_finish. Returns the run id (None when the month is
    closed)."""
    fanout_plan = fanout.plan(day=datetime.date.fromisoformat(date), depth=depth)
    if fanout_plan is None:
        return None
    fanout_dispatch(fanout_plan.pk, queue=queue)
    return fanout_plan.run_id


def fanout_dispatch(fanout_id: int, *, queue: str | None = None) -> None:
    """Send a chord of the parts that are not done, then the finish."""
    from kpi.models import RollupFanout

    options = {"queue": queue} if queue else {}
    parts = fanout.parts_missing(RollupFanout.objects.get(pk=fanout_id))
    header = group(rollup_part.si(part_id).set(**options) for part_id in parts)
    chord(header, rollup_fanout_finish.si(fanout_id, queue=queue).set(**options)).delay()


@shared_task(name="kpi.tasks.rollup_part", acks_late=True, reject_on_worker_lost=True)
def rollup_part(part_id: int) -> str:
    """One part of a fanned-out day. Acknowledged once done: the part of a worker that died is handed to
    another, which takes it over once its heartbeat is stale (kpi.services.fanout.part_claim)."""
    return fanout.part_run(part_id=part_id)


@shared_task(name="kpi.tasks.rollup_fanout_finish", bind=True, max_retries=None, acks_late=True)
def rollup_fanout_finish(self, fanout_id: int, queue: str | None = None) -> str:
    """The upper levels, the network's ranks and the publication. A part still running elsewhere (a
    redelivered part found its first worker alive) makes it wait and try again; a dead part (stale
    heartbeat) is sent again meanwhile."""
    try:
        return fanout.finish(fanout_id=fanout_id).status
    except fanout.NotReady as exc:
        for part_id in fanout.parts_claimable(fanout_id=fanout_id):
            rollup_part.apply_async((part_id,), **({"queue": queue} if queue else {}))
        raise self.retry(exc=exc, countdown=settings.FANOUT_FINISH_RETRY, **({"queue": queue} if queue else {}))


@shared_task(name="kpi.tasks.rollup_fanout_resume")
def rollup_fanout_resume(fanout_id: int, queue: str | None = None) -> None:
    """Repair a fanned-out day whose chord was lost or whose part failed: its parts that are not done are
    sent again, then the finish."""
    fanout_dispatch(fanout_id, queue=queue)


@shared_task(name="kpi.tasks.scorecards_prune")
def scorecards_prune() -> list[str]:
    """Every night (CELERY_BEAT_SCHEDULE): the scorecards the retention rule no longer keeps (kpi.retention),
    then the running totals no rollup reads any more (kpi.services.rollup.states_prune)."""
    pruned = retention.scorecards_prune()
    rollup.states_prune()
    return [day.isoformat() for day in pruned]


@shared_task(name="kpi.tasks.scorecards_warm", base=InBackgroundWhenEager)
def scorecards_warm(date: str) -> int:
    """Queued by kpi.receivers once a day is published: its month scorecards' JSON put in the API's cache
    ahead of their first reader (kpi.selectors.scorecard_json.scorecards_warm). Safe to run twice (the
    cards kept are not computed again) and to lose (a card not warmed is computed by its reader)."""
    return scorecard_json.scorecards_warm(
        day=datetime.date.fromisoformat(date), limit=settings.API_SCORECARD_WARM_CARDS
    )
