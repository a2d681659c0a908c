"""Making a plan and writing its proposals: the one path of the page's grid, the workbook upload and the
API, so each checks the same things and writes all or nothing.

Who may: staff.access.Scope.may_plan_targets(unit, period kind) (HQ any plan; a unit manager ISO-week
plans inside their subtree; a writing token inside its subtree). A published plan is read only.

What a cell may be (cell_problems): a unit of the plan's subtree, or a staff member assigned to an
outlet of it during the period (the row sits under that outlet); a metric of the plan, measured at that
level (Metric.level: a metric not measured per staff member is never offered to staff); the plan's
period, or for a year or quarter plan one of its quarters or months; a value of 0 or more with at most
4 decimals (kpi.services.targets.value_problem), or empty (nothing proposed).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import OrgUnit
from kpi.models import Metric
from kpi.services.decomposition import sub_periods
from kpi.services.targets import value_problem
from lib import bulk
from lib.periods import Period, PeriodKind
from plans import basis as bases
from plans.models import Plan, PlanCell, PlanStatus
from plans.selectors import sub_period_kinds
from staff.access import Scope
from staff.models import Assignment, StaffMember

# The period kinds a plan is made for (a day is not planned).
PLAN_KINDS = (PeriodKind.YEAR, PeriodKind.QUARTER, PeriodKind.MONTH, PeriodKind.WEEK)


@dataclass(frozen=True)
class Problem:
    """One thing wrong, said where it is: `where` names the cell or the field (a page shows it beside
    the cell, the API in `field`, the workbook with its sheet, row and column)."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class PlanProblems(Exception):
    """Nothing was written because of these problems."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


@dataclass
class CellInput:
    """A proposal to write: `value` None clears it."""

    unit: OrgUnit
    metric: Metric
    period: Period
    value: Decimal | None
    staff: StaffMember | None = None
    basis: str = bases.HAND
    where: str = ""  # how the caller names this cell in a problem

    @property
    def key(self) -> tuple:
        return (
            self.unit.pk,
            self.staff.pk if self.staff else None,
            self.metric.pk,
            self.period.kind.value,
            self.period.start,
        )


@dataclass
class SaveResult:
    created: int = 0
    updated: int = 0
    cleared: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.cleared


# -- who may ---------------------------------------------------------------------------------------


def can_plan(scope: Scope, plan: Plan) -> bool:
    """May change this plan's proposals and publish it: a draft the scope may plan."""
    return plan.is_draft and scope.may_plan_targets(plan.unit, plan.period_kind)


def check_can_plan(scope: Scope, plan: Plan) -> None:
    if not plan.is_draft:
        raise PermissionDenied(_("This plan is published: it can no longer change."))
    if not scope.may_plan_targets(plan.unit, plan.period_kind):
        raise PermissionDenied(plan_permission_message(plan.period_kind))


def plan_permission_message(period_kind: str) -> str:
    if period_kind == PeriodKind.WEEK:
        return _("You may not plan this unit's targets: it is outside your subtree.")
    return _("Only HQ plans targets of a month, a quarter or a year; unit managers plan the week's targets.")


# -- making a plan ---------------------------------------------------------------------------------


def plan_create(
    *,
    scope: Scope,
    unit: OrgUnit,
    period: Period,
    metrics: list[Metric],
    name: str = "",
    created_by=None,
    token_name: str = "",
    note: str = "",
) -> Plan:
    """A new draft plan; PlanProblems names what is wrong, PermissionDenied when the scope may not."""
    problems = []
    if period.kind not in PLAN_KINDS:
        problems.append(Problem("period", _("A plan is for a year, a quarter, a month or an ISO week.")))
    if not metrics:
        problems.append(Problem("metrics", _("Choose at least one metric.")))
    if inactive := [metric.code for metric in metrics if not metric.is_active]:
        problems.append(Problem("metrics", _("Not active: %(codes)s.") % {"codes": ", ".join(inactive)}))
    if problems:
        raise PlanProblems(problems)
    if not scope.can_see_unit(unit) or not scope.may_plan_targets(unit, period.kind):
        raise PermissionDenied(plan_permission_message(period.kind))
    name = (name or "").strip() or default_plan_name(unit, period)
    with transaction.atomic():
        plan = Plan.objects.create(
            name=name[:100],
            unit=unit,
            period_kind=period.kind.value,
            period_start=period.start,
            period_end=period.end,
            period=period.code,
            note=note,
            created_by=created_by,
            token_name=token_name,
        )
        plan.metrics.set(metrics)
    return plan


def default_plan_name(unit: OrgUnit, period: Period) -> str:
    if period.kind == PeriodKind.WEEK:
        return _("%(unit)s targets of week %(period)s") % {"unit": unit.name, "period": period.code}
    return _("%(unit)s target plan %(period)s") % {"unit": unit.name, "period": period.code}


# -- the cells ---------------------------------------------------------------------------------------


def plan_periods(plan: Plan) -> list[Period]:
    """The periods a plan's cells may be for: its own, and its quarters and months (a year) or months
    (a quarter)."""
    period = plan.period_obj
    periods = [period]
    for kind in sub_period_kinds(period.kind):
        periods += sub_periods(period, kind)
    return periods


@dataclass(frozen=True)
class PlanFrame:
    """What the cells of a plan are checked against, read once: the subtree's units, the staff
    assigned at its outlets during the period, the plan's metrics and periods."""

    plan: Plan
    units: dict[int, OrgUnit]
    staff_at: dict[tuple[int, int], bool]  # (outlet id, staff id) → assigned during the period
    metrics: dict[int, Metric]
    periods: dict[tuple[str, datetime.date], Period]

    @classmethod
    def load(cls, plan: Plan, *, staff_ids: set[int] | None = None) -> PlanFrame:
        units = {unit.pk: unit for unit in OrgUnit.objects.subtree(plan.unit)}
        period = plan.period_obj
        assignments = Assignment.objects.filter(unit_id__in=units, start__lte=period.end).filter(
            Q(end__isnull=True) | Q(end__gte=period.start)
        )
        if staff_ids is not None:
            assignments = assignments.filter(staff_id__in=staff_ids)
        staff_at = dict.fromkeys(assignments.values_list("unit_id", "staff_id"), True)
        metrics = {metric.pk: metric for metric in plan.metrics.all()}
        periods = {(p.kind.value, p.start): p for p in plan_periods(plan)}
        return cls(plan=plan, units=units, staff_at=staff_at, metrics=metrics, periods=periods)


def cell_problems(frame: PlanFrame, cell: CellInput) -> list[Problem]:
    """What is wrong with one proposal (an empty list when nothing is)."""
    where = cell.where
    problems = []
    unit, staff, metric = cell.unit, cell.staff, cell.metric
    if unit.pk not in frame.units:
        problems.append(
            Problem(
                where,
                _("%(unit)s is not in the plan's unit %(top)s.") % {"unit": unit.code, "top": frame.plan.unit.code},
            )
        )
    elif staff is not None and not unit.is_outlet:
        problems.append(
            Problem(where, _("Staff are planned under their outlet; %(unit)s is not an outlet.") % {"unit": unit.code})
        )
    elif staff is not None and (unit.pk, staff.pk) not in frame.staff_at:
        problems.append(
            Problem(
                where,
                _("%(staff)s is not assigned to %(unit)s during %(period)s.")
                % {"staff": staff.code, "unit": unit.code, "period": frame.plan.period},
            )
        )
    if metric.pk not in frame.metrics:
        problems.append(Problem(where, _("%(metric)s is not a metric of this plan.") % {"metric": metric.code}))
    elif staff is not None and not metric.for_staff:
        problems.append(Problem(where, _("%(metric)s is not measured per staff member.") % {"metric": metric.name}))
    elif staff is None and not metric.for_units:
        problems.append(Problem(where, _("%(metric)s is measured per staff member only.") % {"metric": metric.name}))
    if (cell.period.kind.value, cell.period.start) not in frame.periods:
        problems.append(
            Problem(
                where,
                _("%(period)s is not a period of this plan (%(plan)s).")
                % {"period": cell.period.code, "plan": frame.plan.period},
            )
        )
    if cell.value is not None and (problem := value_message(cell.value)):
        problems.append(Problem(where, problem))
    return problems


def value_message(value: Decimal) -> str | None:
    """kpi.services.targets.value_problem in the reader's language."""
    if value_problem(value) is None:
        return None
    if value < 0:
        return _("%(value)s is below 0: a target is 0 or more.") % {"value": value}
    if value != value.quantize(Decimal("0.0001")):
        return _("%(value)s has more than 4 decimals.") % {"value": value}
    return _("%(value)s is too large.") % {"value": value}


def plan_cells_save(*, scope: Scope, plan: Plan, cells: list[CellInput], frame: PlanFrame | None = None) -> SaveResult:
    """Write proposals, all or nothing: every cell is checked (cell_problems, and each cell once) and
    PlanProblems lists every problem when any; else the cells are created, updated or cleared in bulk.
    A value equal to the one saved changes nothing (its basis is kept)."""
    check_can_plan(scope, plan)
    frame = frame or PlanFrame.load(plan, staff_ids={cell.staff.pk for cell in cells if cell.staff is not None})
    problems: list[Problem] = []
    seen: set[tuple] = set()
    for cell in cells:
        problems += cell_problems(frame, cell)
        if cell.key in seen:
            problems.append(Problem(cell.where, _("This cell is given twice.")))
        seen.add(cell.key)
    if problems:
        raise PlanProblems(problems)
    return _write(plan, cells)


def _write(plan: Plan, cells: list[CellInput]) -> SaveResult:
    result = SaveResult()
    with transaction.atomic():
        locked = Plan.objects.select_for_update().filter(pk=plan.pk, status=PlanStatus.DRAFT).first()
        if locked is None:
            raise PermissionDenied(_("This plan is published: it can no longer change."))
        existing = {
            (cell.unit_id, cell.staff_id, cell.metric_id, cell.period_kind, cell.period_start): cell
            for cell in PlanCell.objects.filter(
                plan=plan,
                metric_id__in={cell.metric.pk for cell in cells},
                period_start__in={cell.period.start for cell in cells},
            )
        }
        to_create, to_update = [], []
        now = timezone.now()
        for cell in cells:
            stored = existing.get(cell.key)
            if stored is None:
                if cell.value is None:
                    result.unchanged += 1
                    continue
                to_create.append(
                    PlanCell(
                        plan=plan,
                        unit=cell.unit,
                        staff=cell.staff,
                        metric=cell.metric,
                        period_kind=cell.period.kind.value,
                        period_start=cell.period.start,
                        period_end=cell.period.end,
                        period=cell.period.code,
                        value=cell.value,
                        basis=cell.basis,
                    )
                )
                result.created += 1
            elif stored.value == cell.value:
                result.unchanged += 1
            else:
                if cell.value is None:
                    result.cleared += 1
                else:
                    result.updated += 1
                stored.value = cell.value
                stored.basis = cell.basis if cell.value is not None else ""
                stored.updated_at = now  # an update of chosen fields does not touch auto_now fields
                to_update.append(stored)
        PlanCell.objects.bulk_create(to_create)
        bulk.update_fields(to_update, ["value", "basis", "updated_at"])  # one UPDATE … FROM VALUES a page
        if result.changed:
            Plan.objects.filter(pk=plan.pk).update(updated_at=now)
    return result
