"""Demo target plans (issue 15): what HQ and the first sub-branch's manager would have on the planning
page the morning the demo opens.

- HQ's "2027 年度存款计划", a draft: next year's deposit growth (存款净增) and deposit daily average
  (存款日均) of the whole network, each branch, sub-branch and outlet at this year's target × 1.08 (the
  copy-with-a-growth-factor fill, cascaded), and the head office's growth split over the months with
  开门红 weights (a strong first quarter). Written by seed_demo before the server starts: no rollup.
- The first sub-branch's targets of the coming week (各网点下周发展目标), as its manager sets them at the
  周例会: prefilled from what each remaining day of the month must bring as of the last day rolled up,
  published, and answered by two outlets (one 签收, one 申请复核 with its reason); the demo outlet
  head's outlet still has to answer. The coming week, not the current one: the demo's own targets
  cover the current week, and a plan that changed them would be undone by the next seed (which then
  rolls the week up again), where a seed run again must change nothing and roll nothing up. The week's
  first scorecards show them; that a published week shows on the scorecards the same day is
  tests/plans/test_weeks.py's.

Both are written by seed_demo once the recent days are rolled up (the prefill reads their scorecards),
before the server starts; they go through plans.services as the page does, and are skipped when a plan
of the same name, unit and period is there already (a second run writes nothing).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from branches.models import OrgUnit, UnitKind
from kpi.models import Metric
from lib.periods import PeriodKind, parse_period, period_of
from plans.models import AcknowledgementStatus, Plan, PlanCell, TargetAcknowledgement
from plans.selectors import Entity, current_targets
from plans.services.cells import CellInput, plan_cells_save, plan_create
from plans.services.fill import plan_fill, plan_fill_time
from plans.services.publish import plan_publish
from plans.services.weeks import plan_week_create
from staff.access import scope_for_user
from staff.models import Role, User

YEAR_PLAN = "{year} 年度存款计划"
WEEK_PLAN = "{unit}{week} 周发展目标"
GROWTH = Decimal("1.08")
# 开门红: January to March carry the year (deposits won at the year's start earn all year).
SEASON = [Decimal(weight) for weight in ("1.6", "1.3", "1.2", "1", "1", "1", "0.9", "0.9", "0.9", "0.8", "0.7", "0.7")]
WEEK_METRICS = ("deposit_growth", "mobile_banking_signups", "wealth_sales", "customer_visits")
REVIEW_REASON = "本周两名客户经理参加分行理财培训，存款净增目标偏高，申请按三天工作量复核。"


def _persona(role: str) -> User | None:
    return User.objects.filter(role=role, is_active=True).select_related("unit").order_by("pk").first()


def seed_year_plan(*, end: datetime.date) -> str:
    """HQ's draft plan of next year (see the module's docstring); what it did, as a line."""
    hq_user = _persona(Role.HQ_ADMIN)
    head_office = OrgUnit.objects.filter(parent=None).order_by("path").first()
    if hq_user is None or head_office is None:
        return "Target plans: no HQ administrator or head office, nothing planned"
    year = period_of(PeriodKind.YEAR, end).start.year + 1
    name = YEAR_PLAN.format(year=year)
    period = parse_period(str(year))
    # By unit and period, not by name: a unit has one draft of a period (plans.models), whatever it is called.
    if Plan.objects.filter(unit=head_office, period=period.code).exists():
        return f"Target plans: {head_office.code} has a plan of {period.code} already"
    scope = scope_for_user(hq_user)
    metrics = list(Metric.objects.filter(code__in=("deposit_growth", "deposit_daily_avg")).order_by("sort_order"))
    plan = plan_create(
        scope=scope,
        unit=head_office,
        period=period,
        metrics=metrics,
        name=name,
        created_by=hq_user,
        note="各行按今年目标上浮 8% 起草，一季度开门红按季节权重分解；待各分行讨论后发布。",
    )
    this_year = period.previous()
    now = current_targets([Entity(unit=head_office)], metrics, [this_year])
    plan_cells_save(
        scope=scope,
        plan=plan,
        cells=[
            CellInput(
                unit=head_office,
                metric=metric,
                period=period,
                value=(now[(("unit", head_office.pk), metric.pk, "year", this_year.start)] * GROWTH).quantize(
                    Decimal("0.01")
                ),
                basis=f"copy:{GROWTH}",
            )
            for metric in metrics
            if (("unit", head_office.pk), metric.pk, "year", this_year.start) in now
        ],
    )
    plan_fill(scope=scope, plan=plan, level=head_office, metrics=metrics, method="copy", factor=GROWTH, cascade=True)
    growth = [metric for metric in metrics if metric.code == "deposit_growth"]
    plan_fill_time(scope=scope, plan=plan, level=head_office, metrics=growth, into="month", weights=SEASON)
    return f"Target plans: {name} (draft), {PlanCell.objects.filter(plan=plan).count()} proposals"


def seed_week_plan(*, end: datetime.date) -> str:
    """The first sub-branch's published targets of the coming week (see the module's docstring); what it
    did, as a line."""
    manager = _persona(Role.UNIT_MANAGER)
    if manager is None or manager.unit is None or manager.unit.kind == UnitKind.OUTLET:
        return "Target plans: no unit manager, no week planned"
    this_week = period_of(PeriodKind.WEEK, end + datetime.timedelta(days=1))
    week = period_of(PeriodKind.WEEK, this_week.end + datetime.timedelta(days=1))
    name = WEEK_PLAN.format(unit=manager.unit.name, week=week.code)
    if Plan.objects.filter(unit=manager.unit, period=week.code).exists():
        return f"Target plans: {manager.unit.code} has a plan of {week.code} already"
    scope = scope_for_user(manager)
    metrics = list(Metric.objects.filter(code__in=WEEK_METRICS).order_by("sort_order"))
    plan, _notes = plan_week_create(
        scope=scope, unit=manager.unit, week=week, metrics=metrics, created_by=manager, as_of=end, name=name
    )
    if not PlanCell.objects.filter(plan=plan, value__isnull=False).exists():
        return f"Target plans: {name} (draft: nothing to prefill as of {end})"
    published = plan_publish(scope=scope, plan=plan, by=manager)
    head_outlet = _persona(Role.OUTLET_HEAD)
    answered = (
        TargetAcknowledgement.objects.filter(plan=plan)
        .exclude(unit=getattr(head_outlet, "unit", None))
        .select_related("unit")
        .order_by("unit__path")[:2]
    )
    now = timezone.now()
    for row, (status, reason) in zip(
        answered,
        [(AcknowledgementStatus.ACKNOWLEDGED, ""), (AcknowledgementStatus.REVIEW, REVIEW_REASON)],
        strict=False,
    ):
        TargetAcknowledgement.objects.filter(pk=row.pk).update(status=status, reason=reason, answered_at=now)
    return (
        f"Target plans: {name} published ({published.created + published.updated} targets), "
        f"{published.acknowledgements} units asked to acknowledge"
    )
