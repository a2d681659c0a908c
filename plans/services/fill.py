"""Filling a plan's grid: the ways of issue 15, each computed by kpi.services.decomposition (the one home
of the split arithmetic: parts that add up exactly, the remainder to the largest part) and written as
proposals through plans.services.cells (checked, all or nothing).

- equal: the parent's target in equal parts;
- basis: in proportion to each row's actual in a complete earlier period (never the current one);
- last_year: in proportion to each row's actual in the same period last year;
- copy: each row's target of the last period times a growth factor (1.05: 5 % more);
- by hand: typed on the page (plans.services.cells).

The parent's target of a level is its proposal in the plan, else the target it has now. A ratio is a
level: every row gets the parent's level. A basis of 0 or below is handled explicitly
(decomposition.NonPositive): counted as 0 with a note on its row, or equal shares for the whole level.
A metric that counts whole things (户, 笔, 人, 件: plans.services.cells.counts_whole) is split into whole
parts, the remainder on the largest part as for money (100 户 over three outlets: 33, 33, 34), and its
copy is rounded half up to a whole.

Cascade fills a level and every level below it in one go, top-down, each level from the values just
given to the level above: a branch's plan flows to its sub-branches, their outlets and the outlets'
staff; staff rows only get the metrics measured per staff member. Each level stays editable: nothing is
a target until the plan is published.

The year (or a quarter) into quarters or months by seasonal weights: plan_fill_time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from django.utils.translation import gettext as _

from branches.models import OrgUnit
from kpi.models import Metric
from kpi.selectors.scorecards import latest_rolled_up_date
from kpi.services.decomposition import (
    NonPositive,
    SplitProblem,
    adds_up_over_time,
    adds_up_over_units,
    plain_number,
    split_by_basis,
    split_equally,
    split_exact,
    split_over_time,
    sub_periods,
)
from lib.periods import Period, PeriodKind
from plans import basis as bases
from plans.models import Plan
from plans.selectors import (
    Entity,
    as_of,
    cell_key,
    complete_periods,
    current_targets,
    level_entities,
    metrics_at,
    plan_cells,
    same_period_last_year,
    scorecard_figures,
    sub_period_kinds,
    subtree_levels,
    target_key,
)
from plans.services.cells import (
    CellInput,
    PlanProblems,
    Problem,
    SaveResult,
    check_can_plan,
    counts_whole,
    plan_cells_save,
)
from staff.access import Scope

CENT = Decimal("0.01")
WHOLE = Decimal(1)


class Method(StrEnum):
    EQUAL = "equal"
    BASIS = "basis"
    LAST_YEAR = "last_year"
    COPY = "copy"


@dataclass
class FillResult:
    saved: SaveResult
    notes: list[str] = field(default_factory=list)


def _check_level(plan: Plan, level: OrgUnit) -> None:
    if not level.path.startswith(plan.unit.path):
        raise PlanProblems([Problem("level", _("%(unit)s is not in the plan's subtree.") % {"unit": level.code})])


def _check_metrics(plan: Plan, metrics: list[Metric]) -> list[Metric]:
    allowed = {metric.pk for metric in plan.metrics.all()}
    if not metrics:
        raise PlanProblems([Problem("metrics", _("Choose at least one metric."))])
    if stray := [metric.code for metric in metrics if metric.pk not in allowed]:
        raise PlanProblems(
            [Problem("metrics", _("Not a metric of this plan: %(codes)s.") % {"codes": ", ".join(stray)})]
        )
    return sorted(metrics, key=lambda metric: (metric.sort_order, metric.code))


def basis_choices(plan: Plan) -> list[Period]:
    """The complete earlier periods a proportional fill may be based on (newest first): periods of the
    plan's kind that are over and rolled up to their last day, and before the plan's period."""
    latest = latest_rolled_up_date()
    return [period for period in complete_periods(plan.period_kind, latest) if period.end < plan.period_start]


def plan_fill(
    *,
    scope: Scope,
    plan: Plan,
    level: OrgUnit,
    metrics: list[Metric],
    method: Method | str,
    basis_period: Period | None = None,
    factor: Decimal | None = None,
    on_nonpositive: NonPositive | str = NonPositive.FLOOR,
    cascade: bool = False,
) -> FillResult:
    """Fill the rows of `level` (and with `cascade` every level below it) for `metrics` by `method`,
    writing the proposals. PlanProblems says what stops it; FillResult.notes what the page must say (a
    basis floored at 0, equal shares instead, a parent without a target)."""
    check_can_plan(scope, plan)
    _check_level(plan, level)
    metrics = _check_metrics(plan, metrics)
    method = Method(method)
    on_nonpositive = NonPositive(on_nonpositive)
    period = plan.period_obj
    latest = latest_rolled_up_date()

    basis_day = None
    if method == Method.BASIS:
        if basis_period is None or basis_period.kind != period.kind:
            raise PlanProblems([Problem("basis", _("Choose the period whose actuals give the shares."))])
        if basis_period not in basis_choices(plan):
            raise PlanProblems(
                [
                    Problem(
                        "basis",
                        _(
                            "%(period)s is not a complete earlier period: a basis must be over and rolled up "
                            "to its last day."
                        )
                        % {"period": basis_period.code},
                    )
                ]
            )
        basis_day = basis_period.end
    elif method == Method.LAST_YEAR:
        basis_period = same_period_last_year(period)
        basis_day = as_of(basis_period, latest)
        if basis_day != basis_period.end:
            raise PlanProblems(
                [Problem("basis", _("%(period)s is not rolled up to its last day.") % {"period": basis_period.code})]
            )
    elif method == Method.COPY and (factor is None or factor <= 0 or factor > 100):
        raise PlanProblems([Problem("factor", _("Give a growth factor above 0, such as 1.05 (five per cent more)."))])

    levels = subtree_levels(level, period) if cascade else {level: level_entities(level, period)}
    rows = [entity for entities in levels.values() for entity in entities]
    parents = [Entity(unit=unit) for unit in levels]
    everyone = [*parents, *rows]
    cells = plan_cells(plan, periods=[period])
    targets = current_targets(everyone, metrics, [period, period.previous()])
    figures = scorecard_figures(rows, metrics, period.kind, [basis_day]) if basis_day else {}

    proposed: dict[tuple, Decimal] = {}

    def parent_value(entity: Entity, metric: Metric) -> Decimal | None:
        key = cell_key(entity, metric, period)
        if key in proposed:
            return proposed[key]
        cell = cells.get(key)
        if cell is not None and cell.value is not None:
            return cell.value
        return targets.get(target_key(entity, metric, period))

    notes: list[str] = []
    inputs: list[CellInput] = []
    for unit, entities in levels.items():
        parent = Entity(unit=unit)
        for metric in metrics_at(metrics, unit):
            keys = [entity.key for entity in entities]
            by_key = dict(zip(keys, entities, strict=True))
            values: dict[tuple, tuple[Decimal, str]] = {}
            if method == Method.COPY:
                last = period.previous()
                missing = []
                for entity in entities:
                    before = targets.get(target_key(entity, metric, last))
                    if before is None:
                        missing.append(entity.code)
                        continue
                    quantum = WHOLE if counts_whole(metric) else CENT
                    value = (before * factor).quantize(quantum, rounding=ROUND_HALF_UP)
                    values[entity.key] = (value, bases.copy(plain_number(factor)))
                if missing:
                    notes.append(
                        _("%(unit)s, %(metric)s: no target in %(period)s for %(codes)s; left as they were.")
                        % {"unit": unit.name, "metric": metric.name, "period": last.code, "codes": ", ".join(missing)}
                    )
            else:
                total = parent_value(parent, metric) if metric.for_units else None
                if total is None:
                    notes.append(
                        _("%(unit)s, %(metric)s: no target to split yet; give its own target first.")
                        % {"unit": unit.name, "metric": metric.name}
                    )
                    continue
                adds_up = adds_up_over_units(metric)
                if method == Method.EQUAL:
                    code = bases.EQUAL if adds_up else bases.LEVEL
                    split = split_equally(total, keys, adds_up=adds_up)
                    if adds_up:
                        split = _whole_parts(metric, total, [Decimal(1)] * len(keys), split)
                    for key, value in split.items():
                        values[key] = (value, code)
                else:
                    actuals = {key: _actual(figures, by_key[key], metric, basis_day) for key in keys}
                    split = split_by_basis(total, actuals, on_nonpositive=on_nonpositive, adds_up=adds_up)
                    if adds_up:
                        # The weights split_by_basis used: equal shares, or the actuals floored at 0.
                        weights = (
                            [Decimal(1)] * len(keys)
                            if split.equal_fallback
                            else [max(actuals[key] or Decimal(0), Decimal(0)) for key in keys]
                        )
                        split = replace(split, values=_whole_parts(metric, total, weights, split.values))
                    for key, value in split.values.items():
                        if not adds_up:
                            code = bases.LEVEL
                        elif split.equal_fallback:
                            code = bases.fallback(basis_period.code)
                        elif key in split.floored or key in split.zero or key in split.missing:
                            code = bases.floored(basis_period.code)
                        else:
                            code = bases.share(basis_period.code)
                        values[key] = (value, code)
                    if adds_up:
                        notes += _basis_notes(scope, unit, metric, basis_period, split, by_key, actuals)
            for key, (value, code) in values.items():
                entity = by_key[key]
                proposed[cell_key(entity, metric, period)] = value
                inputs.append(
                    CellInput(
                        unit=entity.unit, staff=entity.staff, metric=metric, period=period, value=value, basis=code
                    )
                )
    if any(unit.is_outlet for unit in levels) and (skipped := [m for m in metrics if not m.for_staff]):
        notes.append(
            _("Not measured per staff member, so not planned for staff: %(metrics)s.")
            % {"metrics": ", ".join(metric.name for metric in skipped)}
        )
    saved = plan_cells_save(scope=scope, plan=plan, cells=inputs)
    return FillResult(saved=saved, notes=notes)


def _whole_parts(metric: Metric, total: Decimal, weights: list[Decimal], parts: dict) -> dict:
    """`parts` (key → value, split from `total` by `weights` to the cent) as they are, or for a metric
    that counts whole things the same split to whole numbers (split_exact, the remainder on the largest
    part): 100 户 by 1 : 1 : 1 is 33, 33, 34, never 33.33."""
    if not counts_whole(metric):
        return parts
    return dict(zip(parts, split_exact(total, weights, places=0), strict=True))


def _actual(figures: dict, entity: Entity, metric: Metric, day) -> Decimal | None:
    return figures.get((entity.holder, metric.pk, day), (None, None))[0]


def _basis_notes(
    scope: Scope, unit: OrgUnit, metric: Metric, basis_period: Period, split, by_key: dict, actuals: dict
) -> list[str]:
    """The page's notes on the bases that could not weigh: each named with its figure ("—": none); a
    staff member's name as the reader may see it."""
    notes = []
    names = {}
    for key, entity in by_key.items():
        name = scope.person_name(entity.staff.name) if entity.is_staff else entity.unit.name
        names[key] = f"{name} ({plain_number(actuals[key])})"
    if split.equal_fallback:
        notes.append(
            _("%(unit)s, %(metric)s: no usable actual in %(period)s (0, below 0 or missing), so equal shares.")
            % {"unit": unit.name, "metric": metric.name, "period": basis_period.code}
        )
    elif split.floored or split.zero or split.missing:
        keys = [*split.floored, *split.zero, *split.missing]
        notes.append(
            _(
                "%(unit)s, %(metric)s: actual of %(period)s is 0, below 0 or missing for %(names)s: "
                "counted as 0, no share."
            )
            % {
                "unit": unit.name,
                "metric": metric.name,
                "period": basis_period.code,
                "names": ", ".join(names[key] for key in keys),
            }
        )
    return notes


def parse_weights(text: str) -> list[Decimal] | None:
    """'1, 1, 1.2 1.5' → [1, 1, 1.2, 1.5] (spaces or commas, also full-width); empty → None (equal)."""
    from lib.csvimport import decimal

    pieces = text.replace("，", " ").replace(",", " ").split()
    if not pieces:
        return None
    weights = []
    for piece in pieces:
        try:
            weights.append(decimal(piece))
        except ValueError:
            raise PlanProblems(
                [
                    Problem(
                        "weights",
                        _("“%(text)s” is not a number; weights are numbers such as 1 1 1.2.") % {"text": piece},
                    )
                ]
            )
    return weights


def plan_fill_time(
    *,
    scope: Scope,
    plan: Plan,
    level: OrgUnit,
    metrics: list[Metric],
    into: PeriodKind | str,
    weights: list[Decimal] | None = None,
    cascade: bool = False,
) -> FillResult:
    """A year plan's (or a quarter plan's) proposals into quarters or months by seasonal weights, for the
    level's own row and its rows (with `cascade`, every level below too): each row's figure of the plan
    period (its proposal, else its target now) is split by split_over_time; a metric that does not add
    up over time (a balance, a daily average, a ratio) gets its level in every part."""
    check_can_plan(scope, plan)
    _check_level(plan, level)
    metrics = _check_metrics(plan, metrics)
    period = plan.period_obj
    try:
        into = PeriodKind(into)
    except ValueError:
        into = None
    if into not in sub_period_kinds(period.kind):
        raise PlanProblems([Problem("into", _("A year splits into quarters or months, a quarter into months."))])
    levels = subtree_levels(level, period) if cascade else {level: level_entities(level, period)}
    everyone = [Entity(unit=level)] + [entity for entities in levels.values() for entity in entities]
    cells = plan_cells(plan, periods=[period])
    targets = current_targets(everyone, metrics, [period])
    inputs, notes, left = [], [], []
    for entity in everyone:
        for metric in metrics:
            if (entity.is_staff and not metric.for_staff) or (not entity.is_staff and not metric.for_units):
                continue
            cell = cells.get(cell_key(entity, metric, period))
            total = cell.value if cell is not None and cell.value is not None else None
            if total is None:
                total = targets.get(target_key(entity, metric, period))
            if total is None:
                left.append(entity.code)
                continue
            adds_up = adds_up_over_time(metric)
            try:
                parts = split_over_time(total, period, into, weights, adds_up=adds_up)
            except SplitProblem:
                count = len(sub_periods(period, into))
                raise PlanProblems(
                    [
                        Problem(
                            "weights",
                            _("Give %(count)s weights of 0 or more, one per part in calendar order, not all 0.")
                            % {"count": count},
                        )
                    ]
                )
            if adds_up:
                split = _whole_parts(metric, total, weights or [Decimal(1)] * len(parts), dict(parts))
                parts = list(split.items())
            for position, (part, value) in enumerate(parts):
                weight = weights[position] if weights is not None else Decimal(1)
                if adds_up and weight == 0:
                    continue  # a part weighted 0 gets no target (as kpi.services.decomposition.plan_over_time)
                code = bases.season(plain_number(weight)) if adds_up else bases.LEVEL
                inputs.append(
                    CellInput(unit=entity.unit, staff=entity.staff, metric=metric, period=part, value=value, basis=code)
                )
    if left:
        notes.append(
            _("No target of %(period)s yet, so not split over time: %(codes)s.")
            % {"period": period.code, "codes": ", ".join(sorted(set(left)))}
        )
    saved = plan_cells_save(scope=scope, plan=plan, cells=inputs)
    return FillResult(saved=saved, notes=notes)
