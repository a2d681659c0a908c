"""Publishing a plan: the preview of every change and its sums, then one transaction that sets the
targets.

plan_preview reads the plan's proposals against the targets set now and says, before anything is
written: each change (old → new, or unchanged), the sums of each level (the parts of a parent against
the parent's target: for every metric that adds up over units, the parts of a split add up exactly,
the rounding remainder on the largest part, DOMAIN.md §4; a sum typed by hand may not, and the preview
shows the difference), and what stops publishing (a period in a closed month, a staff member planned
twice with two values). Its fingerprint lets the page publish exactly what was shown.

plan_publish writes every proposal through kpi.services.targets.targets_write in one transaction: the
TargetChange rows say who, when, source "plan" and which plan (reference); the plan becomes published
(read only); the head of each unit that was given a new or changed target is asked to acknowledge it
(TargetAcknowledgement); once committed the rollup recomputes the days of the changed periods, so the
scorecards show the new targets the same day.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import OrgUnit
from kpi.models import Metric
from kpi.services.decomposition import adds_up_over_time, adds_up_over_units
from kpi.services.targets import TargetRow, closed_months, closed_period_problem, targets_write
from kpi.tasks import rollup_pending
from lib.periods import Period
from plans.models import AcknowledgementStatus, Plan, PlanCell, PlanStatus, TargetAcknowledgement
from plans.selectors import Entity, current_targets
from plans.services.cells import CellInput, PlanFrame, PlanProblems, Problem, cell_problems, check_can_plan
from staff.access import Scope

SOURCE = "plan"


@dataclass(frozen=True)
class Change:
    cell: PlanCell
    old: Decimal | None

    @property
    def new(self) -> Decimal:
        return self.cell.value

    @property
    def changed(self) -> bool:
        return self.old != self.new

    @property
    def entity(self) -> Entity:
        return Entity(unit=self.cell.unit, staff=self.cell.staff)


@dataclass(frozen=True)
class Sum:
    """The parts of a parent for one metric and period, against the parent's figure (its proposal, else
    its target now)."""

    parent: OrgUnit
    metric: Metric
    period: Period
    parent_value: Decimal | None
    parts_total: Decimal
    parts: int

    @property
    def difference(self) -> Decimal | None:
        return None if self.parent_value is None else self.parts_total - self.parent_value

    @property
    def exact(self) -> bool:
        return self.difference == 0


@dataclass
class Preview:
    plan: Plan
    changes: list[Change] = field(default_factory=list)
    sums: list[Sum] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def changed(self) -> list[Change]:
        return [change for change in self.changes if change.changed]

    @property
    def unchanged(self) -> int:
        return len(self.changes) - len(self.changed)

    @property
    def mismatched(self) -> list[Sum]:
        return [total for total in self.sums if total.parent_value is not None and not total.exact]

    def fingerprint(self) -> str:
        """Every proposal as text, hashed: the page publishes only what the person saw."""
        text = "|".join(f"{change.cell.pk}:{change.cell.period}:{change.new}:{change.old}" for change in self.changes)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def plan_preview(plan: Plan) -> Preview:
    """Every proposal against the target set now, the sums of each level and what stops publishing. A
    fixed number of queries."""
    preview = Preview(plan=plan)
    cells = list(
        PlanCell.objects.filter(plan=plan, value__isnull=False)
        .select_related("unit", "staff", "metric")
        .order_by("period_kind", "period_start", "unit__path", "staff__code", "metric__sort_order", "metric__code")
    )
    entities = {Entity(unit=cell.unit, staff=cell.staff) for cell in cells}
    periods = {cell.period_obj for cell in cells}
    metrics = {cell.metric for cell in cells}
    targets = current_targets(entities, metrics, periods)
    for cell in cells:
        entity = Entity(unit=cell.unit, staff=cell.staff)
        old = targets.get((entity.holder, cell.metric_id, cell.period_kind, cell.period_start))
        preview.changes.append(Change(cell=cell, old=old))
    preview.sums = _sums(plan, cells, targets)
    preview.problems = _problems(plan, cells)
    return preview


def _sums(plan: Plan, cells: list[PlanCell], targets: dict) -> list[Sum]:
    """For each parent unit in the plan, metric and period whose parts are in the plan: the parts'
    total against the parent's figure. Parts: the child units' cells, or the staff cells of an outlet;
    over time, the quarters or months of a year or quarter against the unit's own figure."""
    units = {cell.unit_id: cell.unit for cell in cells}
    by_key = {
        (cell.unit_id, cell.staff_id, cell.metric_id, cell.period_kind, cell.period_start): cell for cell in cells
    }
    groups: dict[tuple, list[PlanCell]] = defaultdict(list)
    parents: dict[int, OrgUnit] = {}
    for cell in cells:
        if cell.staff_id is not None:
            if not adds_up_over_units(cell.metric):
                continue
            parent = cell.unit
        else:
            if cell.unit_id == plan.unit_id or cell.unit.parent_id is None or not adds_up_over_units(cell.metric):
                continue
            parent = units.get(cell.unit.parent_id) or cell.unit.parent
        parents[parent.pk] = parent
        groups[(parent.pk, cell.metric_id, cell.period_kind, cell.period_start)].append(cell)
    sums = []
    for (parent_id, _metric_id, kind, start), parts in groups.items():
        parent = parents[parent_id]
        metric = parts[0].metric
        own = by_key.get((parent_id, None, metric.pk, kind, start))
        parent_value = own.value if own is not None else targets.get((("unit", parent_id), metric.pk, kind, start))
        sums.append(
            Sum(
                parent=parent,
                metric=metric,
                period=parts[0].period_obj,
                parent_value=parent_value,
                parts_total=sum((cell.value for cell in parts), Decimal(0)),
                parts=len(parts),
            )
        )
    # Over time: a unit's (or person's) months or quarters against its own figure of the plan's period.
    period = plan.period_obj
    over_time: dict[tuple, list[PlanCell]] = defaultdict(list)
    for cell in cells:
        if cell.period_kind != period.kind.value and adds_up_over_time(cell.metric):
            over_time[(cell.unit_id, cell.staff_id, cell.metric_id, cell.period_kind)].append(cell)
    for (unit_id, staff_id, metric_id, _kind), parts in over_time.items():
        own = by_key.get((unit_id, staff_id, metric_id, period.kind.value, period.start))
        if own is None or staff_id is not None:
            continue
        sums.append(
            Sum(
                parent=parts[0].unit,
                metric=parts[0].metric,
                period=period,
                parent_value=own.value,
                parts_total=sum((cell.value for cell in parts), Decimal(0)),
                parts=len(parts),
            )
        )
    sums.sort(key=lambda total: (total.period.start, total.parent.path, total.metric.sort_order, total.metric.code))
    return sums


def _problems(plan: Plan, cells: list[PlanCell]) -> list[Problem]:
    """What stops publishing: a cell that no longer fits (a staff member's assignment ended, a metric left
    the plan), a period wholly in closed months, a person planned under two outlets with two values."""
    problems = []
    frame = PlanFrame.load(plan, staff_ids={cell.staff_id for cell in cells if cell.staff_id})
    closed = closed_months()
    frozen_periods = set()
    for cell in cells:
        where = _where(cell)
        problems += cell_problems(
            frame,
            CellInput(
                unit=cell.unit,
                staff=cell.staff,
                metric=cell.metric,
                period=cell.period_obj,
                value=cell.value,
                where=where,
            ),
        )
        if closed_period_problem(cell.period_obj, closed) and cell.period not in frozen_periods:
            frozen_periods.add(cell.period)
            problems.append(
                Problem(
                    cell.period,
                    _("%(period)s lies in a closed month: its targets are frozen until HQ reopens the month.")
                    % {"period": cell.period},
                )
            )
    planned: dict[tuple, dict[Decimal, list[PlanCell]]] = defaultdict(lambda: defaultdict(list))
    for cell in cells:
        if cell.staff_id is not None:
            planned[(cell.staff_id, cell.metric_id, cell.period_kind, cell.period_start)][cell.value].append(cell)
    for by_value in planned.values():
        if len(by_value) > 1:
            twice = [cell for same in by_value.values() for cell in same]
            problems.append(
                Problem(
                    _where(twice[0]),
                    _("%(staff)s is planned under %(units)s with different targets; a person has one target.")
                    % {"staff": twice[0].staff.code, "units": ", ".join(sorted(cell.unit.code for cell in twice))},
                )
            )
    return problems


def _cell_key(cell: PlanCell) -> tuple:
    return (cell.unit_id, cell.staff_id, cell.metric_id, cell.period_kind, cell.period_start)


def _where(cell: PlanCell) -> str:
    who = f"{cell.unit.code} {cell.staff.code}" if cell.staff_id else cell.unit.code
    return f"{who} {cell.metric.code} {cell.period}"


class PlanChanged(Exception):
    """The proposals or the targets changed since the preview the person confirmed."""


@dataclass(frozen=True)
class Published:
    created: int
    updated: int
    unchanged: int
    acknowledgements: int


def plan_publish(
    *, scope: Scope, plan: Plan, by=None, fingerprint: str | None = None, token_name: str = ""
) -> Published:
    """Publish a draft plan, all or nothing (see the module's docstring). PermissionDenied when the scope
    may not; PlanProblems when something stops it; PlanChanged when `fingerprint` (the preview's) is
    given and no longer matches."""
    check_can_plan(scope, plan)
    with transaction.atomic():
        locked = Plan.objects.select_for_update().filter(pk=plan.pk).first()
        if locked is None or locked.status != PlanStatus.DRAFT:
            raise PermissionDenied(_("This plan is published: it can no longer change."))
        preview = plan_preview(locked)
        if preview.problems:
            raise PlanProblems(preview.problems)
        if not preview.changes:
            raise PlanProblems([Problem("", _("Nothing is proposed yet: fill in the grid first."))])
        if fingerprint is not None and fingerprint != preview.fingerprint():
            raise PlanChanged(_("The plan or the targets changed since the preview; check the new preview."))
        rows = [
            TargetRow(
                period=change.cell.period_obj,
                unit_id=None if change.cell.staff_id else change.cell.unit_id,
                staff_id=change.cell.staff_id,
                metric_id=change.cell.metric_id,
                value=change.new,
                entity_code=change.entity.code,
                metric_code=change.cell.metric.code,
            )
            for change in preview.changes
        ]
        written = targets_write(
            rows=rows, changed_by=by, source=SOURCE, reference=locked.reference, token_name=token_name
        )
        now = timezone.now()
        Plan.objects.filter(pk=locked.pk).update(
            status=PlanStatus.PUBLISHED, published_by=by, published_at=now, updated_at=now
        )
        plan.status, plan.published_by, plan.published_at = PlanStatus.PUBLISHED, by, now
        acknowledgements = _ask_acknowledgements(locked, preview, written.changed, by)
        transaction.on_commit(_queue_rollup, robust=True)
    result = written.result
    return Published(
        created=result.created, updated=result.updated, unchanged=result.unchanged, acknowledgements=acknowledgements
    )


def _ask_acknowledgements(plan: Plan, preview: Preview, changed: list, by) -> int:
    """One acknowledgement per unit given a new or changed target (its own, or one of its staff's),
    but not the publisher's own unit: they set it."""
    changed_keys = {
        (row.unit_id, row.staff_id, row.metric_id, row.period.kind.value, row.period.start) for row, _ in changed
    }
    units: dict[int, OrgUnit] = {}
    for change in preview.changes:
        cell = change.cell
        key = (
            None if cell.staff_id else cell.unit_id,
            cell.staff_id,
            cell.metric_id,
            cell.period_kind,
            cell.period_start,
        )
        if key in changed_keys:
            units[cell.unit_id] = cell.unit
    own_unit = getattr(by, "unit_id", None)
    TargetAcknowledgement.objects.bulk_create(
        [
            TargetAcknowledgement(plan=plan, unit=unit, status=AcknowledgementStatus.PENDING)
            for unit_id, unit in sorted(units.items(), key=lambda item: item[1].path)
            if unit_id != own_unit
        ],
        ignore_conflicts=True,
    )
    return TargetAcknowledgement.objects.filter(plan=plan).count()


def _queue_rollup() -> None:
    rollup_pending.delay()
