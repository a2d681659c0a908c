"""The demo's territories (网格), prospects (客户信息表) and referrals (转介), issue 18, so the outreach pages
are alive for the outlet head, the teller and the unit manager of the demo sub-branch (and HQ).

- Territories: each outlet of the first sub-branch cuts its ground into communities, villages, markets
  and business districts (幸福社区, 东风村, 城东农贸市场 …; villages for a township outlet), each owned by one
  of its customer, market or lobby managers or tellers (定员定岗定责); the teller persona owns one. The
  outlet's customers are spread over its territories.
- Prospects: a handful per territory, taken down by the owner over the last weeks; some carry the identity
  number of a customer of the outlet, who opened an account since: customers.services.prospects_convert
  links them, as the import would.
- Referrals: on every working day of the last four weeks to `end`, the tellers (柜面转介) and the lobby
  managers (大堂转介) refer customers to the outlet's wealth managers (理财, 基金, 保险) and customer
  managers (贷款, 信用卡); the older ones ended in a deal (成交) or not (未成交), the recent ones are being
  followed up (跟进). HQ's standing rule for 转介成交数 gives the referring teller or lobby manager 30 % of
  the wealth manager's deal. Their facts are written by customers.services.referrals.referral_facts_sync
  (source `referral`) before the rollup; the demo's own lobby and counter referral counts (source `demo`)
  stand for their outlet-days, as another system's would.

Safe to run again: an outlet that already has territories is left as it is, and the facts come out the same.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from branches.models import OrgUnit, UnitKind
from customers.models import Customer, Interest, Prospect, Referral, ReferralChannel, ReferralStatus, Territory
from customers.services.prospects import prospects_convert
from customers.services.referrals import referral_facts_sync
from demo.network import NetworkPlan
from kpi.models import CreditSplitRule, Metric
from lib.identity import resident_check_digit
from lib.periods import days_between
from staff.models import Assignment, Post

WINDOW_DAYS = 28
SPLIT_FROM = datetime.date(2024, 1, 1)
URBAN = [
    ("community", "幸福社区"), ("community", "花园社区"), ("community", "文明路社区"), ("market", "城东农贸市场"),
    ("business_district", "步行街商圈"), ("park", "高新科技园区"),
]  # fmt: skip
RURAL = [
    ("village", "东风村"), ("village", "石桥村"), ("village", "新塘村"), ("market", "镇中心农贸市场"),
    ("community", "镇南社区"),
]  # fmt: skip
OWNER_POSTS = ("customer_manager", "market_manager", "lobby_manager", "teller")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁"
GIVEN = ("建华", "秀英", "伟", "芳", "志强", "桂兰", "海燕", "小红", "国平", "丽娟", "文博", "子涵", "雨轩", "德明")
PLACES = {
    "community": "社区活动中心",
    "village": "村委会",
    "market": "摊位",
    "business_district": "商户",
    "park": "企业",
}
NOTES = (
    "定期到期，关注理财",
    "孩子上学，想了解教育金保险",
    "经营周转，咨询贷款",
    "想办信用卡",
    "子女在外地，需要手机银行转账",
)
PRODUCTS = {"wealth_manager": ("wealth", "fund", "insurance"), "customer_manager": ("loan", "credit_card", "merchant")}


@dataclass
class SeededTerritories:
    territories: int = 0
    prospects: int = 0
    converted: int = 0
    referrals: int = 0
    deals: int = 0

    def __str__(self) -> str:
        return (
            f"Territories: {self.territories}, prospects: {self.prospects} ({self.converted} became customers), "
            f"referrals: {self.referrals} ({self.deals} deals)"
        )


def referral_split_rules_ensure() -> None:
    """HQ's standing rules for 转介成交数: the referring teller or lobby manager gets 30 % of the deal of the
    wealth or customer manager (an outlet may set 20–40 %)."""
    metric = Metric.objects.filter(code="referral_deals").first()
    if metric is None:
        return
    posts = {post.code: post for post in Post.objects.all()}
    for owner in ("wealth_manager", "customer_manager"):
        for partner in ("teller", "lobby_manager"):
            CreditSplitRule.objects.update_or_create(
                metric=metric,
                owner_post=posts[owner],
                partner_post=posts[partner],
                effective_from=SPLIT_FROM,
                defaults={"share": Decimal(30), "min_share": Decimal(20), "max_share": Decimal(40), "active": True},
            )


def _id_number(rng: random.Random) -> str:
    first17 = f"4401{rng.randint(1, 18):02d}{rng.randint(1960, 2002)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    first17 += f"{rng.randint(0, 999):03d}"
    return first17 + resident_check_digit(first17)


def seed_territories(*, plan: NetworkPlan, end: datetime.date, seed: int = 2026) -> SeededTerritories:
    """Territories, prospects and referrals of the first sub-branch's outlets, and the referral facts of
    the window (see the module)."""
    seeded = SeededTerritories()
    rng = random.Random(f"{seed}-territories")
    sub_branch = plan.sub_branches[0]
    outlets = list(OrgUnit.objects.filter(kind=UnitKind.OUTLET, parent__code=sub_branch.code).order_by("code"))
    if not outlets:
        return seeded
    referral_split_rules_ensure()
    window = days_between(end - datetime.timedelta(days=WINDOW_DAYS - 1), end)
    persona = {outlet.code: plan.staff_at(outlet.code, "teller")[:1] for outlet in outlets}
    postings = list(
        Assignment.objects.on(end)
        .filter(unit__in=outlets, start__lte=window[0])
        .select_related("staff", "post")
        .order_by("staff__code")
    )
    done = set(Territory.objects.filter(outlet__in=outlets).values_list("outlet_id", flat=True))
    with transaction.atomic():
        for outlet in outlets:
            if outlet.pk in done:
                continue
            staff = [posting for posting in postings if posting.unit_id == outlet.pk]
            _seed_outlet(outlet, staff, persona.get(outlet.code) or [], window, rng, seeded)
        prospects_convert(today=end)
        referral_facts_sync(first=window[0], last=end)
    seeded.converted = Prospect.objects.filter(outlet__in=outlets, status="converted").count()
    return seeded


def _seed_outlet(outlet, staff, persona, window, rng, seeded) -> None:
    owners = [posting.staff for posting in staff if posting.post.code in OWNER_POSTS]
    if not owners:
        return
    if persona:  # the teller persona owns the first territory: their staff login sees one
        first = next((member for member in owners if member.code == persona[0].code), None)
        if first is not None:
            owners.remove(first)
            owners.insert(0, first)
    ground = RURAL if outlet.area == "township" else URBAN
    territories = Territory.objects.bulk_create(
        [
            Territory(kind=kind, name=name, outlet=outlet, owner=owners[index % len(owners)])
            for index, (kind, name) in enumerate(ground[: rng.randint(4, len(ground))])
        ]
    )
    seeded.territories += len(territories)
    # The outlet's customers spread over its territories (a third stay unplaced): one UPDATE each.
    customer_ids = list(Customer.objects.filter(home_outlet=outlet).order_by("pk").values_list("pk", flat=True))
    for index, territory in enumerate(territories):
        share = customer_ids[index :: len(territories) + 1]
        Customer.objects.filter(pk__in=share).update(territory=territory)
    known = list(Customer.objects.filter(home_outlet=outlet).exclude(id_number="").values_list("name", "id_number"))
    prospects = []
    for territory in territories:
        for _ in range(rng.randint(3, 7)):
            day = rng.choice(window)
            name, number = f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}", _id_number(rng) if rng.random() < 0.6 else ""
            if known and rng.random() < 0.2:  # opened an account since: the customer's own number
                name, number = rng.choice(known)
            prospects.append(
                Prospect(
                    outlet=outlet, territory=territory, place=f"{territory.name}{PLACES[territory.kind]}", name=name,
                    phone=f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}", id_number=number,
                    interest=rng.choice(Interest.values), note=rng.choice(NOTES), captured_by=territory.owner,
                    captured_on=day,
                )
            )  # fmt: skip
    Prospect.objects.bulk_create(prospects)
    seeded.prospects += len(prospects)

    referrers = [(p.staff, p.post.code) for p in staff if p.post.code in ("teller", "lobby_manager")]
    receivers = [(p.staff, p.post.code) for p in staff if p.post.code in PRODUCTS]
    customers = list(Customer.objects.filter(home_outlet=outlet).order_by("pk")[:200])
    if not referrers or not receivers:
        return
    end = window[-1]
    referrals = []
    for day in window:
        if day.weekday() == 6:
            continue
        for referrer, post in referrers:
            for _ in range(rng.choice((0, 0, 1, 1, 2))):
                receiver, receiver_post = rng.choice(receivers)
                age = (end - day).days
                status, closed_on = ReferralStatus.REFERRED, None
                if age >= 3:
                    roll = rng.random()
                    if roll < 0.45:
                        status = ReferralStatus.WON
                    elif roll < 0.7:
                        status = ReferralStatus.LOST
                    else:
                        status = ReferralStatus.FOLLOWING
                    if status != ReferralStatus.FOLLOWING:
                        closed_on = min(end, day + datetime.timedelta(days=rng.randint(0, 6)))
                elif rng.random() < 0.5:
                    status = ReferralStatus.FOLLOWING
                referrals.append(
                    Referral(
                        outlet=outlet, day=day, referrer=referrer, receiver=receiver,
                        channel=ReferralChannel.COUNTER if post == "teller" else ReferralChannel.LOBBY,
                        product=rng.choice(PRODUCTS[receiver_post]),
                        customer=rng.choice(customers) if customers else None,
                        status=status, closed_on=closed_on,
                        note="柜面转介，客户有到期资金" if post == "teller" else "大堂识别，转介理财经理",
                    )
                )  # fmt: skip
    Referral.objects.bulk_create(referrals)
    seeded.referrals += len(referrals)
    seeded.deals += sum(referral.status == ReferralStatus.WON for referral in referrals)
