"""Writes about targets (DOMAIN.md §4): set one (admin, API) or import a file of them.

Every new or changed target value leaves a TargetChange row (old → new, who, when, from where), and
marks the rollup stale from the period's start, because scorecards of those days show the target.
Writing the same value again changes nothing and leaves no audit row.

A target whose period lies wholly in closed months cannot be set or changed (closed_period_problem):
those months' scorecards are frozen as the basis of pay (kpi.services.closing). A period that reaches
into an open month (a year while only January is closed, a week across the end of a closed month) can.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from branches.models import OrgUnit
from kpi.models import AMOUNT, Metric, MonthClose, Target, TargetChange
from kpi.services.rollup import days_mark_stale
from lib import bulk
from lib.csvimport import Checker, Column, Columns, CsvRow, ImportResult, codes_lookup, decimal, known
from lib.csvimport import period as period_code
from lib.periods import Period, PeriodKind, period_of
from staff.access import Scope
from staff.models import Assignment, StaffMember

TARGET_COLUMNS = Columns(
    Column("period", period_code, required=True),
    Column("unit"),
    Column("staff"),
    Column("metric", required=gettext_lazy("a metric code such as deposit_balance")),
    Column("target", decimal, required=True),
)

# The largest value Target.value holds (20 digits, 4 after the point).
_MAX_VALUE = Decimal(10) ** (AMOUNT["max_digits"] - AMOUNT["decimal_places"])
_PLACES = AMOUNT["decimal_places"]


def value_problem(value: Decimal) -> str | None:
    """What is wrong with a target value, or None."""
    if value < 0:
        return gettext("%(value)s is negative (a target is 0 or more)") % {"value": value}
    if value >= _MAX_VALUE:
        return gettext("%(value)s is too large (less than %(most)s is expected)") % {"value": value, "most": _MAX_VALUE}
    if value != value.quantize(Decimal(1).scaleb(-_PLACES)):
        return gettext("%(value)s has more than %(places)s decimals") % {"value": value, "places": _PLACES}
    return None


def level_problem(metric: Metric, *, for_staff: bool) -> str | None:
    """A staff target needs a metric reported per staff member; a unit target one reported per unit."""
    if for_staff and not metric.for_staff:
        return gettext("metric '%(metric)s' is measured per unit only, not per staff member") % {"metric": metric.code}
    if not for_staff and not metric.for_units:
        return gettext("metric '%(metric)s' is measured per staff member only; give a staff code") % {
            "metric": metric.code
        }
    return None


def months_of(period: Period) -> list[datetime.date]:
    """The first days of the months a period touches (a week across a month end touches two)."""
    months = []
    day = period.start.replace(day=1)
    while day <= period.end:
        months.append(day)
        day = period_of(PeriodKind.MONTH, day).end + datetime.timedelta(days=1)
    return months


def closed_months() -> set[datetime.date]:
    """The closed months, as their first days (one query; for checking many periods at once)."""
    return set(MonthClose.objects.closed().values_list("month", flat=True))


def closed_period_problem(period: Period, closed: set[datetime.date] | None = None) -> str | None:
    """Why a target of `period` cannot be set or changed, or None: every month it touches is closed.
    `closed`: the closed months when the caller read them once (closed_months)."""
    months = months_of(period)
    if closed is None:
        closed = set(MonthClose.objects.closed().filter(month__in=months).values_list("month", flat=True))
    if not all(month in closed for month in months):
        return None
    names = ", ".join(f"{month:%Y-%m}" for month in months)
    return gettext(
        "%(period)s lies in a closed month (%(months)s): its targets are frozen as the basis of pay until HQ reopens "
        "the month"
    ) % {"period": period.code, "months": names}


def _period_of(target: Target) -> Period:
    return Period(target.period_start, target.period_end, PeriodKind(target.period_kind))


def target_is_frozen(target: Target, closed: set[datetime.date] | None = None) -> bool:
    """The target's period lies wholly in closed months: it cannot change (closed_period_problem)."""
    return closed_period_problem(_period_of(target), closed) is not None


def no_assignment_message(staff_code: str, unit_code: str, period: Period) -> str:
    return gettext(
        "staff member '%(staff)s' has no assignment at unit '%(unit)s' during %(period)s (%(start)s – %(end)s); "
        "leave the unit empty or correct the assignments"
    ) % {"staff": staff_code, "unit": unit_code, "period": period.code, "start": period.start, "end": period.end}


def not_in_subtree_message(staff_code: str, period: Period) -> str:
    return gettext(
        "staff member '%(staff)s' is not assigned in your subtree during %(period)s (%(start)s – %(end)s); their "
        "targets of that period are set where they work then"
    ) % {"staff": staff_code, "period": period.code, "start": period.start, "end": period.end}


def target_problems(
    *,
    metric: Metric,
    period: Period,
    value: Decimal,
    unit: OrgUnit | None,
    staff: StaffMember | None,
    scope: Scope | None = None,
) -> dict[str, str]:
    """What stops this target from being set, by argument name (empty when nothing does).

    With the writer's `scope` (a unit manager in the admin, a token): the unit must be in its subtree
    and the staff member assigned inside it during the period (staff.access: writes follow the dates
    of the assignment). Without it the caller has already decided (HQ, the import)."""
    problems: dict[str, str] = {}
    if scope is not None and not scope.everything:
        if unit is not None and not scope.can_see_unit(unit):
            problems["unit"] = gettext("unit '%(unit)s' is outside your subtree") % {"unit": unit.code}
        if staff is not None and not scope.staff(during=(period.start, period.end)).filter(pk=staff.pk).exists():
            problems["staff"] = not_in_subtree_message(staff.code, period)
        if problems:
            return problems
    if unit is None and staff is None:
        problems["unit"] = gettext("a target is for a unit or a staff member; give one of them")
    elif staff is not None and unit is not None:
        overlapping = (
            Assignment.objects.filter(staff=staff, unit=unit, start__lte=period.end)
            .filter(Q(end__isnull=True) | Q(end__gte=period.start))
            .exists()
        )
        if not overlapping:
            problems["unit"] = no_assignment_message(staff.code, unit.code, period)
    if problem := level_problem(metric, for_staff=staff is not None):
        problems["metric"] = problem
    if problem := value_problem(value):
        problems["value"] = problem
    if problem := closed_period_problem(period):
        problems["period"] = problem
    return problems


def target_set(
    *,
    metric: Metric,
    period: Period,
    value: Decimal,
    unit: OrgUnit | None = None,
    staff: StaffMember | None = None,
    changed_by=None,
    source: str,
    token_name: str = "",
    scope: Scope | None = None,
    reference: str = "",
) -> tuple[Target, bool]:
    """Create or update the target of `unit` or `staff` for `metric` and `period`; returns (target, created).

    A staff target may name the unit too, as the import does: the staff member must then have an
    assignment there overlapping the period. It is stored for the staff member alone (unit empty),
    because a staff member's target follows the person, not the outlet.

    `scope`: the writer's, when it is bounded (target_problems). `reference`: where the change came
    from beyond its source (a target plan), kept on the audit row.

    Raises ValidationError (keyed by argument name) when the target cannot be set.
    """
    problems = target_problems(metric=metric, period=period, value=value, unit=unit, staff=staff, scope=scope)
    if problems:
        raise ValidationError(problems)

    holder = {"unit": None, "staff": staff} if staff is not None else {"unit": unit, "staff": None}
    with transaction.atomic():
        target = (
            Target.objects.select_for_update()
            .filter(metric=metric, period_kind=period.kind, period_start=period.start, **holder)
            .first()
        )
        created = target is None
        if created:
            target = Target(metric=metric, period_kind=period.kind, period_start=period.start, **holder)
            old_value = None
        elif target.value == value:
            return target, False
        else:
            old_value = target.value
        target.period = period.code
        target.period_end = period.end
        target.value = value
        target.updated_by = changed_by
        target.save()
        TargetChange.objects.create(
            target=target,
            metric_code=metric.code,
            entity_code=staff.code if staff is not None else unit.code,
            period=period.code,
            old_value=old_value,
            new_value=value,
            changed_by=changed_by,
            token_name=token_name,
            source=source,
            reference=reference,
        )
        days_mark_stale(first_date=period.start)
    return target, created


def targets_delete(*, targets: Iterable[Target], changed_by=None, source: str) -> int:
    """Delete targets, leaving for each an audit row whose new value is empty; returns how many.

    The rollup is marked stale from the earliest deleted period's start: those days showed the target.
    A target of a period wholly in closed months is not deleted: ValidationError, nothing deleted.
    """
    with transaction.atomic():
        doomed = list(
            Target.objects.filter(pk__in=[target.pk for target in targets])
            .select_related("unit", "staff", "metric")
            .select_for_update(of=("self",))
        )
        if not doomed:
            return 0
        closed = closed_months()
        if frozen := [target for target in doomed if target_is_frozen(target, closed)]:
            raise ValidationError(
                "; ".join(f"{target}: {closed_period_problem(_period_of(target), closed)}" for target in frozen)
            )
        Target.objects.filter(pk__in=[target.pk for target in doomed]).delete()
        TargetChange.objects.bulk_create(
            TargetChange(
                target=None,
                metric_code=target.metric.code,
                entity_code=target.staff.code if target.staff_id else target.unit.code,
                period=target.period,
                old_value=target.value,
                new_value=None,
                changed_by=changed_by,
                source=source,
            )
            for target in doomed
        )
        days_mark_stale(first_date=min(target.period_start for target in doomed))
    return len(doomed)


@dataclass
class TargetRow:
    """One target to write in bulk (targets_write): checked by the caller."""

    period: Period
    unit_id: int | None
    staff_id: int | None
    metric_id: int
    value: Decimal
    entity_code: str
    metric_code: str

    @property
    def key(self) -> tuple:
        return (self.unit_id, self.staff_id, self.metric_id, self.period.kind.value, self.period.start)


def targets_import(*, rows: list[CsvRow], changed_by=None) -> ImportResult:
    """Create or update targets from CSV rows (TARGET_COLUMNS), all or nothing.

    1. Check every row against the catalog, the units and the staff loaded once: the period parses,
       codes are known, the target is a number ≥ 0, the metric's level fits (a staff target needs a
       staff-level metric), a staff target that names a unit has an assignment there during the period,
       the period is not wholly in closed months, and no target appears twice in the file. Every
       problem is reported with its line and column.
    2. Load the existing targets for the file's metrics and periods in one query, then bulk-create the
       new ones, bulk-update the changed ones and bulk-create one TargetChange per new or changed value.
    3. Mark the rollup stale from the earliest changed period's start.
    """
    check = Checker()
    metrics = {metric.code: metric for metric in Metric.objects.all()}
    units = codes_lookup(OrgUnit, {row["unit"] for row in rows})
    staff = codes_lookup(StaffMember, {row["staff"] for row in rows})
    assignments: dict[tuple[int, int], list[tuple[datetime.date, datetime.date | None]]] = {}
    for staff_id, unit_id, start, end in Assignment.objects.filter(
        staff_id__in=staff.values(), unit_id__in=units.values()
    ).values_list("staff_id", "unit_id", "start", "end"):
        assignments.setdefault((staff_id, unit_id), []).append((start, end))
    closed = closed_months()

    parsed: list[TargetRow] = []
    for row in TARGET_COLUMNS.parse(
        rows,
        check,
        unit=known(units, gettext("unit '{}' is not known; import the units first")),
        staff=known(staff, gettext("staff member '{}' is not known; import the staff first")),
        metric=known(metrics, gettext("metric '{}' is not in the catalog")),
    ):
        period, unit_id, staff_id, metric, value = (
            row[name] for name in ("period", "unit", "staff", "metric", "target")
        )
        unit_code, staff_code = row.text("unit"), row.text("staff")
        if not unit_code and not staff_code:
            row.problem("unit", gettext("give a unit code, or a staff code for a staff member's target"))
        if metric and (unit_code or staff_code) and (problem := level_problem(metric, for_staff=bool(staff_code))):
            row.problem("metric", problem)
        if value is not None and (problem := value_problem(value)):
            row.problem("target", problem)
        if period and (problem := closed_period_problem(period, closed)):
            row.problem("period", problem)
        if period and unit_id and staff_id:
            overlapping = any(
                start <= period.end and (end is None or end >= period.start)
                for start, end in assignments.get((staff_id, unit_id), [])
            )
            if not overlapping:
                row.problem("unit", no_assignment_message(staff_code, unit_code, period))
        if not row.ok:
            continue
        item = TargetRow(
            period=period,
            unit_id=None if staff_id else unit_id,
            staff_id=staff_id,
            metric_id=metric.pk,
            value=value,
            entity_code=staff_code or unit_code,
            metric_code=metric.code,
        )
        if (first := check.repeated(item.key, row.line)) is not None:
            row.problem(
                "period",
                gettext("the target of %(who)s, %(metric)s, %(period)s is already on line %(first)s")
                % {"who": item.entity_code, "metric": metric.code, "period": period.code, "first": first},
            )
            continue
        parsed.append(item)
    check.raise_if_any()

    return targets_write(rows=parsed, changed_by=changed_by, source="csv").result


@dataclass
class TargetsWritten:
    result: ImportResult
    # The rows whose value is new or changed, with the value before (None: a new target).
    changed: list[tuple[TargetRow, Decimal | None]]


def targets_write(
    *, rows: list[TargetRow], changed_by=None, source: str, reference: str = "", token_name: str = ""
) -> TargetsWritten:
    """Create or update many checked targets at once, in one transaction (the import, a target plan):

    1. Load the existing targets of the rows' keys in one query.
    2. Bulk-create the new ones, bulk-update the changed ones, bulk-create one TargetChange per new or
       changed value (source, reference); an unchanged value leaves no row.
    3. Mark the rollup stale once, from the earliest changed period's start.
    """
    result = ImportResult()
    with transaction.atomic():
        existing = _existing_targets(rows)
        now = timezone.now()
        to_create: list[Target] = []
        to_update: list[Target] = []
        changes: list[tuple[TargetRow, Decimal | None]] = []
        for item in rows:
            target = existing.get(item.key)
            if target is None:
                target = Target(
                    unit_id=item.unit_id,
                    staff_id=item.staff_id,
                    metric_id=item.metric_id,
                    period_kind=item.period.kind.value,
                    period_start=item.period.start,
                    period_end=item.period.end,
                    period=item.period.code,
                    value=item.value,
                    updated_by=changed_by,
                )
                to_create.append(target)
                existing[item.key] = target
                changes.append((item, None))
                result.created += 1
            elif target.value != item.value:
                changes.append((item, target.value))
                target.value = item.value
                target.updated_by = changed_by
                target.updated_at = now  # an update of chosen fields does not touch auto_now fields
                to_update.append(target)
                result.updated += 1
            else:
                result.unchanged += 1
        Target.objects.bulk_create(to_create)
        # One UPDATE … FROM VALUES a page, not bulk_update's CASE WHEN per target and field (which the
        # server walks for every row: quadratic in a year's targets re-imported).
        bulk.update_fields(to_update, ["value", "updated_by", "updated_at"])
        TargetChange.objects.bulk_create(
            TargetChange(
                target=existing[item.key],
                metric_code=item.metric_code,
                entity_code=item.entity_code,
                period=item.period.code,
                old_value=old_value,
                new_value=item.value,
                changed_by=changed_by,
                token_name=token_name,
                source=source,
                reference=reference,
            )
            for item, old_value in changes
        )
        if changes:
            days_mark_stale(first_date=min(item.period.start for item, _old in changes))
    return TargetsWritten(result=result, changed=changes)


def _existing_targets(parsed: list[TargetRow]) -> dict[tuple, Target]:
    """The stored targets among the keys of `parsed`, in one query (a superset, filtered by key)."""
    if not parsed:
        return {}
    holders = Q(unit__isnull=True, staff_id__in={item.staff_id for item in parsed if item.staff_id}) | Q(
        staff__isnull=True, unit_id__in={item.unit_id for item in parsed if item.unit_id}
    )
    candidates = Target.objects.filter(
        holders,
        metric_id__in={item.metric_id for item in parsed},
        period_start__in={item.period.start for item in parsed},
    )
    keys = {item.key for item in parsed}
    found = {}
    for target in candidates:
        key = (target.unit_id, target.staff_id, target.metric_id, target.period_kind, target.period_start)
        if key in keys:
            found[key] = target
    return found
