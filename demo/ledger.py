"""The demo's points ledger (台账, issue 16): the items a county bank's 网点 keeps (the seeds' 全部纳入台账,
计价分配 and 扣分 of 劳动纪律, 内控问题, 服务违规), and three weeks of entries of the demo sub-branch's staff, so
the ledger, its approval page and the staff scorecards' 台账积分 line are alive for every demo login.

- seed_ledger_catalog(): the metric 台账积分 (ledger_points, a staff sum in points, 分) and the items, before
  the templates that score it (demo.scorecard_templates gives every staff template a points line on it),
  and the standing 分润 rule of its points: a teller's referral gives the wealth manager 30 %.
- seed_ledger(plan, end): for every working day of the three weeks ending `end` (the last day of facts),
  the entries of the staff of the unit manager's sub-branch, as each post works: tellers open cards and
  bind mobile banking, customer managers visit merchants and sign payroll (代发工资), the lobby and the
  tellers refer customers to wealth (a teller's referral shared with the outlet's wealth manager, 70/30),
  leaflets go out on Saturdays; now and then a deduction. They are approved by each
  outlet's head, and their facts written through the ledger (ledger.services.entries_facts_write, one
  facts_ingest, source `ledger`), before the rollup. The day after `end` (today, in `make run`) has
  entries waiting for the outlet head's approval, among them a suspected duplicate (two colleagues name
  the same customer's card); one entry of the window was rejected, with its reason.

Safe to run again: a day that already has entries at the sub-branch's outlets is left as it is, and the
facts come out the same (facts_ingest leaves an unchanged fact alone).
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from branches.models import OrgUnit, UnitKind
from demo.network import NetworkPlan
from kpi.models import Aggregation, Category, CreditSplitRule, Level, Metric, MetricUnit, MonthClose
from kpi.services.credit import ShareQuestion, shares_for, split_exactly
from ledger.models import EntryChange, EntryStatus, ItemKind, LedgerEntry, LedgerItem
from ledger.services import entries_facts_write
from lib.periods import days_between
from staff.models import Assignment, Post, Role, User

METRIC = "ledger_points"
SPLIT_FROM = datetime.date(2024, 1, 1)
WINDOW_DAYS = 21


@dataclass(frozen=True)
class ItemPlan:
    code: str
    name_zh: str
    name_en: str
    points: str
    unit_label: str
    kind: str = ItemKind.REWARD
    posts: tuple[str, ...] = ()
    customer: bool = False
    photo: bool = False
    approval: bool = True
    cap: int | None = None


ITEMS = (
    ItemPlan("credit_card", "信用卡开卡", "Credit card opened", "2.5", "张", customer=True, cap=5,
             posts=("teller", "lobby_manager", "customer_manager", "wealth_manager", "service_specialist")),
    ItemPlan("mobile_binding", "手机银行绑卡", "Mobile banking card bound", "1", "户", customer=True, cap=20),
    ItemPlan("payroll", "代发工资签约", "Payroll service signed", "8", "户", customer=True, cap=3,
             posts=("customer_manager", "market_manager", "outlet_head", "retail_supervisor")),
    ItemPlan("merchant_visit", "走访商户", "Merchant visited", "0.5", "户", photo=True, cap=30,
             posts=("market_manager", "customer_manager", "lobby_manager", "outlet_head")),
    ItemPlan("leaflets", "发放宣传单", "Leaflets handed out", "0.02", "份", photo=True, approval=False, cap=500),
    ItemPlan("wealth_referral", "转介理财", "Referral to a wealth manager", "2", "人", customer=True, cap=10,
             posts=("teller", "lobby_manager", "service_specialist")),
    ItemPlan("discipline", "劳动纪律扣分", "Work discipline deduction", "2", "次", kind=ItemKind.DEDUCTION,
             approval=False),
    ItemPlan("internal_control", "内控问题扣分", "Internal control deduction", "5", "次", kind=ItemKind.DEDUCTION,
             approval=False),
    ItemPlan("service_violation", "服务违规扣分", "Service violation deduction", "3", "次",
             kind=ItemKind.DEDUCTION, approval=False),
)  # fmt: skip

# What each post records on a working day: (item, least, most, chance of recording it at all).
WORK = {
    "teller": (("credit_card", 1, 2, 0.4), ("mobile_binding", 1, 4, 0.8), ("wealth_referral", 1, 2, 0.4)),
    "lobby_manager": (("mobile_binding", 2, 6, 0.9), ("wealth_referral", 1, 3, 0.6), ("merchant_visit", 1, 3, 0.3)),
    "service_specialist": (("mobile_binding", 1, 4, 0.8), ("wealth_referral", 1, 2, 0.5)),
    "customer_manager": (("merchant_visit", 2, 6, 0.8), ("payroll", 1, 1, 0.15), ("credit_card", 1, 2, 0.3)),
    "market_manager": (("merchant_visit", 3, 8, 0.9), ("payroll", 1, 1, 0.2)),
    "wealth_manager": (("credit_card", 1, 2, 0.4),),
    "retail_supervisor": (("payroll", 1, 1, 0.1),),
    "outlet_head": (("merchant_visit", 1, 3, 0.4), ("payroll", 1, 1, 0.1)),
}
LEAFLET_POSTS = ("teller", "lobby_manager", "customer_manager", "market_manager")
DEDUCTION_REASONS = {
    "discipline": ("早会迟到 10 分钟", "上班时间离岗未报备", "工装不规范"),
    "internal_control": ("尾箱交接未双人签字", "重要空白凭证登记不全"),
    "service_violation": ("客户评价不满意，未使用规范服务用语", "叫号等候超时未主动安抚"),
}
NOTES = {
    "credit_card": "柜面推荐办卡，客户当场激活",
    "mobile_binding": "厅堂引导绑卡",
    "payroll": "走访企业，签订代发工资协议",
    "merchant_visit": "片区走访，商户收单需求登记",
    "leaflets": "社区发放“积分送好礼”宣传单",
    "wealth_referral": "转介理财经理，客户有定期到期资金",
}


def ledger_metric_ensure() -> Metric:
    """台账积分, as HQ would define it in the admin (created or put back to the plan)."""
    metric, _created = Metric.objects.update_or_create(
        code=METRIC,
        defaults={
            "name_zh": "台账积分",
            "name_en": "Ledger points",
            "unit": MetricUnit.POINTS,
            "aggregation": Aggregation.SUM,
            "level": Level.STAFF,
            "category": Category.MARKETING,
            "sort_order": 900,
            "description": "台账：每日营销、走访、宣传与扣分按分值计入，网点负责人晨会前审批。",
        },
    )
    return metric


def seed_ledger_catalog() -> str:
    """台账积分 and the items (created or put back to the plan); what it did, as a line."""
    metric = ledger_metric_ensure()
    posts = {post.code: post for post in Post.objects.all()}
    written = 0
    for order, plan in enumerate(ITEMS):
        item, created = LedgerItem.objects.update_or_create(
            code=plan.code,
            defaults={
                "name_zh": plan.name_zh,
                "name_en": plan.name_en,
                "kind": plan.kind,
                "metric": metric,
                "points_per_unit": Decimal(plan.points),
                "unit_label": plan.unit_label,
                "requires_customer": plan.customer,
                "requires_evidence": plan.photo,
                "requires_approval": plan.approval,
                "daily_cap": plan.cap,
                "is_active": True,
                "sort_order": order,
            },
        )
        item.posts.set([posts[code] for code in plan.posts])
        written += created
    # 分润 of the ledger: a teller's referral to the wealth manager gives the wealth manager 30 % of it, as the
    # seeds split 理财 between the wealth manager and the referring teller (an outlet may set 20–40 %).
    CreditSplitRule.objects.update_or_create(
        metric=metric,
        owner_post=posts["teller"],
        partner_post=posts["wealth_manager"],
        effective_from=SPLIT_FROM,
        defaults={"share": Decimal(30), "min_share": Decimal(20), "max_share": Decimal(40), "active": True},
    )
    return f"Ledger items: {written} created, {len(ITEMS) - written} already there"


@dataclass
class SeededLedger:
    approved: int = 0
    pending: int = 0
    rejected: int = 0
    days: int = 0

    def __str__(self) -> str:
        return (
            f"Ledger entries: {self.approved} approved, {self.pending} waiting, {self.rejected} rejected "
            f"({self.days} new days)"
        )


def seed_ledger(*, plan: NetworkPlan, end: datetime.date, seed: int = 2026) -> SeededLedger:
    """Three weeks of entries to `end` and the waiting ones of the day after (see the module)."""
    sub_branch = plan.sub_branches[0]
    outlets = list(OrgUnit.objects.filter(kind=UnitKind.OUTLET, parent__code=sub_branch.code).order_by("code"))
    items = {item.code: item for item in LedgerItem.objects.select_related("metric")}
    seeded = SeededLedger()
    if not outlets or not items:
        return seeded
    closed = set(MonthClose.objects.closed().values_list("month", flat=True))
    window = [
        day
        for day in days_between(end - datetime.timedelta(days=WINDOW_DAYS - 1), end)
        if day.replace(day=1) not in closed
    ]
    waiting_day = end + datetime.timedelta(days=1)
    done = set(
        LedgerEntry.objects.filter(unit__in=outlets, day__in=[*window, waiting_day]).values_list("day", flat=True)
    )
    # Who approves at each outlet: its head's login, else the sub-branch manager's (who may approve too).
    manager = User.objects.filter(role=Role.UNIT_MANAGER, unit__code=sub_branch.code, is_active=True).first()
    heads = {outlet.pk: manager for outlet in outlets if manager is not None}
    heads.update({user.unit_id: user for user in User.objects.filter(role=Role.OUTLET_HEAD, unit__in=outlets)})
    postings = list(
        Assignment.objects.filter(unit__in=outlets, start__lte=waiting_day)
        .exclude(end__lt=window[0] if window else end)
        .select_related("staff__user", "post", "unit")
        .order_by("unit__code", "staff__code", "start")
    )
    entries: list[LedgerEntry] = []
    now = timezone.now()
    with transaction.atomic():
        for day in [*window, waiting_day]:
            if day in done:
                continue
            before = len(entries)
            rng = random.Random(seed * 1000 + day.toordinal())
            waiting = day == waiting_day
            made_today: list[LedgerEntry] = []
            working = [p for p in postings if p.start <= day and (p.end is None or p.end >= day)]
            wealth = {}
            for posting in working:
                if posting.post.code == "wealth_manager":
                    wealth.setdefault(posting.unit_id, posting.staff)
            for posting in working:
                for entry in _day_of(rng, posting, day, items):
                    if entry.item.code == "wealth_referral" and posting.post.code == "teller":
                        entry.partner = wealth.get(entry.unit_id)
                    made_today.append(entry)
            if waiting and made_today:
                # Two colleagues of the first outlet name the same customer's card: a suspected duplicate.
                first = [entry for entry in made_today if entry.unit_id == outlets[0].pk]
                cards = [entry for entry in first if entry.item.code == "credit_card"]
                others = [entry for entry in first if entry.item.code != "credit_card"]
                if cards and others:
                    twin = others[0]
                    made_today.append(
                        _entry(items["credit_card"], twin.staff, twin.unit, day, 1, cards[0].customer_code, rng)
                    )
            for entry in made_today:
                head = heads.get(entry.unit_id)
                if not waiting or not entry.item.requires_approval:
                    entry.status = EntryStatus.APPROVED
                    entry.decided_by = head if entry.item.requires_approval else None
                    entry.decided_at = now
                entries.append(entry)
            if not waiting and rng.random() < 0.35:
                entries.append(_deduction(rng, postings, day, items, heads, outlets))
            seeded.days += any(entry is not None for entry in entries[before:])  # a Sunday may have none
        _reject_one(entries, heads)
        entries = [entry for entry in entries if entry is not None]
        _split(entries)
        LedgerEntry.objects.bulk_create(entries, batch_size=2000)
        EntryChange.objects.bulk_create(
            [EntryChange(entry=entry, action=EntryChange.Action.CREATED, by=entry.entered_by) for entry in entries]
            + [
                EntryChange(
                    entry=entry,
                    action=EntryChange.Action.APPROVED
                    if entry.status == EntryStatus.APPROVED
                    else EntryChange.Action.REJECTED,
                    by=entry.decided_by,
                    reason=entry.rejection_reason,
                )
                for entry in entries
                if entry.status != EntryStatus.PENDING and entry.decided_by is not None
            ],
            batch_size=2000,
        )
        counted = [entry for entry in entries if entry.status == EntryStatus.APPROVED]
        entries_facts_write(entries=counted)
    for entry in entries:
        if entry.status == EntryStatus.APPROVED:
            seeded.approved += 1
        elif entry.status == EntryStatus.PENDING:
            seeded.pending += 1
        else:
            seeded.rejected += 1
    return seeded


def _split(entries: list[LedgerEntry]) -> None:
    """The shared entries' parts, by the standing rules (three queries for them all); an entry no rule
    covers is not shared."""
    shared = [entry for entry in entries if entry.partner is not None]
    questions = {
        id(entry): ShareQuestion(
            metric_id=entry.item.metric_id,
            owner_id=entry.staff.pk,
            partner_id=entry.partner.pk,
            unit_id=entry.unit.pk,
            on=entry.day,
        )
        for entry in shared
    }
    shares = shares_for(questions.values())
    for entry in shared:
        share = shares[questions[id(entry)]]
        if share is None:
            entry.partner = None
            continue
        entry.partner_share = share
        entry.own_points, entry.partner_points = split_exactly(entry.points, share)


def _day_of(rng: random.Random, posting: Assignment, day: datetime.date, items: dict) -> list[LedgerEntry]:
    """What one person records on a day: their post's work on a weekday; leaflets on a Saturday."""
    made = []
    if day.weekday() == 5:
        if posting.post.code in LEAFLET_POSTS and rng.random() < 0.3:
            leaflets = rng.choice((50, 100, 150))
            made.append(_entry(items["leaflets"], posting.staff, posting.unit, day, leaflets, "", rng))
        return made
    if day.weekday() == 6:
        return made
    for code, least, most, chance in WORK.get(posting.post.code, ()):
        if code in items and rng.random() < chance:
            quantity = rng.randint(least, most)
            customer = _customer(rng) if items[code].requires_customer else ""
            made.append(_entry(items[code], posting.staff, posting.unit, day, quantity, customer, rng))
    return made


def _entry(item, staff, unit, day, quantity, customer, rng) -> LedgerEntry:
    points = Decimal(quantity) * item.signed_points_per_unit
    return LedgerEntry(
        item=item,
        staff=staff,
        unit=unit,
        day=day,
        quantity=quantity,
        points=points,
        own_points=points,
        customer_code=customer,
        note=NOTES.get(item.code, "") if rng.random() < 0.4 else "",
        entered_by=staff.user,
    )


def _deduction(rng, postings, day, items, heads, outlets) -> LedgerEntry | None:
    """Now and then a deduction at one of the outlets, entered by its head with the reason."""
    outlet = rng.choice(outlets)
    people = [
        p
        for p in postings
        if p.unit_id == outlet.pk
        and p.post.code != "outlet_head"
        and p.start <= day
        and (p.end is None or p.end >= day)
    ]
    head = heads.get(outlet.pk)
    if not people or head is None:
        return None
    code = rng.choice(("discipline", "discipline", "service_violation", "internal_control"))
    item = items[code]
    entry = _entry(item, rng.choice(people).staff, outlet, day, 1, "", rng)
    entry.note = rng.choice(DEDUCTION_REASONS[code])
    entry.entered_by = head
    entry.status = EntryStatus.APPROVED
    entry.decided_at = timezone.now()
    return entry


def _reject_one(entries: list[LedgerEntry | None], heads: dict) -> None:
    """The first outlet head's rejection of a card entry of the window: the customer had no card issued."""
    for entry in entries:
        if (
            entry is not None
            and entry.item.code == "credit_card"
            and entry.status == EntryStatus.APPROVED
            and heads.get(entry.unit_id) is not None
        ):
            entry.status = EntryStatus.REJECTED
            entry.decided_by = heads[entry.unit_id]
            entry.rejection_reason = "核心系统查无该客户开卡记录，请核实客户号后重新登记"
            return


def _customer(rng: random.Random) -> str:
    return f"C{rng.randint(1, 9_999_999):07d}"
