"""Demo performance pay (issue 16): pay rules in the seeds' words and last month's pay, so /pay/ is alive
for every demo login.

- A pay rule for each staff template (考核方案), from the templates' effective date: 每分 X 元 of the month's
  score, a minimum score below which the month's 绩效工资 is not paid, a veto (一票否决) that zeroes it,
  a monthly cap (封顶), and 计件工资 on the product each post sells (柜员 手机银行签约, 理财经理 理财销售
  per 万元, 客户经理 他行揽储 per 万元, 市场经理 客户走访, 大堂经理 大堂转介), on marginal tiers.
- The first sub-branch (the unit manager's) shares a 支行营销团队奖励 of 20,000 元 over its staff by score,
  and each of its outlets a 网点团队奖金池 of 6,000–10,000 元.
- The last whole month rolled up is closed (月结, by the command line) and its pay stored for the whole
  network but the outlets of the first sub-branch other than the outlet head's: the teller and the
  outlet head read closed sheets, and the unit manager's page shows the rest of the sub-branch as a
  preview with its close button (二次分配 waits for them).

Seeding again on a later day rewrites the window's facts and targets, which a closed month refuses: so
before the facts the demo reopens the months it closed itself (their last close by the command line),
without kpi's queued rollup (the seed rolls the window up itself), and closes them again afterwards.
Stored pay sheets are never rewritten (a month whose figures moved would carry the difference into the
next month, as a late fact does). Everything is idempotent: a second run writes nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Min

from branches.models import OrgUnit, UnitKind
from demo.scorecard_templates import STAFF_TEMPLATES
from kpi.models import Metric, MonthClose, MonthCloseEvent, RollupDay, ScorecardTemplate
from kpi.services.closing import MonthCloseError, month_close
from lib.periods import PeriodKind, period_of
from pay.models import PayRule, PaySheet, PieceRate, PieceRateTier, TeamPool
from pay.services.rules import pool_problem, rule_lock_reason
from pay.services.sheets import PayCloseError, pay_close
from staff.models import Role, User


@dataclass(frozen=True)
class RulePlan:
    template: str
    yuan_per_point: str
    min_score: str | None
    monthly_cap: str | None
    note: str
    # metric, then (from, to or None, 元 per unit) tiers
    piece_rates: tuple[tuple[str, tuple[tuple[str, str | None, str], ...]], ...] = ()


RULES = (
    RulePlan(
        "STAFF-TELLER", "30", "60", "6000", "每分 30 元；手机银行签约计件，超额累进",
        (("mobile_banking_signups", (("0", "30", "2"), ("30", "60", "3"), ("60", None, "5"))),),
    ),
    RulePlan(
        "STAFF-WEALTH-MANAGER", "40", "60", "15000", "每分 40 元；理财销售每万元计价，超额累进",
        (("wealth_sales", (("0", "200", "5"), ("200", "500", "8"), ("500", None, "10"))),),
    ),
    RulePlan(
        "STAFF-CUSTOMER-MANAGER", "35", "60", "12000", "每分 35 元；他行揽储每万元计价",
        (("other_bank_deposits_won", (("0", "100", "10"), ("100", None, "15"))),),
    ),
    RulePlan(
        "STAFF-MARKET-MANAGER", "35", "60", "10000", "每分 35 元；客户走访计件",
        (("customer_visits", (("0", "40", "5"), ("40", None, "8"))),),
    ),
    RulePlan(
        "STAFF-LOBBY-MANAGER", "30", "60", "8000", "每分 30 元；大堂转介计件",
        (("lobby_referrals", (("0", "50", "3"), ("50", None, "5"))),),
    ),
    RulePlan("STAFF-SERVICE-SPECIALIST", "25", "60", "6000", "每分 25 元"),
)  # fmt: skip

SUB_BRANCH_POOL = Decimal("20000.00")
OUTLET_POOLS = (Decimal("10000.00"), Decimal("8000.00"), Decimal("6000.00"))


@dataclass
class SeededPay:
    rules: int = 0
    pools: int = 0
    closed: list[datetime.date] = field(default_factory=list)
    sheets: int = 0
    left: list[str] = field(default_factory=list)  # outlets whose pay waits for the unit manager

    def __str__(self) -> str:
        months = ", ".join(f"{month:%Y-%m}" for month in self.closed) or "none"
        return (
            f"Pay: {self.rules} rules written, {self.pools} pools; months closed: {months}; {self.sheets} pay sheets "
            f"stored; waiting for the unit manager: {len(self.left)} outlets"
        )


def last_whole_month(end: datetime.date) -> datetime.date:
    """The last month whose last day is `end` or earlier."""
    month = period_of(PeriodKind.MONTH, end)
    return month.start if end == month.end else (month.start - datetime.timedelta(days=1)).replace(day=1)


def _latest_events() -> dict[datetime.date, MonthCloseEvent]:
    latest: dict[datetime.date, MonthCloseEvent] = {}
    for event in MonthCloseEvent.objects.order_by("at", "pk"):
        latest[event.month] = event
    return latest


def demo_closed_months() -> list[datetime.date]:
    """The months the demo closed itself: closed, and their latest close by the command line."""
    closed = set(MonthClose.objects.closed().values_list("month", flat=True))
    return sorted(
        month
        for month, event in _latest_events().items()
        if month in closed and event.action == "close" and event.by_id is None
    )


def demo_reopened_months() -> list[datetime.date]:
    """The months the demo reopened to seed again (their latest event), to be closed again."""
    closed = set(MonthClose.objects.closed().values_list("month", flat=True))
    return sorted(
        month
        for month, event in _latest_events().items()
        if month not in closed and event.action == "reopen" and event.by_id is None
    )


def reopen_demo_months() -> list[datetime.date]:
    """Before the facts are seeded again: reopen the months the demo closed, without queueing a rollup
    (the seed rolls its window up itself; kpi's month_reopen would start one beside it)."""
    months = demo_closed_months()
    with transaction.atomic():
        for month in months:
            MonthClose.objects.filter(month=month).update(is_closed=False)
            MonthCloseEvent.objects.create(month=month, action="reopen", by=None)
    return months


def seed_pay(*, end: datetime.date) -> SeededPay:
    """The rules, the pools of the last whole month, and its close (see the module's docstring)."""
    result = SeededPay()
    effective_from = ScorecardTemplate.objects.filter(code__in=[plan.code for plan in STAFF_TEMPLATES]).aggregate(
        first=Min("effective_from")
    )["first"]
    if effective_from is None:
        return result
    month = last_whole_month(end)
    with transaction.atomic():
        result.rules = _seed_rules(effective_from.replace(day=1))
        result.pools = _seed_pools(month)
    # Months the demo reopened to seed again, then the last whole month, oldest first.
    for closing in sorted({*demo_reopened_months(), month}):
        if _closable(closing):
            try:
                month_close(month=closing, by=None)
            except MonthCloseError:
                continue
            result.closed.append(closing)
    if month in result.closed:
        result.sheets, result.left = _close_pay(month)
    return result


def _closable(month: datetime.date) -> bool:
    last = period_of(PeriodKind.MONTH, month).end
    day = RollupDay.objects.published(on=last).first()
    return day is not None and day.stale_since is None


def _seed_rules(effective_from: datetime.date) -> int:
    metrics = {metric.code: metric for metric in Metric.objects.all()}
    written = 0
    for plan in RULES:
        wanted = {
            "yuan_per_point": Decimal(plan.yuan_per_point),
            "min_score": Decimal(plan.min_score) if plan.min_score else None,
            "veto_zeroes_pay": True,
            "monthly_cap": Decimal(plan.monthly_cap) if plan.monthly_cap else None,
            "note": plan.note,
        }
        rule = PayRule.objects.filter(template_code=plan.template, effective_from=effective_from).first()
        if rule is not None and rule_lock_reason(rule):
            continue  # paid months rest on it as it is
        tiers_wanted = [
            (metric, [(Decimal(start), Decimal(to) if to else None, Decimal(rate)) for start, to, rate in tiers])
            for metric, tiers in plan.piece_rates
        ]
        if rule is not None and _as_planned(rule, wanted, tiers_wanted):
            continue
        if rule is None:
            rule = PayRule(template_code=plan.template, effective_from=effective_from)
        for name, value in wanted.items():
            setattr(rule, name, value)
        rule.save()
        rule.piece_rates.all().delete()
        for order, (metric, tiers) in enumerate(tiers_wanted):
            piece = PieceRate.objects.create(rule=rule, metric=metrics[metric], sort_order=order)
            PieceRateTier.objects.bulk_create(
                PieceRateTier(piece_rate=piece, from_volume=start, to_volume=to, yuan_per_unit=rate)
                for start, to, rate in tiers
            )
        written += 1
    return written


def _as_planned(rule: PayRule, wanted: dict, tiers_wanted: list) -> bool:
    if any(getattr(rule, name) != value for name, value in wanted.items()):
        return False
    stored = [
        (piece.metric.code, [(tier.from_volume, tier.to_volume, tier.yuan_per_unit) for tier in piece.tiers.all()])
        for piece in rule.piece_rates.select_related("metric").prefetch_related("tiers")
    ]
    return stored == tiers_wanted


def _first_sub_branch() -> OrgUnit | None:
    manager = User.objects.filter(role=Role.UNIT_MANAGER, is_active=True).select_related("unit").order_by("pk").first()
    if manager is not None and manager.unit_id:
        return manager.unit
    return OrgUnit.objects.filter(kind=UnitKind.SUB_BRANCH).order_by("path").first()


def _seed_pools(month: datetime.date) -> int:
    sub_branch = _first_sub_branch()
    if sub_branch is None:
        return 0
    outlets = list(OrgUnit.objects.filter(kind=UnitKind.OUTLET, path__startswith=sub_branch.path).order_by("path"))
    wanted = [(sub_branch, SUB_BRANCH_POOL, "支行营销团队奖励")] + [
        (outlet, OUTLET_POOLS[index % len(OUTLET_POOLS)], "网点团队奖金池") for index, outlet in enumerate(outlets)
    ]
    written = 0
    for unit, amount, note in wanted:
        pool = TeamPool.objects.filter(unit=unit, month=month).first()
        if pool is not None and (pool.amount, pool.note) == (amount, note):
            continue
        if pool_problem(unit=unit, month=month):
            continue  # its pay is closed: the pool stays as it was shared
        TeamPool.objects.update_or_create(unit=unit, month=month, defaults={"amount": amount, "note": note})
        written += 1
    return written


def _close_pay(month: datetime.date) -> tuple[int, list[str]]:
    """Close the month's pay of the whole network but the first sub-branch's outlets other than the
    outlet head's (the first): the largest units that hold none of those, one close each."""
    sub_branch = _first_sub_branch()
    waiting: set[str] = set()
    if sub_branch is not None:
        outlets = OrgUnit.objects.filter(kind=UnitKind.OUTLET, path__startswith=sub_branch.path).order_by("path")
        waiting = {outlet.path for outlet in list(outlets)[1:]}
    units = list(OrgUnit.objects.order_by("path"))
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)

    def holds_waiting(unit: OrgUnit) -> bool:
        return any(path.startswith(unit.path) for path in waiting)

    def to_close(unit: OrgUnit) -> list[OrgUnit]:
        if unit.path in waiting:
            return []
        if not holds_waiting(unit):
            return [unit]
        return [part for child in children.get(unit.pk, []) for part in to_close(child)]

    for root in children.get(None, []):
        for unit in to_close(root):
            try:
                pay_close(month=month, unit=unit, by=None, scope=None)
            except PayCloseError:
                break
    left = sorted(path.strip("/").rsplit("/", 1)[-1] for path in waiting)
    return PaySheet.objects.filter(month=month).count(), left
