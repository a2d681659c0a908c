"""The demo's registers (issue 19): the complaints register at the outlet head's outlet, a judged 营销话术
PK of the unit manager's sub-branch, and a transformation rollout in 固化, so the complaints, contest and
rollout pages are alive for the outlet head, the teller and the unit manager.

- seed_complaints(plan, end), before the rollup (seed_demo's before_rollup): three 意见簿 entries with
  their replies (one found valid, one not), a 95xxx hotline complaint about the teller received four days
  before `end` and not replied to (its reply is overdue: the outlet's alert), an online one waiting for
  review. Then complaints_feed_facts: the register's counts replace the pushed `complaints` counts of
  the outlet on those days (one source per outlet and day), before the rollup reads them, so the
  scorecard's 有效投诉 agrees with the register.
- seed_registers(plan, end), after the activity: the overdue check (the alert), the practice checklist of
  every benchmark outlet and HQ's standard post mix, the outlet head's outlet's rollout in 固化 (copied
  from its benchmark; when it replicates none, it starts copying the network's first benchmark: 导入中),
  and the judged 营销话术 PK of last month (closed: scores and winners) and of this month (under way: the
  unit manager, one of the five judges, has scored; the others' sheets stay hidden).

Safe to run again: each part is skipped where it is already there.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from branches.models import OrgUnit, OutletFormat, Transformation, UnitKind
from complaints.models import REPLY_DAYS, Channel, Complaint, Validity
from complaints.services import complaints_check_overdue, complaints_feed_facts
from demo.network import NetworkPlan
from kpi.models import (
    Contest,
    ContestJudge,
    JudgeSheet,
    JudgingItem,
    PracticeItem,
    RolloutItem,
    RolloutProject,
    RolloutStage,
    StandardPostMix,
)
from kpi.services.contests import contest_create, contest_pairs_propose, contest_pairs_set
from kpi.services.judging import entrants, sheet_total
from lib.periods import PeriodKind, period_of
from staff.models import Assignment, Post, StaffMember, User

# (practice, weight): a benchmark outlet's checklist, in the seeds' words (网点转型: 岗责梳理, 厅堂营销流程, …).
PRACTICES = (
    ("晨会夕会制度化：每日晨会目标分解、夕会复盘", 3),
    ("岗位设置与岗责梳理：弹性窗口、综合柜员", 2),
    ("厅堂营销流程：大堂经理识别、转介、厅堂微沙龙", 3),
    ("柜面服务七步法", 2),
    ("营销话术统一：手机银行、理财产品", 1),
    ("存量客户分层维护：三星及以上客户名单制", 2),
    ("厅堂营销氛围：水牌、展板、礼品堆头", 1),
    ("考核台账日清日结", 1),
)
# Evidence for the practices a rollout in 固化 has done (the first five).
EVIDENCE = (
    "晨会记录本及夕会复盘表（近四周）",
    "新排班表：午间弹性窗口两个",
    "大堂转介登记簿，转介率 9.6%",
    "柜员服务七步法抽查 12 人次全部达标",
    "话术手册已发放，早会演练三次",
)
# HQ's standard post mix (岗位配置标准) per outlet format.
STANDARD_MIX = {
    OutletFormat.FULL: (
        ("outlet_head", 1), ("retail_supervisor", 1), ("wealth_manager", 2), ("customer_manager", 2),
        ("market_manager", 1), ("lobby_manager", 1), ("teller", 4), ("service_specialist", 1),
    ),
    OutletFormat.LIGHT: (("outlet_head", 1), ("wealth_manager", 1), ("lobby_manager", 1), ("teller", 2)),
    OutletFormat.SMART: (("outlet_head", 1), ("wealth_manager", 1), ("service_specialist", 1), ("teller", 1)),
}  # fmt: skip
# The judged contest's form: (item, weight).
FORM = (("话术规范", 40), ("需求挖掘", 30), ("产品讲解", 20), ("礼仪形象", 10))
# The four panel members besides the unit manager: HQ's retail department (个人金融部); no login here.
PANEL = (
    ("panel.zhang", "张", "振宇"),
    ("panel.he", "何", "秀英"),
    ("panel.guo", "郭", "立新"),
    ("panel.tang", "唐", "雪"),
)


@dataclass
class SeededRegisters:
    complaints: int = 0
    practices: int = 0
    rollouts: int = 0
    judged_contests: int = 0
    sheets: int = 0
    overdue_alerts: int = 0

    def __str__(self) -> str:
        return (
            f"Registers: {self.complaints} complaints; {self.practices} benchmark practices; {self.rollouts} "
            f"rollouts; {self.judged_contests} judged contests ({self.sheets} score sheets); "
            f"{self.overdue_alerts} overdue-reply alerts opened"
        )


def _logins() -> dict[str, User]:
    return {
        user.username: user
        for user in User.objects.filter(
            username__in=("hq_admin", "unit_manager", "outlet_head", "teller")
        ).select_related("unit", "staff_member")
    }


def seed_complaints(*, plan: NetworkPlan, end: datetime.date) -> int:
    """The outlet head's outlet's complaints (see the module), then the register's facts. Before the rollup."""
    logins = _logins()
    head, manager, teller = logins.get("outlet_head"), logins.get("unit_manager"), logins.get("teller")
    if head is None or head.unit is None or Complaint.objects.filter(unit=head.unit).exists():
        return 0
    outlet = head.unit
    teller_record = getattr(teller, "staff_member", None) if teller else None

    def day(days: int) -> datetime.date:
        return end - datetime.timedelta(days=days)

    rows = [
        # (received, channel, category, summary, name, phone, staff, replied after days, reply, validity, note)
        (day(12), "book", "waiting", "午间只开一个窗口，排队近四十分钟，希望增开窗口。", "陈美玲", "13812345678",
         None, 1, "已于次日起午间增开弹性窗口，感谢您的意见。", Validity.VALID, "午间窗口配置不足，属实"),
        (day(9), "book", "environment", "自助区打印机无纸，无法打印回单。", "", "", None, 0,
         "当日已补充纸张，并纳入每日开门检查清单。", Validity.INVALID, "设备耗材问题，已即时处理，不计有效投诉"),
        (day(6), "book", "attitude", "咨询理财产品时客户经理不够耐心。", "刘建华", "13922223333", None, 2,
         "已约客户回访并由理财经理重新讲解产品，员工已批评教育。", Validity.PENDING, ""),
        (day(4), "hotline", "attitude", "95xxx 转办：客户反映柜员办理挂失时态度生硬，未解释手续费。", "王丽",
         "13700001111", teller_record, None, "", Validity.PENDING, ""),
        (day(1), "online", "fees", "手机银行留言：跨行转账手续费与宣传不符。", "", "", None, None, "",
         Validity.PENDING, ""),
    ]  # fmt: skip
    made = []
    for received, channel, category, summary, name, phone, staff, after, reply, validity, note in rows:
        made.append(
            Complaint(
                unit=outlet,
                channel=channel,
                category=category,
                received_on=received,
                summary=summary,
                complainant_name=name,
                complainant_phone=phone,
                staff=staff,
                reply_due=received + datetime.timedelta(days=REPLY_DAYS[Channel(channel)]),
                reply=reply,
                replied_on=received + datetime.timedelta(days=after) if after is not None else None,
                replied_by=head if after is not None else None,
                validity=validity,
                review_note=note,
                reviewed_by=manager if validity != Validity.PENDING else None,
                created_by=head,
            )
        )
    with transaction.atomic():
        Complaint.objects.bulk_create(made)
        complaints_feed_facts(until=end, today=end)
    return len(made)


def seed_registers(*, plan: NetworkPlan, end: datetime.date, seed: int = 2026) -> SeededRegisters:
    seeded = SeededRegisters(complaints=Complaint.objects.count())
    logins = _logins()
    if set(logins) != {"hq_admin", "unit_manager", "outlet_head", "teller"}:
        return seeded
    with transaction.atomic():
        seeded.practices = _practices()
        _standard_mix()
        seeded.rollouts = _rollout(logins["outlet_head"].unit, end)
        seeded.judged_contests, seeded.sheets = _judged_contests(logins["unit_manager"], end, seed=seed)
    seeded.overdue_alerts = complaints_check_overdue(today=end).opened
    return seeded


def _practices() -> int:
    benchmarks = list(OrgUnit.objects.filter(is_benchmark=True).exclude(practice_items__isnull=False))
    PracticeItem.objects.bulk_create(
        PracticeItem(benchmark=benchmark, name=name, weight=weight, sort_order=order)
        for benchmark in benchmarks
        for order, (name, weight) in enumerate(PRACTICES)
    )
    return len(benchmarks) * len(PRACTICES)


def _standard_mix() -> None:
    posts = {post.code: post for post in Post.objects.all()}
    existing = set(StandardPostMix.objects.values_list("format", "post__code"))
    StandardPostMix.objects.bulk_create(
        StandardPostMix(format=outlet_format, post=posts[code], count=count)
        for outlet_format, mix in STANDARD_MIX.items()
        for code, count in mix
        if code in posts and (outlet_format, code) not in existing
    )


def _rollout(outlet: OrgUnit | None, end: datetime.date) -> int:
    if outlet is None:
        return 0
    if outlet.is_benchmark:
        outlet = (
            OrgUnit.objects.filter(kind=UnitKind.OUTLET, parent=outlet.parent, is_benchmark=False)
            .order_by("code")
            .first()
        )
        if outlet is None:
            return 0
    # Asked of the outlet chosen, so that seeding again finds its project and writes nothing.
    if RolloutProject.objects.filter(outlet=outlet).exists():
        return 0
    if outlet.benchmark_id is None:
        benchmark = OrgUnit.objects.filter(is_benchmark=True).order_by("code").first()
        if benchmark is None:
            return 0
        # Rolling out, so not transformed yet: no transformation date (the benchmark page shows no "before").
        outlet.benchmark, outlet.transformation, outlet.transformed_on = benchmark, Transformation.ROLLING_OUT, None
        outlet.save(update_fields=["benchmark", "transformation", "transformed_on"])
    # The coach: the benchmark's outlet head (its head's record assigned there on `end`), else anyone there.
    coach = (
        StaffMember.objects.filter(
            pk__in=Assignment.objects.on(end).filter(unit_id=outlet.benchmark_id).values("staff_id")
        )
        .order_by("assignments__post__sort_order", "code")
        .first()
    )
    started = end - datetime.timedelta(days=45)
    project = RolloutProject.objects.create(
        outlet=outlet, benchmark_id=outlet.benchmark_id, coach=coach, stage=RolloutStage.CONSOLIDATE, started_on=started
    )
    practices = list(PracticeItem.objects.filter(benchmark_id=outlet.benchmark_id).order_by("sort_order", "pk"))
    RolloutItem.objects.bulk_create(
        RolloutItem(
            project=project,
            name=practice.name,
            weight=practice.weight,
            sort_order=practice.sort_order,
            done_on=started + datetime.timedelta(days=5 * (index + 1)) if index < len(EVIDENCE) else None,
            evidence=EVIDENCE[index] if index < len(EVIDENCE) else "",
        )
        for index, practice in enumerate(practices)
    )
    return 1


def _judged_contests(manager: User, end: datetime.date, *, seed: int) -> tuple[int, int]:
    sub_branch = manager.unit
    if sub_branch is None:
        return 0, 0
    rng = random.Random(seed + 19)
    panel = [manager, *_panel()]
    this_month = period_of(PeriodKind.MONTH, end)
    made = sheets = 0
    for period, judges in ((this_month.previous(), panel), (this_month, [manager])):
        name = f"{period.start.month}月营销话术PK赛"
        if Contest.objects.filter(unit=sub_branch, name=name, period_start=period.start).exists():
            continue
        contest = contest_create(
            name=name,
            unit=sub_branch,
            period_start=period.start,
            period_end=period.end,
            judged=True,
            created_by=manager,
        )
        contest_pairs_set(contest=contest, pairs=contest_pairs_propose(contest=contest, as_of=period.start).pairs)
        items = JudgingItem.objects.bulk_create(
            JudgingItem(contest=contest, name=item, weight=weight, sort_order=order)
            for order, (item, weight) in enumerate(FORM)
        )
        ContestJudge.objects.bulk_create(ContestJudge(contest=contest, user=judge) for judge in panel)
        rows = []
        for outlet in entrants(contest):
            level = rng.randint(72, 90)
            for judge in judges:
                scores = {item.pk: Decimal(min(100, max(50, level + rng.randint(-8, 8)))) for item in items}
                rows.append(
                    JudgeSheet(
                        contest=contest,
                        judge=judge,
                        outlet=outlet,
                        scores={str(pk): str(value) for pk, value in scores.items()},
                        total=sheet_total(items, scores),
                    )
                )
        JudgeSheet.objects.bulk_create(rows)
        made, sheets = made + 1, sheets + len(rows)
    return made, sheets


def _panel() -> list[User]:
    users = []
    for username, last_name, first_name in PANEL:
        user, created = User.objects.get_or_create(
            username=username, defaults={"last_name": last_name, "first_name": first_name, "role": ""}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        users.append(user)
    return users
