"""The alert evaluation and the Monday reviews as "every period not yet done" jobs, like the rollup.

A night or a Monday when the beat, the broker or a worker was down must not leave a published day
unevaluated or a week without its reviews for ever. Each job records what it has done (PeriodDone,
with the rollup run it read); the scheduled tasks do whatever is not done yet:

- evaluation: every published day of the last ALERTS_CATCH_UP_DAYS whose published run has not been
  evaluated (never, or the day was published again after a late fact), oldest first;
- missing data: yesterday every quarter of an hour once its cut-off has passed, and each of the three
  days before it that was never checked after its cut-off (the beat was down from the cut-off to
  midnight), oldest first;
- reviews: every week not reviewed from the first one reviewed up to last week (before the first: last
  week), at most as far back as ALERTS_CATCH_UP_DAYS; a week whose Sunday is not published yet stays
  pending, and is reviewed once it is, even after a later week was.

Both services are safe to run twice, so doing a period again changes nothing.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Min
from django.utils import timezone

from alerts.models import PeriodDone
from alerts.services.evaluation import Evaluation, alerts_check_missing, alerts_evaluate
from alerts.services.reviews import ReviewsCreated, weekly_reviews_create
from kpi.models import RollupDay
from lib.periods import PeriodKind, period_of

WEEK = datetime.timedelta(days=7)


def evaluation_pending_days(*, today: datetime.date | None = None) -> list[datetime.date]:
    today = today or timezone.localdate()
    window = (today - datetime.timedelta(days=settings.ALERTS_CATCH_UP_DAYS), today - datetime.timedelta(days=1))
    published = dict(
        RollupDay.objects.filter(date__range=window).exclude(published_run=None).values_list("date", "published_run")
    )
    done = dict(
        PeriodDone.objects.filter(job=PeriodDone.Job.EVALUATION, start__range=window).values_list("start", "run_id")
    )
    return sorted(day for day, run_id in published.items() if done.get(day) != run_id)


def alerts_evaluate_recorded(*, day: datetime.date) -> Evaluation:
    """alerts_evaluate, recorded as done for the run published when it began (published again meanwhile,
    the day stays pending) when the day is published and no rule failed."""
    run_id = RollupDay.objects.filter(date=day).values_list("published_run", flat=True).first()
    result = alerts_evaluate(day=day)
    if run_id is not None and not result.failed:
        PeriodDone.record(PeriodDone.Job.EVALUATION, day, run_id)
    return result


def alerts_evaluate_pending(*, today: datetime.date | None = None) -> list[Evaluation]:
    return [alerts_evaluate_recorded(day=day) for day in evaluation_pending_days(today=today)]


def reviews_pending_weeks(*, today: datetime.date | None = None) -> list[datetime.date]:
    """Mondays of the weeks still to review, oldest first: every week from the first one reviewed (at most
    ALERTS_CATCH_UP_DAYS back) up to last week that is not done, so a week whose Sunday was published late
    is reviewed even after a later week was; before the first review, last week."""
    today = today or timezone.localdate()
    last_week = period_of(PeriodKind.WEEK, today).start - WEEK
    earliest = period_of(PeriodKind.WEEK, today - datetime.timedelta(days=settings.ALERTS_CATCH_UP_DAYS)).start
    reviews = PeriodDone.objects.filter(job=PeriodDone.Job.REVIEWS)
    first_done = reviews.aggregate(first=Min("start"))["first"]
    if first_done is None:
        return [last_week]
    done = set(reviews.filter(start__gte=earliest).values_list("start", flat=True))
    weeks = []
    week = max(first_done, earliest)
    while week <= last_week:
        if week not in done:
            weeks.append(week)
        week += WEEK
    return weeks


# How far back the quarter-hourly missing-data check makes up a day it never checked after its cut-off
# (the beat down from the cut-off to midnight, the evaluation at the rollup having run before it).
MISSING_DATA_CATCH_UP_DAYS = 3


def missing_data_pending_days(*, today: datetime.date | None = None) -> list[datetime.date]:
    """The days the missing-data check takes, oldest first: each of the MISSING_DATA_CATCH_UP_DAYS days
    before yesterday it has not done since it first ran (a day before that is nobody's to make up), then
    yesterday, checked every time (an outlet reporting late clears its alert)."""
    today = today or timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    checks = PeriodDone.objects.filter(job=PeriodDone.Job.MISSING_DATA)
    first_done = checks.aggregate(first=Min("start"))["first"]
    if first_done is None:
        return [yesterday]
    window = [yesterday - datetime.timedelta(days=back) for back in range(MISSING_DATA_CATCH_UP_DAYS, 0, -1)]
    done = set(checks.filter(start__in=window).values_list("start", flat=True))
    return [day for day in window if day >= first_done and day not in done] + [yesterday]


def alerts_check_missing_pending(*, now: datetime.datetime | None = None) -> list[Evaluation]:
    """alerts_check_missing for each day missing_data_pending_days names, each recorded as done once
    every rule of it was checked after its cut-off."""
    now = now or timezone.now()
    results = []
    for day in missing_data_pending_days(today=timezone.localdate(now)):
        result = alerts_check_missing(day=day, now=now)
        if not result.skipped and not result.failed:
            PeriodDone.record(PeriodDone.Job.MISSING_DATA, day, None)
        results.append(result)
    return results


def weekly_reviews_pending(*, today: datetime.date | None = None) -> list[ReviewsCreated]:
    results = []
    for week in reviews_pending_weeks(today=today):
        sunday = week + datetime.timedelta(days=6)
        run_id = RollupDay.objects.filter(date=sunday).values_list("published_run", flat=True).first()
        result = weekly_reviews_create(week_start=week)
        if result.published:
            PeriodDone.record(PeriodDone.Job.REVIEWS, week, run_id)
        results.append(result)
    return results
