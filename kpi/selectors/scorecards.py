"""Reads of published scorecards (DOMAIN.md §4–5): the latest rolled-up day, a scorecard and its lines,
the units and staff under a scorecard, and the entity a login opens first.

A scorecard is visible only once its run is the published run of its day (RollupDay.published_run):
a rollup that is still writing, failed or was superseded is never read. Every function here issues a
fixed number of queries, however many lines a scorecard has.
"""

from __future__ import annotations

import datetime

from django.db.models import Prefetch
from django.utils import timezone

from branches.models import OrgUnit
from kpi.models import (
    CUMULATIVE,
    Category,
    RollupDay,
    Scorecard,
    ScorecardLine,
    Status,
)
from lib.periods import PeriodKind
from staff.models import Assignment, StaffMember


def latest_published_day() -> RollupDay | None:
    """The latest business day whose results are published (its RollupDay, one query), or None before the
    first rollup. Never today or a later day (a day is rolled up once it is over; one published from a
    fact with a future date is not the day a page opens on)."""
    return RollupDay.objects.published().filter(date__lt=timezone.localdate()).order_by("-date").first()


def latest_rolled_up_date() -> datetime.date | None:
    """The date of latest_published_day(), or None before the first rollup."""
    day = latest_published_day()
    return day.date if day else None


def scorecard_lines(*, scorecard: Scorecard) -> list[ScorecardLine]:
    """The lines of a scorecard with their metric, in catalog order (prefetched by scorecard_get)."""
    return list(scorecard.lines.all())


def scorecard_get(
    *,
    date: datetime.date,
    period: PeriodKind | str,
    unit: OrgUnit | None = None,
    staff: StaffMember | None = None,
) -> Scorecard | None:
    """The published scorecard of a unit or a staff member for a business day and a period kind.

    Two queries: the scorecard (with its unit and staff), then its lines with their metrics ordered
    by the catalog's sort order. None when the day is not rolled up or the entity has no scorecard.
    """
    if (unit is None) == (staff is None):
        raise ValueError("scorecard_get: pass exactly one of unit= or staff=")
    # The day's own published run, not any published run: a scorecard dated D comes from D's rollup.
    # Filtered on the day too: on PostgreSQL only that day's partition of the lines is searched.
    lines = (
        ScorecardLine.objects.filter(date=date)
        .select_related("metric")
        .order_by("metric__sort_order", "metric__code", "pk")
    )
    queryset = Scorecard.objects.published(on=date).filter(period=str(period))
    queryset = queryset.filter(unit=unit, staff=None) if unit is not None else queryset.filter(staff=staff)
    return (
        queryset.select_related("unit", "staff")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("-pk")
        .first()
    )


def scorecard_sections(*, scorecard: Scorecard) -> list[tuple[str, list[ScorecardLine]]]:
    """The lines grouped by metric category (in the catalog's category order), each group in metric
    order; categories without lines are left out. No query beyond the prefetched lines."""
    by_category: dict[str, list[ScorecardLine]] = {}
    for line in scorecard_lines(scorecard=scorecard):
        by_category.setdefault(line.metric.category, []).append(line)
    order = {value: position for position, value in enumerate(Category.values)}
    labels = dict(Category.choices)
    return [
        (labels.get(category, category), by_category[category])
        for category in sorted(by_category, key=lambda category: order.get(category, len(order)))
    ]


# The phone's cards put what needs attention at the top of each category: red, then amber, then the
# rest (on pace, too early in the period to judge, or without a target) in catalog order.
_ATTENTION = {Status.RED: 0, Status.AMBER: 1}


def behind_first(sections: list[tuple[str, list[ScorecardLine]]]) -> list[tuple[str, list[ScorecardLine]]]:
    """The sections of scorecard_sections in the same category order, each one's red lines first, then
    its amber lines, then the others, each kind in its catalog order (a stable sort)."""
    return [
        (category, sorted(lines, key=lambda line: _ATTENTION.get(line.shown_status, len(_ATTENTION))))
        for category, lines in sections
    ]


def child_units(*, unit: OrgUnit) -> list[OrgUnit]:
    """The units directly under this one, in tree order (one query)."""
    return list(OrgUnit.objects.filter(parent=unit).order_by("path"))


def staff_assigned(*, unit: OrgUnit, day: datetime.date) -> list[tuple[StaffMember, list[str]]]:
    """Staff members assigned to the unit on `day`, each once with the names of their posts there
    (one query: a teller may hold two posts at one outlet)."""
    assignments = (
        Assignment.objects.on(day)
        .filter(unit=unit)
        .select_related("staff", "post")
        .order_by("staff__code", "post__sort_order")
    )
    people: dict[int, tuple[StaffMember, list[str]]] = {}
    for assignment in assignments:
        people.setdefault(assignment.staff_id, (assignment.staff, []))[1].append(assignment.post.name)
    return list(people.values())


def staff_assignments_on(*, staff: StaffMember, day: datetime.date) -> list[Assignment]:
    """Where a staff member works on `day`: their assignments with post and unit (one query)."""
    return list(Assignment.objects.on(day).filter(staff=staff).select_related("post", "unit").order_by("unit__path"))


# -- the lines of a page of scorecards, as plain rows (the API's list: kpi/api/scorecards.py) ---------

_PAGE_LINE_COLUMNS = (
    "scorecard_id",
    "pk",
    "metric_id",
    "metric__code",
    "metric__aggregation",
    "metric__direction",
    "metric__time_basis",
    "actual",
    "target",
    "attainment",
    "time_progress",
    "pace_attainment",
    "status",
    "gap_to_pace",
    "required_per_day",
    "score",
    "target_from_children",
    "time_basis",
    "previous_actual",
    "last_year_actual",
    "year_start_actual",
    "year_to_date_actual",
)


class PageMetric:
    """The few attributes of a metric that a page of lines needs (one per metric of the page)."""

    __slots__ = ("aggregation", "code", "direction", "pk", "time_basis")

    def __init__(self, pk, code, aggregation, direction, time_basis):
        self.pk, self.code, self.aggregation, self.direction = pk, code, aggregation, direction
        self.time_basis = time_basis

    @property
    def is_cumulative(self) -> bool:
        return self.aggregation in CUMULATIVE


class PageLine:
    """A scorecard line read as a row, not a model instance: the attributes of ScorecardLine that the
    comparisons (kpi.selectors.comparisons.lines_compare), the score explanation and the API's list
    read. Building 1,500 model instances was most of a page's time (bench/api.py)."""

    __slots__ = (
        "actual",
        "attainment",
        "compared",
        "gap_to_pace",
        "last_year_actual",
        "metric",
        "metric_id",
        "pace_attainment",
        "pk",
        "previous_actual",
        "required_per_day",
        "score",
        "scoring",
        "status",
        "target",
        "target_from_children",
        "time_basis",
        "time_progress",
        "year_start_actual",
        "year_to_date_actual",
    )


def page_lines(scorecards) -> dict[int, list[PageLine]]:
    """The lines of these scorecards (one query), by scorecard id, each scorecard's in catalog order
    (metric sort order, code, id: as scorecard_get prefetches them)."""
    ids = [card.pk for card in scorecards]
    found: dict[int, list[PageLine]] = {pk: [] for pk in ids}
    if not ids:
        return found
    metrics: dict[int, PageMetric] = {}
    # The scorecards' days too: on PostgreSQL only their partitions of the lines are searched (kpi.partitions).
    days = {card.date for card in scorecards}
    rows = (
        ScorecardLine.objects.filter(scorecard_id__in=ids, date__in=days)
        .order_by("metric__sort_order", "metric__code", "pk")
        .values_list(*_PAGE_LINE_COLUMNS)
    )
    for row in rows:
        line = PageLine()
        metric = metrics.get(row[2])
        if metric is None:
            metric = metrics[row[2]] = PageMetric(row[2], row[3], row[4], row[5], row[6])
        line.metric = metric
        line.pk, line.metric_id = row[1], row[2]
        for name, value in zip(_PAGE_LINE_COLUMNS[7:], row[7:], strict=True):
            setattr(line, name, value)
        line.scoring = line.compared = None
        found[row[0]].append(line)
    return found
