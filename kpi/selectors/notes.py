"""Notes on the figures (标注), read: which notes a reader sees, and which show on a unit's or a staff
member's charts, its notes page and the bulletin.

Where a note shows. A note on a unit speaks to its whole subtree and moves the totals above it:

- on a unit's charts and pages: the notes on the unit itself, on every unit above it (HQ's 国庆节 on
  every outlet) and on every unit below it (an outlet's 大额到期 explains its sub-branch's dip);
- on a staff member's: the notes on the units they were assigned to during the days shown, and above;
- in the bulletin of a day: the notes of that day on the ranked units and above them.

Who reads it: only notes on the units of `Scope.notice_units` (staff.access), so a neighbour outlet's note
stays out of an outlet head's sight even where it would show. A note with a metric shows on that metric's
charts only. A unit high in the tree may gather many notes from below: the nearest MAX_SHOWN are shown
(the unit's own and those above first, then the ones below by depth and date), and the page says how
many more there are.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from branches.models import OrgUnit
from kpi.models import Annotation, Metric
from staff.access import Scope
from staff.models import Assignment, StaffMember

# The most notes a chart and its list show.
MAX_SHOWN = 20


def annotations_visible(*, scope: Scope) -> QuerySet[Annotation]:
    """Every note this scope may read (one query when evaluated)."""
    return Annotation.objects.filter(unit__in=scope.notice_units()).select_related("unit", "metric")


def get_annotation_or_404(scope: Scope, annotation_id: int) -> Annotation:
    """The note with this id if the scope may read it; 404 whether it is missing or out of sight."""
    note = annotations_visible(scope=scope).filter(pk=annotation_id).first()
    if note is None:
        raise Http404("No such note.")
    return note


def _units_condition(units: list[OrgUnit], *, below: bool) -> Q:
    """Notes on these units and above them, and (`below`) on their subtrees: read off the paths."""
    codes = {code for unit in units for code in (*unit.ancestor_codes, unit.code)}
    condition = Q(unit__code__in=codes)
    if below:
        for unit in units:
            condition |= Q(unit__path__startswith=unit.path)
    return condition


@dataclass(frozen=True)
class Notes:
    """The notes shown for an entity over some days: at most MAX_SHOWN, and how many more there are."""

    shown: list[Annotation]
    more: int = 0


def annotations_for(
    *,
    scope: Scope,
    first: datetime.date,
    last: datetime.date,
    unit: OrgUnit | None = None,
    staff: StaffMember | None = None,
    metric: Metric | None = None,
) -> Notes:
    """The notes that show on a unit's (or a staff member's) charts from `first` to `last`, for one metric
    or for all (a note with a metric is then kept for that metric's chart): one query (two when there are
    more than MAX_SHOWN, to count them)."""
    if (unit is None) == (staff is None):
        raise ValueError("annotations_for: pass exactly one of unit= or staff=")
    if unit is not None:
        condition = _units_condition([unit], below=True)
    else:
        # On a unit they were assigned to during these days, or above it: the note's unit's path begins
        # the path of the unit of such an assignment.
        held = Assignment.objects.filter(staff=staff, start__lte=last, unit__path__startswith=OuterRef("unit__path"))
        condition = Q(Exists(held.filter(Q(end__isnull=True) | Q(end__gte=first))))
    notes = annotations_visible(scope=scope).filter(condition).overlapping(first, last)
    if metric is not None:
        notes = notes.filter(Q(metric=None) | Q(metric=metric))
    found = list(notes.order_by("unit__depth", "-start", "pk")[: MAX_SHOWN + 1])
    total = len(found) if len(found) <= MAX_SHOWN else notes.count()
    return Notes(
        shown=sorted(found[:MAX_SHOWN], key=lambda note: (note.start, note.end, note.pk)),
        more=total - min(total, MAX_SHOWN),
    )


def annotations_of_day(*, scope: Scope, day: datetime.date, units: list[OrgUnit], below: bool = False) -> Notes:
    """The bulletin's notes: those of `day` on these units and above them, and (`below`) in their
    subtrees, as this scope may read them. The bulletin of a subtree passes its unit with `below`; of a
    peer group, its outlets."""
    if not units:
        return Notes(shown=[])
    notes = annotations_visible(scope=scope).filter(_units_condition(units, below=below)).overlapping(day, day)
    found = list(notes.order_by("unit__depth", "start", "pk")[: MAX_SHOWN + 1])
    total = len(found) if len(found) <= MAX_SHOWN else notes.count()
    return Notes(shown=found[:MAX_SHOWN], more=total - min(total, MAX_SHOWN))


def annotations_of_unit(*, scope: Scope, unit: OrgUnit, limit: int = 100) -> Notes:
    """The notes page of a unit: every note that shows on its charts, newest first."""
    notes = annotations_visible(scope=scope).filter(_units_condition([unit], below=True))
    found = list(notes.order_by("-start", "-end", "-pk")[: limit + 1])
    total = len(found) if len(found) <= limit else notes.count()
    return Notes(shown=found[:limit], more=total - min(total, limit))


def annotations_of_bulletin(
    *, scope: Scope, day: datetime.date | None, unit: OrgUnit | None = None, outlets: list[OrgUnit] | None = None
) -> Notes:
    """The notes of the bulletin's day: for a unit's subtree, the notes on the unit, above it and below it;
    for a peer group, on its ranked outlets (the bulletin's rows, already read) and above them. One query."""
    if day is None:
        return Notes(shown=[])
    if unit is not None:
        return annotations_of_day(scope=scope, day=day, units=[unit], below=True)
    return annotations_of_day(scope=scope, day=day, units=outlets or [])
