"""The Monday meeting (周例会): each outlet's targets of an ISO week, prefilled from what each remaining day
of the month must bring (DOMAIN.md §1, §4).

As of `d`, the latest rolled-up day, a day x of the week after d must bring, for a metric whose target
is an amount (sum, change), in its month M:

- (T − A) / (M.end − d) when d lies in M: what is still missing of M's target T (A, the month's actual
  as of d, from the published month scorecard) over the days left after d (DOMAIN.md §4, required per
  remaining day); nothing when the month's target is already reached;
- T / (days of M) when M starts after d: nothing of it is done yet.

The week's target is the actual of its days up to d (when d lies in the week) plus what each later day
must bring, summed exactly and then rounded: 万元 to 2 decimals, counts (户, 笔, 人, 件, 分钟) up to a
whole number (half a sign-up is not a goal). A week across a month end takes each day from its own
month: Monday 28 December 2026 to Sunday 3 January 2027 takes 4 days of December's remaining pace and 3
of January's. A day whose month has no target brings nothing, and the page says so. A metric that is a
level (a balance, a daily average, a ratio) gets its month's level.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, localcontext

from django.utils.translation import gettext as _

from branches.models import OrgUnit
from kpi.models import Metric
from kpi.selectors.scorecards import latest_rolled_up_date
from kpi.services.decomposition import adds_up_over_units
from lib.periods import Period, PeriodKind, days_between, period_of
from plans import basis as bases
from plans.models import Plan
from plans.selectors import Entity, current_targets, level_entities, metrics_at, scorecard_figures, target_key
from plans.services.cells import CellInput, plan_cells_save, plan_create
from staff.access import Scope

MONEY = "万元"


def round_week_target(value: Decimal, metric: Metric) -> Decimal:
    """万元 (and %) half up to 2 decimals; a count up to a whole number."""
    if metric.unit in (MONEY, "%"):
        return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return value.quantize(Decimal(1), rounding=ROUND_CEILING)


def week_pace_targets(
    *, entities: list[Entity], metrics: list[Metric], week: Period, as_of: datetime.date | None
) -> tuple[dict[tuple, Decimal], list[str]]:
    """(entity key, metric id) → the week's target from the months' remaining pace, and the notes of
    what could not be prefilled. Four queries."""
    if as_of is None:
        return {}, [_("Nothing is rolled up yet, so the week cannot be prefilled from the month's pace.")]
    remaining = [day for day in days_between(week.start, week.end) if day > as_of]
    months = sorted({period_of(PeriodKind.MONTH, day) for day in days_between(week.start, week.end)})
    targets = current_targets(entities, metrics, months)
    month_actuals = scorecard_figures(entities, metrics, PeriodKind.MONTH, [as_of])
    week_actuals = scorecard_figures(entities, metrics, PeriodKind.WEEK, [as_of]) if as_of in week else {}
    values: dict[tuple, Decimal] = {}
    without: dict[str, set[str]] = {}
    for metric in metrics:
        for entity in entities:
            if metric.is_cumulative:
                figures = (targets, month_actuals, week_actuals)
                total, missing = _cumulative(entity, metric, week, as_of, remaining, figures)
            else:
                level = targets.get(target_key(entity, metric, period_of(PeriodKind.MONTH, week.start)))
                total, missing = level, ([] if level is not None else [f"{week.start:%Y-%m}"])
            if missing:
                without.setdefault(metric.name, set()).update(f"{entity.code} {month}" for month in missing)
            if total is not None:
                values[(entity.key, metric.pk)] = round_week_target(max(total, Decimal(0)), metric)
    notes = [
        _("%(metric)s: no month target for %(which)s; those days bring nothing to the week's target.")
        % {"metric": name, "which": ", ".join(sorted(which))}
        for name, which in without.items()
    ]
    return values, notes


def _cumulative(entity, metric, week, as_of, remaining, figures):
    """The week's target of a cumulative metric (see the module's docstring), or None when no day after
    `as_of` has a month target; and the months without one."""
    targets, month_actuals, week_actuals = figures
    missing: list[str] = []
    if not remaining:  # the week is over: nothing to plan
        return None, missing
    total = Decimal(0)
    if as_of in week:
        total += week_actuals.get((entity.holder, metric.pk, as_of), (None, None))[0] or Decimal(0)
    with localcontext() as context:
        context.prec = 40
        any_rate = False
        for day in remaining:
            month = period_of(PeriodKind.MONTH, day)
            target = targets.get(target_key(entity, metric, month))
            if target is None:
                if f"{month.start:%Y-%m}" not in missing:
                    missing.append(f"{month.start:%Y-%m}")
                continue
            any_rate = True
            if as_of >= month.start:
                actual = month_actuals.get((entity.holder, metric.pk, as_of), (None, None))[0] or Decimal(0)
                total += max(target - actual, Decimal(0)) / (month.end - as_of).days
            else:
                total += target / month.days
    if not any_rate:
        return None, missing
    return total, missing


def plan_week_create(
    *,
    scope: Scope,
    unit: OrgUnit,
    week: Period,
    metrics: list[Metric],
    created_by=None,
    as_of: datetime.date | None = None,
    name: str = "",
    revise: bool = False,
) -> tuple[Plan, list[str]]:
    """A draft plan of `unit`'s rows (its outlets; an outlet's staff) for an ISO week, prefilled from
    the months' remaining pace as of `as_of` (default: the latest rolled-up day), and, above outlets,
    the unit's own week as the sum of its rows' (for the metrics that add up). Returns the plan and the
    notes of what could not be prefilled.

    PlanExists, and nothing prefilled, when the unit has a plan of the week already: its draft, or a
    published one unless `revise` asks for a new draft beside it (plan_create)."""
    plan = plan_create(
        scope=scope, unit=unit, period=week, metrics=metrics, name=name, created_by=created_by, revise=revise
    )
    as_of = as_of or latest_rolled_up_date()
    entities = level_entities(unit, week)
    metrics = metrics_at(sorted(metrics, key=lambda metric: (metric.sort_order, metric.code)), unit)
    values, notes = week_pace_targets(entities=entities, metrics=metrics, week=week, as_of=as_of)
    code = bases.pace(as_of.isoformat()) if as_of else bases.HAND
    by_key = {entity.key: entity for entity in entities}
    by_metric = {metric.pk: metric for metric in metrics}
    cells = [
        CellInput(
            unit=by_key[key].unit,
            staff=by_key[key].staff,
            metric=by_metric[metric_id],
            period=week,
            value=value,
            basis=code,
        )
        for (key, metric_id), value in values.items()
    ]
    if not unit.is_outlet:
        # The unit's own week is what its outlets' weeks add up to (a level is not added up).
        for metric in metrics:
            parts = [value for (_key, metric_id), value in values.items() if metric_id == metric.pk]
            if parts and adds_up_over_units(metric):
                cells.append(
                    CellInput(unit=unit, metric=metric, period=week, value=sum(parts, Decimal(0)), basis=bases.SUM)
                )
    plan_cells_save(scope=scope, plan=plan, cells=cells)
    return plan, notes
