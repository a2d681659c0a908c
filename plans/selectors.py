"""Reads of the target-plan pages (plans.views) and services: who is planned at a level, what they did
and were asked before, the plans and acknowledgements a reader sees.

Figures of the past come from the published scorecards of a period's last day (or of the latest
rolled-up day, for a period still running): the actual and target the scorecards showed, for units and
staff alike, ratios included. A period's last day always keeps its scorecards (kpi.retention). Every
function reads a fixed number of queries, whatever the number of units, staff and metrics.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from branches.models import OrgUnit
from kpi.models import Metric, Scorecard, ScorecardLine, Target
from kpi.selectors.scorecards import latest_rolled_up_date
from lib.periods import Period, PeriodKind, period_of
from plans.models import AcknowledgementStatus, Plan, PlanCell, TargetAcknowledgement
from staff.access import Scope
from staff.models import Assignment, StaffMember

# How many complete earlier periods a proportional split may be based on (the newest first).
BASIS_CHOICES = 4


@dataclass(frozen=True)
class Entity:
    """A row of a plan: a unit, or a staff member planned at an outlet (`unit`)."""

    unit: OrgUnit
    staff: StaffMember | None = None

    @property
    def is_staff(self) -> bool:
        return self.staff is not None

    @property
    def key(self) -> tuple[int, int | None]:
        """The cell's (unit id, staff id)."""
        return (self.unit.pk, self.staff.pk if self.staff is not None else None)

    @property
    def holder(self) -> tuple[str, int]:
        """Whose target and scorecard it is: ("unit", id) or ("staff", id) (a staff target follows the
        person, not the outlet)."""
        return ("staff", self.staff.pk) if self.staff is not None else ("unit", self.unit.pk)

    @property
    def code(self) -> str:
        return self.staff.code if self.staff is not None else self.unit.code

    @property
    def field_key(self) -> str:
        """The entity in a form field's name: `GZ0101:` for a unit, `GZ0101:S1001` for a staff member."""
        return f"{self.unit.code}:{self.staff.code if self.staff is not None else ''}"


# -- periods ----------------------------------------------------------------------------------------


def same_period_last_year(period: Period) -> Period:
    """The same month, quarter or year a year before; for a week, the week 52 weeks before (same
    weekdays); for a day, the same date (28 February for a 29th)."""
    if period.kind == PeriodKind.WEEK:
        return period_of(PeriodKind.WEEK, period.start - datetime.timedelta(weeks=52))
    start = period.start
    try:
        day = start.replace(year=start.year - 1)
    except ValueError:  # 29 February
        day = start.replace(year=start.year - 1, day=28)
    return period_of(period.kind, day)


def as_of(period: Period, latest: datetime.date | None) -> datetime.date | None:
    """The day whose scorecards give the period's figures: its last day once rolled up, else the latest
    rolled-up day inside it; None before it started (or before any rollup)."""
    if latest is None or latest < period.start:
        return None
    return min(period.end, latest)


def complete_periods(kind: PeriodKind | str, latest: datetime.date | None, count: int = BASIS_CHOICES) -> list[Period]:
    """The `count` latest periods of `kind` that are over and rolled up to their last day (a basis of
    proportion is never the current, incomplete period), newest first."""
    if latest is None:
        return []
    current = period_of(kind, latest)
    newest = current if current.end == latest else current.previous()
    periods = [newest]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    return periods


def sub_period_kinds(kind: PeriodKind | str) -> tuple[PeriodKind, ...]:
    """What a plan of this kind can be broken into over time: a year into quarters or months, a
    quarter into months (kpi.services.decomposition.sub_periods)."""
    return {
        PeriodKind.YEAR: (PeriodKind.QUARTER, PeriodKind.MONTH),
        PeriodKind.QUARTER: (PeriodKind.MONTH,),
    }.get(PeriodKind(kind), ())


# -- who is planned at a level ----------------------------------------------------------------------


def staff_of_outlets(outlets: Iterable[OrgUnit], period: Period) -> dict[int, list[Entity]]:
    """The staff assigned to each outlet some day of `period` (outlet id → entities, by staff code):
    one query."""
    by_id = {outlet.pk: outlet for outlet in outlets}
    if not by_id:
        return {}
    assignments = (
        Assignment.objects.filter(unit_id__in=by_id, start__lte=period.end)
        .filter(Q(end__isnull=True) | Q(end__gte=period.start))
        .select_related("staff")
        .order_by("unit_id", "staff__code")
    )
    found: dict[int, dict[int, Entity]] = {}
    for assignment in assignments:
        found.setdefault(assignment.unit_id, {}).setdefault(
            assignment.staff_id, Entity(unit=by_id[assignment.unit_id], staff=assignment.staff)
        )
    return {unit_id: list(people.values()) for unit_id, people in found.items()}


def level_entities(level: OrgUnit, period: Period) -> list[Entity]:
    """The rows of a level: a unit's active child units, or an outlet's staff during the period."""
    if level.is_outlet:
        return staff_of_outlets([level], period).get(level.pk, [])
    return [Entity(unit=child) for child in OrgUnit.objects.filter(parent=level).active().order_by("path")]


def subtree_levels(level: OrgUnit, period: Period) -> dict[OrgUnit, list[Entity]]:
    """Every level from `level` down: each active unit of its subtree above outlets → its active child
    units, each outlet → its staff during the period; top-down (a parent before its children). Two
    queries."""
    units = list(OrgUnit.objects.subtree(level).active().order_by("depth", "path"))
    children: dict[int, list[Entity]] = {}
    for unit in units:
        if unit.pk != level.pk and unit.parent_id is not None:
            children.setdefault(unit.parent_id, []).append(Entity(unit=unit))
    staff = staff_of_outlets([unit for unit in units if unit.is_outlet], period)
    levels = {}
    for unit in units:
        rows = staff.get(unit.pk, []) if unit.is_outlet else children.get(unit.pk, [])
        if rows:
            levels[unit] = sorted(rows, key=lambda entity: entity.staff.code if entity.is_staff else entity.unit.path)
    return levels


def metrics_at(metrics: Iterable[Metric], level: OrgUnit) -> list[Metric]:
    """The metrics a level's rows are planned in: staff rows (under an outlet) only the metrics measured
    per staff member (Metric.level), unit rows only those measured per unit."""
    if level.is_outlet:
        return [metric for metric in metrics if metric.for_staff]
    return [metric for metric in metrics if metric.for_units]


# -- figures ----------------------------------------------------------------------------------------


def scorecard_figures(
    entities: Iterable[Entity], metrics: Iterable[Metric], kind: PeriodKind | str, days: Iterable[datetime.date]
) -> dict[tuple, tuple[Decimal | None, Decimal | None]]:
    """(holder, metric id, day) → (actual, target) of the published scorecards of period kind `kind` on
    those days. Two queries."""
    days = sorted({day for day in days if day is not None})
    entities = list(entities)
    metric_ids = [metric.pk for metric in metrics]
    if not days or not entities or not metric_ids:
        return {}
    unit_ids = {entity.unit.pk for entity in entities if not entity.is_staff}
    staff_ids = {entity.staff.pk for entity in entities if entity.is_staff}
    cards = {
        pk: (("staff", staff_id) if staff_id else ("unit", unit_id), day)
        for pk, unit_id, staff_id, day in Scorecard.objects.published()
        .filter(date__in=days, period=str(kind))
        .filter(Q(unit_id__in=unit_ids, staff__isnull=True) | Q(staff_id__in=staff_ids))
        .values_list("pk", "unit_id", "staff_id", "date")
    }
    figures = {}
    for scorecard_id, metric_id, actual, target in ScorecardLine.objects.filter(
        scorecard_id__in=list(cards), metric_id__in=metric_ids
    ).values_list("scorecard_id", "metric_id", "actual", "target"):
        holder, day = cards[scorecard_id]
        figures[(holder, metric_id, day)] = (actual, target)
    return figures


def current_targets(
    entities: Iterable[Entity], metrics: Iterable[Metric], periods: Iterable[Period]
) -> dict[tuple, Decimal]:
    """(holder, metric id, period kind, period start) → the target set now. One query."""
    entities = list(entities)
    periods = list(periods)
    unit_ids = {entity.unit.pk for entity in entities if not entity.is_staff}
    staff_ids = {entity.staff.pk for entity in entities if entity.is_staff}
    if not entities or not periods:
        return {}
    rows = Target.objects.filter(
        Q(unit_id__in=unit_ids, staff__isnull=True) | Q(staff_id__in=staff_ids, unit__isnull=True),
        metric__in=list(metrics),
        period_kind__in={period.kind.value for period in periods},
        period_start__in={period.start for period in periods},
    ).values_list("unit_id", "staff_id", "metric_id", "period_kind", "period_start", "value")
    return {
        (("staff", staff_id) if staff_id else ("unit", unit_id), metric_id, kind, start): value
        for unit_id, staff_id, metric_id, kind, start, value in rows
    }


def plan_cells(plan: Plan, *, periods: Iterable[Period] | None = None) -> dict[tuple, PlanCell]:
    """(unit id, staff id, metric id, period kind, period start) → the plan's cell. One query."""
    cells = PlanCell.objects.filter(plan=plan)
    if periods is not None:
        periods = list(periods)
        cells = cells.filter(
            period_kind__in={period.kind.value for period in periods},
            period_start__in={period.start for period in periods},
        )
    return {(cell.unit_id, cell.staff_id, cell.metric_id, cell.period_kind, cell.period_start): cell for cell in cells}


def cell_key(entity: Entity, metric: Metric, period: Period) -> tuple:
    return (*entity.key, metric.pk, period.kind.value, period.start)


def target_key(entity: Entity, metric: Metric, period: Period) -> tuple:
    return (entity.holder, metric.pk, period.kind.value, period.start)


@dataclass(frozen=True)
class History:
    """What the grid shows beside each proposal: the periods and the figures of each (entity, metric)."""

    latest: datetime.date | None
    last_period: Period
    last_as_of: datetime.date | None
    last_year: Period
    last_year_as_of: datetime.date | None
    figures: dict
    targets: dict

    def last(self, entity: Entity, metric: Metric) -> tuple[Decimal | None, Decimal | None]:
        return self.figures.get((entity.holder, metric.pk, self.last_as_of), (None, None))

    def last_year_actual(self, entity: Entity, metric: Metric) -> Decimal | None:
        return self.figures.get((entity.holder, metric.pk, self.last_year_as_of), (None, None))[0]

    def actual_of(self, entity: Entity, metric: Metric, day: datetime.date | None) -> Decimal | None:
        return self.figures.get((entity.holder, metric.pk, day), (None, None))[0]

    def target(self, entity: Entity, metric: Metric, period: Period) -> Decimal | None:
        return self.targets.get(target_key(entity, metric, period))


def plan_history(
    *,
    period: Period,
    entities: Iterable[Entity],
    metrics: Iterable[Metric],
    basis: Iterable[Period] = (),
    periods: Iterable[Period] = (),
) -> History:
    """The last period's actual and target, the same period last year's, each entity's current target of
    `period` (and of `periods`, the sub-periods shown), and the actuals of the `basis` periods (complete
    periods of the same kind a split may be proportional to). Four queries."""
    entities, metrics = list(entities), list(metrics)
    latest = latest_rolled_up_date()
    last_period, last_year = period.previous(), same_period_last_year(period)
    last_as_of, last_year_as_of = as_of(last_period, latest), as_of(last_year, latest)
    days = [last_as_of, last_year_as_of, *(as_of(basis_period, latest) for basis_period in basis)]
    return History(
        latest=latest,
        last_period=last_period,
        last_as_of=last_as_of,
        last_year=last_year,
        last_year_as_of=last_year_as_of,
        figures=scorecard_figures(entities, metrics, period.kind, days),
        targets=current_targets(entities, metrics, [period, last_period, *periods]),
    )


# -- plans and acknowledgements ---------------------------------------------------------------------


def plans_visible(*, scope: Scope) -> QuerySet[Plan]:
    """The plans of the units the reader sees (a plan of a unit above them is not theirs to read),
    newest first, with their acknowledgements counted."""
    return (
        Plan.objects.filter(scope.unit_records())
        .select_related("unit", "created_by", "published_by")
        .annotate(
            acknowledgements_total=Count("acknowledgements", distinct=True),
            acknowledgements_pending=Count(
                "acknowledgements",
                filter=Q(acknowledgements__status=AcknowledgementStatus.PENDING),
                distinct=True,
            ),
            acknowledgements_review=Count(
                "acknowledgements",
                filter=Q(acknowledgements__status=AcknowledgementStatus.REVIEW),
                distinct=True,
            ),
        )
        .order_by("-created_at", "-pk")
    )


def plans_of_same_period(plan: Plan) -> list[Plan]:
    """The unit's other plans for the plan's period (a draft revising a published plan, or the published
    plans it revises), newest first: the page names them, so two plans of one week are never a surprise.
    One query."""
    return list(
        Plan.objects.filter(unit_id=plan.unit_id, period_kind=plan.period_kind, period_start=plan.period_start)
        .exclude(pk=plan.pk)
        .select_related("published_by")
        .order_by("-created_at", "-pk")
    )


def acknowledgements_for(*, scope: Scope) -> QuerySet[TargetAcknowledgement]:
    """The acknowledgements the reader answers: those of the unit they head (outlet head, unit manager),
    pending first, newest plans first."""
    if not scope.unit_path or scope.role == "":
        return TargetAcknowledgement.objects.none()
    return (
        TargetAcknowledgement.objects.filter(unit__path=scope.unit_path)
        .select_related("plan", "unit", "answered_by")
        .order_by("-plan__published_at", "-pk")
    )


def acknowledgement_targets(acknowledgement: TargetAcknowledgement) -> list[PlanCell]:
    """The proposals the plan gave the acknowledging unit and the staff planned at it (two queries with
    their metric and staff)."""
    return list(
        PlanCell.objects.filter(plan_id=acknowledgement.plan_id, unit_id=acknowledgement.unit_id, value__isnull=False)
        .select_related("metric", "staff")
        .order_by("staff__code", "metric__sort_order", "period_start")
    )
