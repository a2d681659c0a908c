"""The demo's campaigns (营销活动, issue 20), in the seeds' words (肇东市分公司's "积分送好礼" with the 市公司's
他行揽储活动, 每日通报网点业绩, gifts handed out to win customers), so the campaign pages, the bulletin's
campaign section and the API are alive for every demo login:

- 他行揽储 (HQ, running now: from 20 days before the last day of facts to 25 days after): 2 points per
  万元 won from other banks, 0.5 per customer visit; each outlet's target 1.2 × its pace of the 30 days
  before; three scripts (话术) and a material.
- 开门红 · 旺季营销 (HQ, finished: 70 to 41 days before the last day): wealth sales, insurance premium and
  mobile banking sign-ups.
- 积分送好礼 (the demo sub-branch's own, running: from 14 days before the last day to 16 after): mobile
  banking sign-ups and 台账积分 × 1.2; a gift budget of 20,000 yuan, at most 200 yuan a customer; gifts given
  at its outlets every day so far (食用油礼盒, 不粘锅, 保温杯, 晴雨伞), each to a customer once, a few twice.

The scores are then computed from the facts (campaigns.services.campaign_scores_refresh). Safe to run
again: the campaigns are found by code and their rules set again; gifts are added only to a campaign
that has none.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from branches.models import OrgUnit, UnitKind
from campaigns.models import (
    BonusRule,
    Campaign,
    CampaignMaterial,
    CampaignMetric,
    CampaignTarget,
    GiftRecord,
    MaterialKind,
    Theme,
)
from campaigns.selectors import campaign_outlets
from campaigns.services import campaign_scores_refresh
from demo.network import SURNAMES, NetworkPlan
from kpi.models import Fact, Metric
from lib.periods import days_between
from staff.models import Assignment, Role, User

GIFTS = (("食用油礼盒", "58.00"), ("不粘锅", "128.00"), ("保温杯", "69.00"), ("晴雨伞", "35.00"))
GIVEN_NAMES = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华"

SCRIPTS = (
    (
        "他行客户开口话术",
        "您好，看您是在XX银行办的定期吧？我们网点现在有他行揽储专项活动，同样的期限利率更有优势，"
        "存入满5万元还能参加积分送好礼。您方便的话我给您算一算到期能多拿多少利息。",
    ),
    (
        "大客户走访话术",
        "X总您好，我是XX网点的客户经理。我们这段时间在做周边商户走访，给您带了活动资料：资金归集到我行，"
        "代发工资、收款码和理财一站办理，手续我们上门办。",
    ),
    (
        "电话回访话术",
        "您好，我是XX网点的客户经理，感谢您一直以来对我们的支持。我们网点开展感恩回馈活动，"
        "您近期方便来网点坐坐吗？到店办理业务可以领取一份礼品。",
    ),
)


@dataclass
class SeededCampaigns:
    campaigns: int = 0
    gifts: int = 0
    scores: int = 0

    def __str__(self) -> str:
        return (
            f"Campaigns: {self.campaigns} (他行揽储, 开门红, 积分送好礼), {self.gifts} gifts, {self.scores} score rows"
        )


def _campaign(code: str, **fields) -> Campaign:
    campaign, _created = Campaign.objects.update_or_create(code=code, defaults=fields)
    return campaign


def _lines(campaign: Campaign, lines: list[tuple[str, str, str]]) -> None:
    metrics = {metric.code: metric for metric in Metric.objects.filter(code__in=[code for code, *_ in lines])}
    campaign.lines.all().delete()
    CampaignMetric.objects.bulk_create(
        [
            CampaignMetric(campaign=campaign, metric=metrics[code], rule=rule, factor=Decimal(factor), sort_order=order)
            for order, (code, rule, factor) in enumerate(lines)
            if code in metrics
        ]
    )


def _materials(campaign: Campaign, materials: list[tuple[str, str, str]]) -> None:
    campaign.materials.all().delete()
    CampaignMaterial.objects.bulk_create(
        [
            CampaignMaterial(campaign=campaign, kind=kind, title=title, body=body, sort_order=order)
            for order, (kind, title, body) in enumerate(materials)
        ]
    )


def _targets(campaign: Campaign, metric_code: str, *, uplift: Decimal) -> None:
    """Each outlet's target: its daily pace of the 30 days before the campaign × the campaign's days ×
    `uplift`, in whole 万元 (at least 10): one aggregate query."""
    metric = Metric.objects.filter(code=metric_code).first()
    if metric is None:
        return
    first = campaign.start - datetime.timedelta(days=30)
    outlets = campaign_outlets(campaign)
    paces = dict(
        Fact.objects.filter(
            metric=metric, staff__isnull=True, unit__in=outlets, date__gte=first, date__lt=campaign.start
        )
        .values_list("unit_id")
        .annotate(total=Sum("value"))
        .order_by()
    )
    campaign.targets.all().delete()
    CampaignTarget.objects.bulk_create(
        [
            CampaignTarget(
                campaign=campaign,
                unit_id=outlet_id,
                metric=metric,
                value=max(
                    (paces.get(outlet_id, Decimal(0)) / 30 * campaign.days * uplift).quantize(Decimal(1)), Decimal(10)
                ),
            )
            for outlet_id in outlets.values_list("pk", flat=True)
        ]
    )


def seed_campaigns(*, plan: NetworkPlan, end: datetime.date, seed: int = 2026) -> SeededCampaigns:
    """The three campaigns around `end` (the last day of facts; the demo's today is the day after)."""
    seeded = SeededCampaigns()
    hq = OrgUnit.objects.filter(parent=None).order_by("path").first()
    sub_branch = OrgUnit.objects.filter(code=plan.sub_branches[0].code).first() if plan.sub_branches else None
    if hq is None or sub_branch is None:
        return seeded
    admin = User.objects.filter(role=Role.HQ_ADMIN).order_by("pk").first()
    manager = User.objects.filter(role=Role.UNIT_MANAGER, unit=sub_branch).order_by("pk").first()
    day = datetime.timedelta(days=1)
    with transaction.atomic():
        deposits = _campaign(
            "other_bank_push",
            name_zh="他行揽储专项活动",
            name_en="Winning deposits from other banks",
            theme=Theme.OTHER_BANK_DEPOSITS,
            unit=hq,
            start=end - 20 * day,
            end=end + 25 * day,
            gift_budget=Decimal(0),
            gift_limit_per_customer=None,
            description="认真做好他行客户的策反，特别是他行大客户：下班后由片区负责人带领网点人员走访，"
            "一户一户地敲门、一户一户地讲解；每日在群里上传走访照片和走访成果，每日通报网点业绩。",
            created_by=admin,
        )
        _lines(
            deposits,
            [
                ("other_bank_deposits_won", BonusRule.PER_UNIT, "2"),
                ("customer_visits", BonusRule.PER_UNIT, "0.5"),
            ],
        )
        _materials(
            deposits,
            [
                *((MaterialKind.SCRIPT, title, body) for title, body in SCRIPTS),
                (MaterialKind.MATERIAL, "他行揽储宣传折页", "网点大堂摆放，走访时随身携带；利率表每周一更新。"),
            ],
        )
        _targets(deposits, "other_bank_deposits_won", uplift=Decimal("1.2"))

        opening = _campaign(
            "opening_push",
            name_zh="开门红 · 旺季营销",
            name_en="Strong start: peak-season marketing",
            theme=Theme.OPENING,
            unit=hq,
            start=end - 70 * day,
            end=end - 41 * day,
            gift_budget=Decimal(0),
            gift_limit_per_customer=None,
            description="旺季营销：理财、保险、手机银行三线并进，网点每日通报、周通报排名。",
            created_by=admin,
        )
        _lines(
            opening,
            [
                ("wealth_sales", BonusRule.PER_UNIT, "1"),
                ("insurance_premium", BonusRule.PER_UNIT, "3"),
                ("mobile_banking_signups", BonusRule.PER_UNIT, "0.5"),
            ],
        )
        _materials(
            opening,
            [
                (
                    MaterialKind.SCRIPT,
                    "理财产品推荐话术",
                    "先问需求，再讲产品：期限、风险等级、业绩比较基准，一句一句讲清楚。",
                )
            ],
        )
        _targets(opening, "wealth_sales", uplift=Decimal("1.3"))

        gifts = _campaign(
            "points_gifts",
            name_zh="积分送好礼",
            name_en="Points for gifts",
            theme=Theme.POINTS_FOR_GIFTS,
            unit=sub_branch,
            start=end - 14 * day,
            end=end + 16 * day,
            gift_budget=Decimal("20000"),
            gift_limit_per_customer=Decimal("200"),
            description="结合市公司的“积分送好礼”同步开展感恩回馈：对周边商户地毯式走访，对存量客户电话回访，"
            "到店办理手机银行、积分达标的客户领取礼品，一人一份，登记客户号。",
            created_by=manager or admin,
        )
        _lines(
            gifts,
            [
                ("mobile_banking_signups", BonusRule.PER_UNIT, "1"),
                ("ledger_points", BonusRule.MULTIPLIER, "1.2"),
            ],
        )
        _materials(
            gifts,
            [
                (
                    MaterialKind.SCRIPT,
                    "到店领礼话术",
                    "您好，您的积分已经达标，可以领取一份礼品：食用油礼盒、不粘锅、保温杯任选一份。",
                ),
                (
                    MaterialKind.GIFT,
                    "礼品清单",
                    "食用油礼盒 58元；不粘锅 128元；保温杯 69元；晴雨伞 35元。每位客户活动期间累计不超过200元。",
                ),
            ],
        )
        _targets(gifts, "mobile_banking_signups", uplift=Decimal("1.5"))
        if not GiftRecord.objects.filter(campaign=gifts).exists():
            seeded.gifts = _gifts(gifts, last=end + day, seed=seed)
    seeded.campaigns = 3
    for campaign in (deposits, opening, gifts):
        # Up to the last day of facts, the day the rollup publishes (the campaign page counts to it).
        seeded.scores += campaign_scores_refresh(campaign=campaign, today=end)
    return seeded


def _gifts(campaign: Campaign, *, last: datetime.date, seed: int) -> int:
    """Gifts at the campaign's outlets each day from its start to `last`: 0 to 3 a day an outlet, given by
    someone working there that day, each to a new customer (now and then a second gift to one who is
    still under the limit). Built in memory and written at once."""
    rng = random.Random(seed * 7 + 20)
    outlets = list(campaign_outlets(campaign).filter(kind=UnitKind.OUTLET).order_by("code"))
    postings = list(
        Assignment.objects.filter(unit__in=outlets, start__lte=last)
        .exclude(end__lt=campaign.start)
        .select_related("staff")
        .order_by("unit__code", "staff__code")
    )
    heads = {user.unit_id: user for user in User.objects.filter(role=Role.OUTLET_HEAD, unit__in=outlets)}
    given = Decimal(0)
    received: dict[str, tuple[str, Decimal]] = {}
    rows = []
    for day in days_between(campaign.start, min(last, campaign.end)):
        for outlet in outlets:
            working = [
                p for p in postings if p.unit_id == outlet.pk and p.start <= day and (p.end is None or p.end >= day)
            ]
            if not working:
                continue
            for _gift in range(rng.choice((0, 1, 1, 2, 2, 3))):
                item, value = rng.choice(GIFTS)
                value = Decimal(value)
                again = [
                    code for code, (_, total) in received.items() if total + value <= campaign.gift_limit_per_customer
                ]
                if again and rng.random() < 0.08:
                    code = rng.choice(again)
                    name = received[code][0]
                else:
                    code = f"C{rng.randint(1, 9_999_999):07d}"
                    name = _customer_name(rng)
                total = received.get(code, (name, Decimal(0)))[1] + value
                if code in received and total > campaign.gift_limit_per_customer:
                    continue
                if given + value > campaign.gift_budget:
                    break
                received[code] = (name, total)
                given += value
                rows.append(
                    GiftRecord(
                        campaign=campaign,
                        unit=outlet,
                        staff=rng.choice(working).staff,
                        day=day,
                        customer_code=code,
                        customer_name=name,
                        item=item,
                        value=value,
                        entered_by=heads.get(outlet.pk),
                    )
                )
    GiftRecord.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _customer_name(rng: random.Random) -> str:
    surname = rng.choices([s for s, _w in SURNAMES], weights=[w for _s, w in SURNAMES])[0]
    return surname + "".join(rng.choice(GIVEN_NAMES) for _ in range(rng.choice((1, 2))))
