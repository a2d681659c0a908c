"""The demo's management work behind `manage.py seed_demo`: PK contests (两两一组 PK), improvement plans (一点一策)
and the Monday review (周例会), so that those pages have something for every demo login from the first run.

Seeded after the last days are rolled up (the pairs, the plans and the reviews are read off published
scorecards), through the services a person uses on the pages, as the demo's people would have written
them:

- Contests: 西工支行 (the unit manager's sub-branch) pits its outlets against each other on the month of the
  last rolled-up day and on the month before (finished, with its winners once that month is rolled up),
  on deposits, premium customers, mobile banking and wealth sales, paired by score
  (contest_pairs_propose); the head office runs a quarter's PK of the first city's outlets on the urban
  outlet template. The outlet head's outlet competes in all three.
- Plans (一点一策) for the month of the last rolled-up day: for the outlet of the lowest month score in each
  sub-branch, and for the outlet head's own outlet, with the lines that are red as the diagnosis and
  three measures from the vocabulary of the seeds (晨会通报, 大堂巡检, 客户走访, 积分送好礼 …), owned by the
  outlet head or the unit manager where they see the outlet, each with a due day and a progress.
- The Monday review of the last week whose Sunday is rolled up (weekly_reviews_create): in 西工支行 most
  outlets that missed a weekly target have filled it in (cause, remedy, the support they need) and the
  unit manager has answered some; the outlet head's own review still waits for them, as it would on a
  Monday morning. The heads of 西工支行's outlets get a login each (no password: only the five demo
  logins sign in) so that their reviews are theirs.

Everything is keyed as the services key it (a contest by its organiser, name and period, a plan by outlet
and period, a review by outlet and week), and only what is missing is written: a second run changes
nothing.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction

from alerts.models import ImprovementPlan, ReviewStatus, WeeklyReview
from alerts.services.plans import plan_create, plan_measure_add
from alerts.services.reviews import review_answer, review_submit, weekly_reviews_create
from branches.models import OrgUnit, UnitKind
from kpi.models import Contest, Metric, RollupDay, Scorecard, ScorecardLine, ScorecardTemplate
from kpi.services.contests import contest_create, contest_pairs_propose, contest_pairs_set
from lib.periods import PeriodKind, period_of
from staff.models import Assignment, Role, User

CONTEST_METRICS = ("deposit_growth", "premium_customers_growth", "mobile_banking_signups", "wealth_sales")
HQ_CONTEST_TEMPLATE = "OUTLET-URBAN"
CHINESE_MONTH = "{year}年{month}月"
CHINESE_QUARTER = "{year}年第{quarter}季度"

# Measures of a plan, by the metric they lift (None: any plan), in the words of the seeds.
MEASURES: tuple[tuple[str | None, str], ...] = (
    ("mobile_banking_signups", "晨会通报昨日业绩，手机银行签约任务每日落实到人"),
    ("lobby_referral_rate", "大堂经理每日巡检不少于两次，做好厅堂客户识别与转介"),
    ("counter_referral_rate", "柜员办理业务时主动识别客户需求，转介理财经理"),
    ("deposit_growth", "客户经理每日走访不少于3户，重点跟进他行到期存款客户"),
    ("other_bank_deposits_won", "梳理他行到期存款客户名单，逐户上门营销"),
    ("premium_customers_growth", "开展“积分送好礼”活动，带动二星客户提升为三星及以上"),
    ("wealth_sales", "对到期理财客户逐户电话回访，做好续存续购"),
    ("insurance_premium", "理财经理每周举办一次保险产品沙龙，邀约重点客户"),
    ("avg_wait_minutes", "高峰时段增开弹性窗口，缩短客户等候时间"),
    ("satisfaction_rate", "对照服务标准开展自查，能整改的立即整改"),
    ("new_merchants", "走访周边商户，拓展特约商户和收单业务"),
    ("customer_visits", "制定客户走访计划，走访情况每日登记"),
    ("loan_disbursed", "对接社区和市场商户，摸排普惠小微贷款需求"),
    (None, "每周两次周例会做好记录，跟踪各项措施落实"),
    (None, "网点负责人每日督导，措施落实情况纳入员工考核"),
)
# The Monday review, in the words an outlet head and a 支行长 use.
CAUSES = (
    "两名柜员参加总行培训，厅堂营销人手不足。",
    "周边他行开展存款营销活动，部分到期客户资金流出。",
    "周二系统升级，柜面业务办理时间延长，营销时间不足。",
    "客户经理集中处理贷款贷后检查，外出走访减少。",
    "本周到店客户较上周减少，厅堂转介机会不足。",
)
REMEDIES = (
    "晨会明确每人每日任务，大堂经理每日巡检不少于两次，做好厅堂营销。",
    "对到期客户逐户电话回访，客户经理每日走访不少于3户。",
    "开展“积分送好礼”活动，结合网点周边社区开展营销。",
    "调整排班，高峰时段增开窗口，保证营销时间。",
)
SUPPORT = (
    ("申请支行协调一名柜员临时支援两周。", "支行运营管理部"),
    ("申请支行提供“积分送好礼”活动礼品。", "支行个人金融部"),
    ("", ""),
    ("", ""),
)
ANSWERS = (
    "同意整改措施，下周起每日通报进度。",
    "措施可行，支援事宜已协调，请按周落实。",
    "请细化到人到日，周五前报送落实情况。",
)


@dataclass
class SeededActivity:
    contests: int = 0
    plans: int = 0
    measures: int = 0
    reviews: int = 0
    submitted: int = 0
    answered: int = 0

    def __str__(self) -> str:
        return (
            f"Contests: {self.contests} new; plans: {self.plans} new ({self.measures} measures); reviews of the "
            f"last week: {self.reviews} new, {self.submitted} filled in, {self.answered} answered"
        )


def seed_activity(*, seed: int, end: datetime.date) -> SeededActivity:
    """Contests, plans and the last week's reviews, from the scorecards of the last rolled-up day up to
    `end` (nothing without one, or without the demo logins). One transaction."""
    seeded = SeededActivity()
    latest = (
        RollupDay.objects.published().filter(date__lte=end).order_by("-date").values_list("date", flat=True).first()
    )
    personas = {user.username: user for user in User.objects.filter(username__in=_PERSONAS).select_related("unit")}
    if latest is None or set(personas) != set(_PERSONAS):
        return seeded
    hq_admin, unit_manager, outlet_head = (personas[name] for name in _PERSONAS)
    with transaction.atomic():
        _contests(seeded, latest, hq_admin=hq_admin, unit_manager=unit_manager)
        _plans(seeded, latest, seed=seed, hq_admin=hq_admin, unit_manager=unit_manager, outlet_head=outlet_head)
        _reviews(seeded, latest, seed=seed, unit_manager=unit_manager, outlet_head=outlet_head)
    return seeded


_PERSONAS = ("hq_admin", "unit_manager", "outlet_head")


# -- contests ---------------------------------------------------------------------------------------


def _contests(seeded: SeededActivity, latest: datetime.date, *, hq_admin: User, unit_manager: User) -> None:
    sub_branch = unit_manager.unit
    month = period_of(PeriodKind.MONTH, latest)
    metrics = list(Metric.objects.filter(code__in=CONTEST_METRICS))
    for period in (month.previous(), month):
        name = f"{_month_name(period.start)}{sub_branch.name_zh}网点业务发展PK赛"
        _contest(seeded, name, sub_branch, period, latest, created_by=unit_manager, metrics=metrics)
    branch = sub_branch.parent
    template = ScorecardTemplate.objects.filter(code=HQ_CONTEST_TEMPLATE).order_by("-effective_from").first()
    if branch is not None and template is not None:
        quarter = period_of(PeriodKind.QUARTER, latest)
        number = (quarter.start.month + 2) // 3
        name = f"{CHINESE_QUARTER.format(year=quarter.start.year, quarter=number)}{branch.name_zh}网点综合绩效PK赛"
        _contest(seeded, name, branch, quarter, latest, created_by=hq_admin, template=template)


def _contest(seeded, name, unit, period, latest, *, created_by, metrics=(), template=None) -> None:
    if Contest.objects.filter(unit=unit, name=name, period_start=period.start).exists():
        return
    contest = contest_create(
        name=name,
        unit=unit,
        period_start=period.start,
        period_end=period.end,
        template=template,
        metrics=metrics,
        created_by=created_by,
    )
    contest_pairs_set(contest=contest, pairs=contest_pairs_propose(contest=contest, as_of=latest).pairs)
    seeded.contests += 1


# -- plans (一点一策) ----------------------------------------------------------------------------------


def _plans(
    seeded: SeededActivity,
    latest: datetime.date,
    *,
    seed: int,
    hq_admin: User,
    unit_manager: User,
    outlet_head: User,
) -> None:
    """A plan for the month of `latest` for the lowest-scoring outlet of each sub-branch and for the
    outlet head's own outlet: five queries to choose them, then the services per plan."""
    month = period_of(PeriodKind.MONTH, latest)
    cards = list(
        Scorecard.objects.published(on=latest)
        .filter(period=PeriodKind.MONTH, staff=None, unit__kind=UnitKind.OUTLET)
        .exclude(total_score=None)
        .select_related("unit")
    )
    lowest: dict[int, Scorecard] = {}
    for card in sorted(cards, key=lambda card: (card.total_score, card.unit.code)):
        lowest.setdefault(card.unit.parent_id, card)
    chosen = {card.unit_id: card for card in lowest.values()}
    own = next((card for card in cards if card.unit_id == outlet_head.unit_id), None)
    if own is not None:
        chosen[own.unit_id] = own
    existing = set(ImprovementPlan.objects.filter(period=month.code).values_list("unit_id", flat=True))
    red = defaultdict(list)  # outlet id → its red lines, the furthest behind first
    for unit_id, code, name, pace in (
        ScorecardLine.objects.filter(scorecard__in=list(chosen.values()), status="red")
        .order_by("pace_attainment")
        .values_list("scorecard__unit_id", "metric__code", "metric__name_zh", "pace_attainment")
    ):
        red[unit_id].append((code, name, pace))
    for card in sorted(chosen.values(), key=lambda card: card.unit.code):
        outlet = card.unit
        if outlet.pk in existing:
            continue
        if outlet.pk == outlet_head.unit_id:
            author = owner = outlet_head
        elif outlet.path.startswith(unit_manager.unit.path):
            author = owner = unit_manager
        else:
            author, owner = hq_admin, None
        lines = red[outlet.pk][:3]
        diagnosis = (
            "本月进度落后的指标："
            + "、".join(f"{name}（进度完成率 {_percent(pace)}）" for _code, name, pace in lines)
            + "。"
            if lines
            else "各项指标基本达到时间进度，巩固优势、补齐短板。"
        )
        plan = plan_create(
            unit=outlet,
            period=month.code,
            title=f"{outlet.name_zh}{_month_name(month.start)}一点一策提升方案",
            diagnosis=diagnosis,
            by=author,
        )
        seeded.plans += 1
        rng = random.Random(f"{seed}:plan:{outlet.code}:{month.code}")
        measures = _measures_for([code for code, _name, _pace in lines])
        elapsed = (latest - month.start).days + 1
        for index, description in enumerate(measures):
            due = month.start + datetime.timedelta(days=min(month.days - 1, 9 + 10 * index))
            progress = 100 if due <= latest else min(90, round(100 * elapsed / month.days * rng.uniform(0.6, 1.2), -1))
            plan_measure_add(
                plan=plan, by=author, description=description, owner=owner, due=due, progress=int(progress)
            )
            seeded.measures += 1


def _measures_for(codes: list[str]) -> list[str]:
    """Three measures: those for the red metrics first, then the general ones."""
    chosen = [text for code in codes for metric, text in MEASURES if metric == code]
    chosen += [text for metric, text in MEASURES if metric is None]
    return list(dict.fromkeys(chosen))[:3]


# -- the Monday review (周例会) ------------------------------------------------------------------------


def _reviews(
    seeded: SeededActivity, latest: datetime.date, *, seed: int, unit_manager: User, outlet_head: User
) -> None:
    """The reviews of the last week whose Sunday is rolled up; in the unit manager's sub-branch, two in
    three filled in by their outlet's head and one in two of those answered. The outlet head's own waits."""
    sunday = latest - datetime.timedelta(days=(latest.weekday() + 1) % 7)
    if not RollupDay.objects.published(on=sunday).exists():
        return
    week = period_of(PeriodKind.WEEK, sunday)
    seeded.reviews = weekly_reviews_create(week_start=week.start).created
    sub_branch = unit_manager.unit
    reviews = list(
        WeeklyReview.objects.filter(
            week_start=week.start, status=ReviewStatus.TO_FILL, unit__path__startswith=sub_branch.path
        )
        .exclude(unit=outlet_head.unit)
        .select_related("unit")
        .order_by("unit__code")
    )
    heads = _outlet_head_logins([review.unit for review in reviews], on=sunday)
    names = {code: (name, unit) for code, name, unit in Metric.objects.values_list("code", "name_zh", "unit")}
    for review in reviews:
        rng = random.Random(f"{seed}:review:{review.unit.code}:{week.code}")
        head = heads.get(review.unit_id)
        if head is None or rng.random() < 1 / 3:
            continue
        support, support_from = rng.choice(SUPPORT)
        review_submit(
            review=review,
            by=head,
            what_happened=_what_happened(review, names),
            why=rng.choice(CAUSES),
            remedy=rng.choice(REMEDIES),
            support_needed=support,
            support_from=support_from,
        )
        seeded.submitted += 1
        if rng.random() < 0.5:
            review_answer(review=review, by=unit_manager, answer=rng.choice(ANSWERS))
            seeded.answered += 1


def _what_happened(review: WeeklyReview, names: dict[str, tuple[str, str]]) -> str:
    """The first three targets missed, in figures: 手机银行签约完成 28 户，周目标 49 户，完成率 57.1%。"""
    parts = []
    for item in review.missed[:3]:
        name, unit = names.get(item["metric"], (item["metric"], ""))
        if item.get("actual") is None:
            parts.append(f"{name}本周无数据")
            continue
        text = f"{name}完成 {_figure(item['actual'], unit)}，周目标 {_figure(item['target'], unit)}"
        if item.get("attainment") is not None:
            text += f"，完成率 {_percent(item['attainment'], places=1)}"
        parts.append(text)
    return "；".join(parts) + "。"


def _outlet_head_logins(outlets: list[OrgUnit], *, on: datetime.date) -> dict[int, User]:
    """outlet id → the login of the staff member who heads it on `on`, made if missing (an outlet head of
    the unit manager's sub-branch; no usable password: the five demo logins are the ones that sign in)."""
    heads = {}
    for assignment in (
        Assignment.objects.on(on)
        .filter(unit__in=outlets, post__code="outlet_head")
        .select_related("staff__user", "unit")
        .order_by("unit__code", "staff__code")
    ):
        if assignment.unit_id in heads:
            continue
        member = assignment.staff
        user = member.user
        if user is None:
            user, created = User.objects.get_or_create(
                username=member.code.lower(),
                defaults={
                    "role": Role.OUTLET_HEAD,
                    "unit": assignment.unit,
                    "last_name": member.name[:1],
                    "first_name": member.name[1:],
                },
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            member.user = user
            member.save(update_fields=["user"])
        if user.role == Role.OUTLET_HEAD and user.unit_id == assignment.unit_id:
            heads[assignment.unit_id] = user
    return heads


# -- words -------------------------------------------------------------------------------------------


def _month_name(day: datetime.date) -> str:
    return CHINESE_MONTH.format(year=day.year, month=day.month)


def _percent(fraction, *, places: int = 0) -> str:
    return f"{float(fraction) * 100:.{places}f}%" if fraction is not None else "—"


def _figure(value, unit: str = "") -> str:
    value = float(value)
    text = f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
    if unit == "%":  # a rate in % is written in percent: 85 is 85%
        return f"{text}%"
    return f"{text} {unit}" if unit else text
