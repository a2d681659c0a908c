"""Freshness before ranking: has every outlet expected on a business day reported it?

The bulletin ranks, and the push (notify) sends, a day only once its figures are complete, or once HQ's
cut-off (kpi.models.ReportingCutoff, 08:00 the next morning by default) has passed. An outlet that
reported nothing for the day has a scorecard all the same (its balances carried forward, its flows 0),
and would be ranked last on nothing: it is shown as 无数据 (no data) instead, named, and left out of
the ranking.

- Reported: the outlet has at least one fact dated that day (its own or a staff member's), whichever
  batch (IngestBatch) brought it.
- Expected: an outlet open on the day (opened on or before it, not closed by it) that reported on the
  same weekday in at least HABIT_DAYS of the HABIT_WEEKS weeks before. The habit is the one alerts'
  missing-data rule reads: outlets closed at the weekend (light outlets) are not expected on a
  Saturday, and an outlet that has never reported (opened yesterday) is not waited for.
- Final: every expected outlet reported (complete), or the cut-off passed. Before that the day waits.

Read at request time (one query for the outlets, one for HQ's cut-off), so a late batch counts the
moment it is in.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from branches.models import OrgUnit, UnitKind, UnitStatus
from kpi.models import Fact, ReportingCutoff

# An outlet is expected to report on a weekday it reported on in HABIT_DAYS of the HABIT_WEEKS before
# (alerts' missing-data rule reads the same habit).
HABIT_WEEKS = 4
HABIT_DAYS = 2


@dataclass(frozen=True)
class Freshness:
    """How complete the facts of `day` are for a set of outlets, as of `now`.

    expected: how many outlets of the set were expected to report; reported: how many of those did;
    missing: the expected outlets that did not, in tree order; due_at: HQ's cut-off for the day."""

    day: datetime.date
    expected: int
    reported: int
    missing: list[OrgUnit]
    due_at: datetime.datetime
    now: datetime.datetime
    missing_ids: frozenset[int] = field(default=frozenset())

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def cutoff_passed(self) -> bool:
        return self.now >= self.due_at

    @property
    def final(self) -> bool:
        """The day may be ranked and pushed: nothing missing, or no more waiting for it."""
        return self.complete or self.cutoff_passed

    @property
    def waiting(self) -> bool:
        return not self.final


def outlets_expected(*, day: datetime.date, outlets: QuerySet[OrgUnit] | None = None) -> QuerySet[OrgUnit]:
    """The outlets (of `outlets`, else of the network) expected to report `day`, annotated `reported`."""
    outlets = OrgUnit.objects.all() if outlets is None else outlets
    facts = Fact.objects.filter(unit=OuterRef("pk"))
    habit = [day - datetime.timedelta(weeks=week) for week in range(1, HABIT_WEEKS + 1)]
    days_reported = (
        facts.filter(date__in=habit)
        .order_by()
        .values("unit")
        .annotate(days=Count("date", distinct=True))
        .values("days")
    )
    return (
        outlets.filter(kind=UnitKind.OUTLET)
        .filter(Q(opened_on=None) | Q(opened_on__lte=day))
        .filter(Q(closed_on=None, status=UnitStatus.ACTIVE) | Q(closed_on__gt=day))
        .annotate(habit=Coalesce(Subquery(days_reported), 0), reported=Exists(facts.filter(date=day)))
        .filter(habit__gte=HABIT_DAYS)
    )


def freshness_of(
    *,
    day: datetime.date,
    outlets: QuerySet[OrgUnit] | None = None,
    now: datetime.datetime | None = None,
    cutoff: ReportingCutoff | None = None,
) -> Freshness:
    """The freshness of `day` for a set of outlets (a peer group's members, a unit's subtree; the whole
    network when None), as of `now` (the present when None). Two queries (one with `cutoff` given)."""
    now = now or timezone.now()
    cutoff = cutoff or ReportingCutoff.objects.current()
    expected = list(outlets_expected(day=day, outlets=outlets).order_by("path"))
    missing = [outlet for outlet in expected if not outlet.reported]
    return Freshness(
        day=day,
        expected=len(expected),
        reported=len(expected) - len(missing),
        missing=missing,
        due_at=cutoff.due_at(day),
        now=now,
        missing_ids=frozenset(outlet.pk for outlet in missing),
    )
