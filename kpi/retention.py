"""Which days keep their scorecards (the one home of the retention rule).

Daily scorecards are kept for SCORECARD_RETENTION_DAYS; an older day keeps them only if it ends a
week, month, quarter or year (what reviews and pay are based on). The rollup applies the rule when it
writes a day; the nightly scorecards_prune applies it to the days that have aged past it since (their
lines by dropping the day's partition on PostgreSQL, kpi.partitions); the reads use it to say why a
published day has no scorecards ("not kept", with the nearest day that has them) instead of answering
as if there were none.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kpi.models import RollupDay, RollupRun, RollupState, Scorecard, ScorecardLine
from kpi.partitions import (
    line_partitions,
    lines_by_run,
    lines_of_day_drop,
    run_tables_passed_by_drop,
    runs_passed_by,
    states_in_plain,
    states_tables_passed_by_drop,
)
from lib.periods import PeriodKind, period_of

# The statuses of a run a publication may have passed by (kpi.partitions.runs_passed_by).
PASSED_BY_STATUSES = (RollupRun.Status.SUPERSEDED, RollupRun.Status.FAILED, RollupRun.Status.SKIPPED)
LONG_KINDS = (PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR)
# A week end is never more than three days away; a month is the furthest the search needs to look.
_SEARCH = datetime.timedelta(days=31)


def keeps_scorecards(day: datetime.date, today: datetime.date) -> bool:
    if (today - day).days <= settings.SCORECARD_RETENTION_DAYS:
        return True
    return any(period_of(kind, day).end == day for kind in LONG_KINDS)


@dataclass(frozen=True)
class NotKept:
    day: datetime.date
    nearest: datetime.date | None  # the nearest published day whose scorecards were kept

    def api_message(self) -> str:
        nearest = f"; the nearest day kept is {self.nearest}" if self.nearest else ""
        return (
            f"the scorecards of {self.day} were not kept: daily scorecards are kept for "
            f"{settings.SCORECARD_RETENTION_DAYS} days, older days only at the end of a week, month, quarter "
            f"or year{nearest}"
        )


def scorecards_not_kept(*, date: datetime.date, today: datetime.date | None = None) -> NotKept | None:
    """NotKept when `date` is published but its scorecards were pruned by the retention rule (the run
    wrote none, and the rule does not keep the day); None otherwise. Two queries at most."""
    today = today or timezone.localdate()
    if keeps_scorecards(date, today):
        return None
    published = RollupDay.objects.filter(date=date).exclude(published_run=None).select_related("published_run")
    day = published.first()
    if day is None or day.published_run.scorecards:
        return None
    around = (
        RollupDay.objects.filter(date__range=(date - _SEARCH, date + _SEARCH))
        .exclude(published_run=None)
        .exclude(published_run__scorecards=0)
        .values_list("date", flat=True)
    )
    kept = [other for other in around if keeps_scorecards(other, today)]
    # The nearest; of two as near, the later (the more recent figures).
    nearest = min(kept, key=lambda other: (abs((other - date).days), -other.toordinal()), default=None)
    return NotKept(day=date, nearest=nearest)


def scorecards_prune(*, today: datetime.date | None = None) -> list[datetime.date]:
    """Remove the scorecards and lines of every day the rule no longer keeps (older than the retention,
    ending no period); the days pruned, oldest first. A day's lines go with its partition (one DROP, not a
    DELETE of 1.75 M rows), its scorecards with one DELETE by date, and its runs say they kept none, so the
    reads answer "not kept" (scorecards_not_kept). On PostgreSQL it then drops the run tables of lines that
    no reader reaches any more (kpi.partitions.run_tables_passed_by: a superseded run's that its
    publication could not drop, a fanned-out run's that never published). Safe to run twice: a pruned day
    is not found again."""
    today = today or timezone.localdate()
    horizon = today - datetime.timedelta(days=settings.SCORECARD_RETENTION_DAYS)
    with_rows = set(
        RollupRun.objects.filter(date__lt=horizon)
        .exclude(scorecards=0, lines=0)
        .values_list("date", flat=True)
        .distinct()
    )
    days = sorted(
        day for day in with_rows | {d for d in line_partitions() if d < horizon} if not keeps_scorecards(day, today)
    )
    for day in days:
        with transaction.atomic():
            lines_of_day_drop(day)
            Scorecard.objects.filter(date=day).delete()
            RollupRun.objects.filter(date=day).update(scorecards=0, lines=0)
    passed_by_discard()
    return days


def passed_by_discard(days: Iterable[datetime.date] | None = None) -> set[int]:
    """Remove the rows of the runs (of `days`, or of every day) that a publication passed by
    (kpi.partitions.runs_passed_by): their scorecards and running totals, their lines (the run's table
    dropped where the day keeps its lines by run, else deleted), a day at a time in transactions of their
    own; the tables of running totals of every run passed by dropped after (states_tables_passed_by_drop:
    also what an earlier call left). A publication calls it once it has committed (kpi.services.rollup):
    a day rolled up again no longer deletes the superseded run's 166,000 scorecards and millions of running
    totals inside the publication's transaction; what a dead worker left is found again here by the nightly retention.
    Readers reach rows only through their day's published run, so these are read by nobody meanwhile.
    Safe to run twice: a run emptied is marked so (`discarded_at`) and not looked at again. The runs whose
    rows were removed.

    The runs to look at are found by that mark, not by asking whether each still has rows: an EXISTS on
    the running totals by run was planned as a sequential scan (the planner expects a run's millions of
    rows to turn up at once), which reads the whole table for a run already emptied: 1.8 s on a province
    bench's 7.4 M running totals after each day rolled up again, minutes on a year's."""
    days = None if days is None else list(days)
    runs = RollupRun.objects.filter(status__in=PASSED_BY_STATUSES, discarded_at=None)
    if days is not None:
        runs = runs.filter(date__in=days)
    pairs = list(runs.values_list("date", "pk"))
    passed = runs_passed_by(pairs)
    by_day: dict[datetime.date, list[int]] = {}
    for day, run_id in pairs:
        if run_id in passed:
            by_day.setdefault(day, []).append(run_id)
    for day, run_ids in sorted(by_day.items()):
        with transaction.atomic():
            # Locked first: a fanned-out part of one of these runs still writing holds the run (FOR KEY
            # SHARE) until it commits, so its rows are there to delete; one that comes later finds the mark
            # and writes nothing.
            list(RollupRun.objects.select_for_update().filter(pk__in=run_ids).values_list("pk", flat=True))
            if not lines_by_run(day):
                ScorecardLine.objects.filter(date=day, scorecard__run_id__in=run_ids).delete()
            Scorecard.objects.filter(run_id__in=run_ids).delete()
            # The running totals in the plain partition (those kept by run: below, dropped).
            RollupState.objects.filter(states_in_plain(), run_id__in=run_ids).delete()
            RollupRun.objects.filter(pk__in=run_ids).update(discarded_at=timezone.now())
    run_tables_passed_by_drop(days)
    states_tables_passed_by_drop()
    return passed
