"""Making a plan and writing its proposals: the one path of the page's grid, the workbook upload and the
API, so each checks the same things and writes all or nothing.

One draft per unit and period (plan_create): making a plan for a unit and period that has a draft
opens that draft (PlanExists) rather than making a second one, whose proposals would race the first's
when both are published; one that was published is opened too, unless a revision is asked for
(`revise`): a published plan is read only, so a new draft beside it is how its targets change.

Who may: staff.access.Scope.may_plan_targets(unit, period kind) (HQ any plan; a unit manager ISO-week
plans inside their subtree; a writing token inside its subtree). A published plan is read only.

What a cell may be (cell_problems): a unit of the plan's subtree, or a staff member assigned to an
outlet of it during the period (the row sits under that outlet); a metric of the plan, measured at that
level (Metric.level: a metric not measured per staff member is never offered to staff); the plan's
period, or for a year or quarter plan one of its quarters or months; a value (value_message) of 0 or
more with at most 4 decimals (kpi.services.targets.value_problem), below PLAN_VALUE_MAX, and whole for a
metric that counts whole things (户, 笔, 人, 件: the pages write it with no decimals, so 1.5 户 would show
as "2"); or empty (nothing proposed).

A unit's own figure that is the sum of its rows (basis "sum": the Monday meeting's week of a unit above
outlets) follows its rows: every save recomputes it from the rows' proposals (sums_follow), so what is
published as "the sum of the rows below" is that sum. Typed by hand, it no longer follows (basis "hand"),
and the preview shows how far the rows are from it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import OrgUnit
from kpi.models import Metric
from kpi.services.decomposition import sub_periods
from kpi.services.targets import value_problem
from kpi.templatetags.kpi_format import format_date, metric_scale
from lib import bulk
from lib.numbers import format_number, plain_number
from lib.periods import Period, PeriodKind
from plans import basis as bases
from plans.models import Plan, PlanCell, PlanStatus
from plans.selectors import sub_period_kinds
from staff.access import Scope
from staff.models import Assignment, StaffMember

# The period kinds a plan is made for (a day is not planned).
PLAN_KINDS = (PeriodKind.YEAR, PeriodKind.QUARTER, PeriodKind.MONTH, PeriodKind.WEEK)

# The largest proposal a plan takes, in the metric's unit: 10 billion (100 亿). Target.value itself holds
# up to 10^16 (kpi.services.targets.value_problem), but no target of a bank's network comes near this
# bound: 10^10 户 or 人 is more than the people of the earth, 10^10 万元 is 100 万亿元 (more than the
# largest bank's whole balance sheet), 10^10 minutes of waiting are 19,000 years. A figure beyond it is a
# slip of the keyboard (99999999999), never a target; the 晨会 refuses a person's day beyond 10^9 for
# the same reason (meetings.services.GOAL_MAX).
PLAN_VALUE_MAX = Decimal(10) ** 10


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


class PlanExists(PlanProblems):
    """The unit has a plan for the period already (plan_create): `plan`, the one to open instead."""

    def __init__(self, plan: Plan):
        self.plan = plan
        super().__init__([Problem("period", plan_exists_message(plan))])


def plan_exists_message(plan: Plan) -> str:
    """What the unit has for the period already, said where a second plan was asked for."""
    names = {"unit": plan.unit.name, "period": plan.period, "name": plan.name}
    if plan.is_draft:
        return _("%(unit)s already has a draft plan for %(period)s, “%(name)s”, made on %(day)s.") % (
            names | {"day": format_date(plan.created_at)}
        )
    return _("%(unit)s's targets for %(period)s were published on %(day)s by %(who)s (“%(name)s”).") % (
        names | {"day": format_date(plan.published_at), "who": plan.published_by_name or "—"}
    )


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
    summed: int = 0  # units' own figures recomputed as the sum of their rows (sums_follow)
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
    revise: bool = False,
) -> Plan:
    """A new draft plan; PlanProblems names what is wrong, PermissionDenied when the scope may not.

    PlanExists (with the plan to open) when the unit has a draft for the period, or a published plan
    and `revise` is not asked for (see the module's docstring)."""
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
    if existing := plan_existing(unit=unit, period=period, revise=revise):
        raise PlanExists(existing)
    name = (name or "").strip() or default_plan_name(unit, period)
    try:
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
    except IntegrityError:
        # Made by someone else a moment ago (plan_one_draft_per_unit_period).
        if existing := plan_existing(unit=unit, period=period, revise=True):
            raise PlanExists(existing) from None
        raise
    return plan


def plan_existing(*, unit: OrgUnit, period: Period, revise: bool = False) -> Plan | None:
    """The plan to open instead of making another for `unit` and `period`: its draft, else (unless
    `revise`) the plan published last. One query."""
    plans = Plan.objects.filter(unit=unit, period_kind=period.kind.value, period_start=period.start)
    if revise:
        plans = plans.filter(status=PlanStatus.DRAFT)
    # A draft first ("draft" < "published"), then the plan published last.
    return plans.select_related("unit", "published_by").order_by("status", "-published_at", "-pk").first()


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
    if cell.value is not None and (problem := value_message(cell.value, metric)):
        problems.append(Problem(where, problem))
    return problems


def counts_whole(metric: Metric) -> bool:
    """A metric whose figures are whole things (户, 笔, 人, 件; not a ratio of them, 0.35 visits per person):
    the pages write it with no decimals (kpi.templatetags.kpi_format.metric_scale, the rule the 晨会's
    goals follow too), so a proposal of 1.5 would be shown, and published, as if it were 2."""
    return metric_scale(metric).places == 0


def value_message(value: Decimal, metric: Metric | None = None) -> str | None:
    """What is wrong with a proposed value, in the reader's language: kpi.services.targets.value_problem
    (0 or more, at most 4 decimals), below PLAN_VALUE_MAX, and whole when the metric counts whole things."""
    if value < 0:
        return _("%(value)s is below 0: a target is 0 or more.") % {"value": value}
    if value >= PLAN_VALUE_MAX:
        return _("%(value)s is too large (less than %(most)s is expected)") % {
            "value": plain_number(value),
            "most": format_number(PLAN_VALUE_MAX, 0),
        }
    if metric is not None and counts_whole(metric) and value != value.to_integral_value():
        return _("%(metric)s is counted in whole %(unit)s: give a whole number.") % {
            "metric": metric.name,
            "unit": metric.get_unit_display(),
        }
    if value_problem(value) is None:
        return None
    if value != value.quantize(Decimal("0.0001")):
        return _("%(value)s has more than 4 decimals.") % {"value": value}
    return _("%(value)s is too large.") % {"value": value}


def plan_cells_problems(*, plan: Plan, cells: list[CellInput], frame: PlanFrame | None = None) -> list[Problem]:
    """Every problem of these proposals (cell_problems, and a cell given twice), none written. A page
    asks it for the cells it could read when others were not numbers, so that one save names them all."""
    frame = frame or PlanFrame.load(plan, staff_ids={cell.staff.pk for cell in cells if cell.staff is not None})
    problems: list[Problem] = []
    seen: set[tuple] = set()
    for cell in cells:
        problems += cell_problems(frame, cell)
        if cell.key in seen:
            problems.append(Problem(cell.where, _("This cell is given twice.")))
        seen.add(cell.key)
    return problems


def plan_cells_save(*, scope: Scope, plan: Plan, cells: list[CellInput], frame: PlanFrame | None = None) -> SaveResult:
    """Write proposals, all or nothing: every cell is checked (plan_cells_problems) and PlanProblems lists
    every problem when any; else the cells are created, updated or cleared in bulk, and the units' own
    figures that are the sum of their rows follow them (sums_follow). A value equal to the one saved
    changes nothing (its basis is kept)."""
    check_can_plan(scope, plan)
    if problems := plan_cells_problems(plan=plan, cells=cells, frame=frame):
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
        to_create, to_update, changed = [], [], []
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
                changed.append(cell)
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
                changed.append(cell)
        PlanCell.objects.bulk_create(to_create)
        bulk.update_fields(to_update, ["value", "basis", "updated_at"])  # one UPDATE … FROM VALUES a page
        if changed:
            result.summed = sums_follow(plan, [(cell.unit, cell.staff is not None, cell.key) for cell in changed], now)
            Plan.objects.filter(pk=plan.pk).update(updated_at=now)
    return result


def sums_follow(plan: Plan, changed: list[tuple[OrgUnit, bool, tuple]], now: datetime.datetime) -> int:
    """Recompute the units' own figures that are the sum of their rows (basis "sum") above the changed
    cells, each (unit, a staff cell?, key), and above those in turn: a unit's rows are its child units'
    cells, an outlet's its staff's, of the same metric and period (as the preview adds them up, proposals
    only). A sum whose rows are all cleared is cleared. Returns how many sums changed. Two queries a
    level of the tree, inside the caller's transaction."""
    summed = 0
    while changed:
        wanted: set[tuple] = set()
        for unit, is_staff, (unit_id, _staff_id, metric_id, kind, start) in changed:
            if is_staff:
                wanted.add((unit_id, metric_id, kind, start))
            elif unit.parent_id is not None and unit_id != plan.unit_id:
                wanted.add((unit.parent_id, metric_id, kind, start))
        if not wanted:
            break
        parent_ids = {key[0] for key in wanted}
        metric_ids = {key[1] for key in wanted}
        starts = {key[3] for key in wanted}
        sums = [
            cell
            for cell in PlanCell.objects.filter(
                plan=plan,
                staff__isnull=True,
                basis=bases.SUM,
                unit_id__in=parent_ids,
                metric_id__in=metric_ids,
                period_start__in=starts,
            ).select_related("unit")
            if (cell.unit_id, cell.metric_id, cell.period_kind, cell.period_start) in wanted
        ]
        if not sums:
            break
        totals: dict[tuple, Decimal] = {}
        rows = (
            PlanCell.objects.filter(plan=plan, value__isnull=False, metric_id__in=metric_ids, period_start__in=starts)
            .filter(
                Q(unit_id__in=parent_ids, staff__isnull=False) | Q(unit__parent_id__in=parent_ids, staff__isnull=True)
            )
            .values_list("unit_id", "unit__parent_id", "staff_id", "metric_id", "period_kind", "period_start", "value")
        )
        for unit_id, parent_id, staff_id, metric_id, kind, start, value in rows:
            key = (unit_id if staff_id is not None else parent_id, metric_id, kind, start)
            totals[key] = totals.get(key, Decimal(0)) + value
        moved = []
        for cell in sums:
            total = totals.get((cell.unit_id, cell.metric_id, cell.period_kind, cell.period_start))
            if cell.value == total:
                continue
            cell.value, cell.basis, cell.updated_at = total, (bases.SUM if total is not None else ""), now
            moved.append(cell)
        bulk.update_fields(moved, ["value", "basis", "updated_at"])
        summed += len(moved)
        changed = [
            (cell.unit, False, (cell.unit_id, None, cell.metric_id, cell.period_kind, cell.period_start))
            for cell in moved
        ]
    return summed
