"""The demo's meetings behind `manage.py seed_demo` (issue 17): the 晨会 sheets of the last days, their goals
and the Monday meetings with their action items, so the meeting pages are alive for every demo login.

Seeded after the last days are rolled up, through the services a person uses on the pages, as the
demo's people would have held them (the words are the seeds': 晨会中各岗位员工汇报昨日业绩，今日目标;
营销话术, 产品, 案例分享; 每周例会做好记录):

- 晨会: every outlet of the unit manager's sub-branch whose head has a login holds one on each of the
  last five weekdays that are rolled up: attendance (a few late or on leave), one or two topics, a
  decision, and each person's goal for the day on what they are measured on, set at what each remaining
  day must bring (the sheet's own proposal) give or take one. The day after the last one (the demo's
  "today") is left for the outlet head to hold live; the 夕会 of the seeded days shows goals against
  actuals.
- 周例会: the sub-branch's Monday meetings of the last two weeks, held by the unit manager with the outlet
  heads: decisions and action items. Last week's has one item done and one overdue for the outlet head
  (the header badge and her scorecard show it); this week's has one linked to the outlet head's
  improvement plan (一点一策), one to a week target to change, and, once the alerts are evaluated
  (`link_alert_items`, after seed_demo's alerts), one linked to an open alert, which closes with it.
  The outlet head's own outlet holds its Monday meeting too, with an item for the teller.

Keyed as the services key it (a meeting by unit, kind and day); only what is missing is written: a second
run changes nothing.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from alerts.models import ACTIVE_STATUSES, Alert, ImprovementPlan
from branches.models import OrgUnit, UnitKind
from demo.activity import _outlet_head_logins
from kpi.models import RollupDay, Target
from lib.periods import PeriodKind, period_of
from meetings.models import ActionItem, Meeting, MeetingKind
from meetings.selectors import meeting_people, morning_sheet
from meetings.services import (
    GoalInput,
    action_item_add,
    action_item_settle,
    attendance_set,
    decisions_set,
    goal_metrics_set,
    goals_set,
    meeting_get_or_create,
    topic_add,
)
from staff.access import scope_for_user
from staff.models import User

MORNING_DAYS = 5
TOPICS = (
    ("script", "手机银行营销话术：扫码签约只要一分钟，转账免费、理财随时买"),
    ("script", "存量客户激活的话术：到期客户电话回访“三句话”"),
    ("product", "本周主推产品：智能通知存款、稳利系列理财"),
    ("product", "手机银行“积分送好礼”活动规则讲解"),
    ("case", "营销案例分享：他行到期客户成功挽留"),
    ("case", "金融案件案例分析学习：警惕电信诈骗，守住客户资金安全"),
    ("other", "“接待客户就是接待生意”：开门迎客与厅堂服务礼仪"),
)
DECISIONS = (
    "各岗位汇报昨日业绩，今日目标落实到人；大堂经理巡检不少于两次。",
    "今日主推手机银行签约，柜员每笔业务主动推荐，夕会通报完成情况。",
    "客户经理上午电话回访到期客户，下午外出走访不少于3户。",
    "高峰时段增开弹性窗口，大堂经理做好分流和转介。",
)
WEEKLY_DECISIONS = (
    "各网点本周重点：手机银行签约与他行到期存款挽留；周五夕会通报进度，周例会做好记录。",
    "落后指标逐项制定措施，网点负责人每日督导，措施落实情况纳入员工考核。",
)


@dataclass
class SeededMeetings:
    mornings: int = 0
    goals: int = 0
    weekly: int = 0
    items: int = 0

    def __str__(self) -> str:
        return (
            f"Meetings: {self.mornings} morning sheets ({self.goals} goals), {self.weekly} Monday meetings "
            f"({self.items} action items)"
        )


def _personas() -> dict[str, User] | None:
    names = ("unit_manager", "outlet_head", "teller")
    users = {user.username: user for user in User.objects.filter(username__in=names).select_related("unit")}
    return users if set(users) == set(names) else None


def seed_meetings(*, seed: int, end: datetime.date) -> SeededMeetings:
    """The morning sheets of the last rolled-up weekdays up to `end` and the Monday meetings of the last two
    weeks (nothing without a rolled-up day or the demo logins). One transaction."""
    seeded = SeededMeetings()
    published = list(
        RollupDay.objects.published().filter(date__lte=end).order_by("-date").values_list("date", flat=True)[:21]
    )
    personas = _personas()
    if not published or personas is None:
        return seeded
    latest = published[0]
    unit_manager, outlet_head, teller = personas["unit_manager"], personas["outlet_head"], personas["teller"]
    sub_branch = unit_manager.unit
    outlets = list(OrgUnit.objects.filter(path__startswith=sub_branch.path, kind=UnitKind.OUTLET).order_by("code"))
    # A morning meeting reads the day before: the days with a published day before them.
    days = sorted(day for day in published[:-1] if day.weekday() < 5)[-MORNING_DAYS:]
    with transaction.atomic():
        heads = _outlet_head_logins(outlets, on=latest)
        for outlet in outlets:
            head = heads.get(outlet.pk)
            if head is None:
                continue
            for day in days:
                _morning(seeded, outlet, day, head=head, seed=seed)
        monday = period_of(PeriodKind.WEEK, latest).start
        _weekly(seeded, sub_branch, monday - datetime.timedelta(days=7), unit_manager, outlet_head, heads, latest, seed)
        _weekly(seeded, sub_branch, monday, unit_manager, outlet_head, heads, latest, seed)
        _outlet_weekly(seeded, outlet_head, teller, monday)
    return seeded


def _morning(seeded: SeededMeetings, outlet: OrgUnit, day: datetime.date, *, head: User, seed: int) -> None:
    if Meeting.objects.filter(unit=outlet, kind=MeetingKind.MORNING, date=day).exists():
        return
    scope = scope_for_user(head)
    sheet = morning_sheet(unit=outlet, day=day, scope=scope)
    rng = random.Random(f"{seed}:morning:{outlet.code}:{day}")
    meeting = meeting_get_or_create(scope=scope, by=head, unit=outlet, kind=MeetingKind.MORNING, day=day, today=day)
    if sheet.metrics:
        goal_metrics_set(scope=scope, meeting=meeting, metrics=sheet.metrics, today=day)
    marks, goals = {}, []
    for person in sheet.people:
        draw = rng.random()
        marks[person.staff] = "leave" if draw < 0.06 else "late" if draw < 0.12 else "present"
        if marks[person.staff] == "leave":
            continue
        for cell in person.cells:
            if cell.suggestion is None:
                continue
            step = Decimal(1) if cell.suggestion >= 1 else Decimal(0)
            goals.append(
                GoalInput(
                    staff=person.staff,
                    metric=cell.metric,
                    value=max(cell.suggestion + rng.choice((-1, 0, 0, 1)) * step, 0),
                )
            )
    attendance_set(scope=scope, meeting=meeting, marks=marks, today=day)
    seeded.goals += goals_set(scope=scope, by=head, meeting=meeting, goals=goals, today=day)
    for kind, text in rng.sample(TOPICS, k=rng.choice((1, 2))):
        topic_add(scope=scope, by=head, meeting=meeting, kind=kind, text=text, today=day)
    decisions_set(scope=scope, meeting=meeting, decisions=rng.choice(DECISIONS), today=day)
    seeded.mornings += 1


def _weekly(
    seeded: SeededMeetings,
    sub_branch: OrgUnit,
    monday: datetime.date,
    unit_manager: User,
    outlet_head: User,
    heads: dict[int, User],
    latest: datetime.date,
    seed: int,
) -> None:
    if Meeting.objects.filter(unit=sub_branch, kind=MeetingKind.WEEKLY, date=monday).exists():
        return
    scope = scope_for_user(unit_manager)
    rng = random.Random(f"{seed}:weekly:{sub_branch.code}:{monday}")
    meeting = meeting_get_or_create(
        scope=scope, by=unit_manager, unit=sub_branch, kind=MeetingKind.WEEKLY, day=monday, today=monday
    )
    people = meeting_people(unit=sub_branch, day=monday, scope=scope)
    attendance_set(
        scope=scope,
        meeting=meeting,
        marks={person.staff: ("leave" if rng.random() < 0.1 else "present") for person in people},
        today=monday,
    )
    decisions_set(scope=scope, meeting=meeting, decisions=rng.choice(WEEKLY_DECISIONS), today=monday)
    seeded.weekly += 1
    other_head = next((user for user in heads.values() if user.pk != outlet_head.pk), unit_manager)

    def add(text: str, owner: User, due_in: int, **link) -> ActionItem:
        seeded.items += 1
        return action_item_add(
            scope=scope,
            by=unit_manager,
            meeting=meeting,
            text=text,
            owner=owner,
            due=monday + datetime.timedelta(days=due_in),
            today=monday,
            **link,
        )

    if monday + datetime.timedelta(days=7) <= latest:
        # Last week's: one done, one left open past its day (overdue for the outlet head).
        done = add("梳理他行到期存款客户名单，逐户上门营销", other_head, 4)
        action_item_settle(scope=scope, by=unit_manager, item=done, done=True)
        add(f"{outlet_head.unit.name_zh}制定客户走访计划，走访情况每日登记并报支行", outlet_head, 3)
        return
    month = period_of(PeriodKind.MONTH, latest)
    plan = ImprovementPlan.objects.filter(unit=outlet_head.unit, period=month.code).first()
    if plan is not None:
        add(
            "按一点一策逐项落实整改措施，周五前报送进度",
            outlet_head,
            4,
            link_kind_code="improvement_plan",
            link_id=plan.pk,
        )
    week_target = (
        Target.objects.filter(
            unit__path__startswith=sub_branch.path,
            unit__kind=UnitKind.OUTLET,
            period_kind=PeriodKind.WEEK,
            period_start=monday,
            metric__code="mobile_banking_signups",
        )
        .order_by("unit__code")
        .first()
    )
    if week_target is not None:
        add(
            f"复核{week_target.unit.name_zh}本周手机银行签约目标，结合上周完成情况调整",
            unit_manager,
            2,
            link_kind_code="target",
            link_id=week_target.pk,
        )


def _outlet_weekly(seeded: SeededMeetings, outlet_head: User, teller: User, monday: datetime.date) -> None:
    outlet = outlet_head.unit
    if Meeting.objects.filter(unit=outlet, kind=MeetingKind.WEEKLY, date=monday).exists():
        return
    scope = scope_for_user(outlet_head)
    meeting = meeting_get_or_create(
        scope=scope, by=outlet_head, unit=outlet, kind=MeetingKind.WEEKLY, day=monday, today=monday
    )
    people = meeting_people(unit=outlet, day=monday, scope=scope)
    attendance_set(scope=scope, meeting=meeting, marks={person.staff: "present" for person in people}, today=monday)
    decisions_set(scope=scope, meeting=meeting, decisions=WEEKLY_DECISIONS[0], today=monday)
    seeded.weekly += 1
    action_item_add(
        scope=scope,
        by=outlet_head,
        meeting=meeting,
        text="柜面每笔业务主动推荐手机银行，本周每日签约不少于3户",
        owner=teller,
        due=monday + datetime.timedelta(days=4),
        today=monday,
    )
    seeded.items += 1


def link_alert_items(*, end: datetime.date) -> str:
    """After the alerts are evaluated: this week's Monday meeting of the unit manager's sub-branch gets an
    item linked to an open alert of its outlets (the outlet head's first), which closes when the alert
    closes. A line saying what it did."""
    personas = _personas()
    latest = (
        RollupDay.objects.published().filter(date__lte=end).order_by("-date").values_list("date", flat=True).first()
    )
    if personas is None or latest is None:
        return "Meetings: no alert linked (no demo yet)"
    unit_manager, outlet_head = personas["unit_manager"], personas["outlet_head"]
    sub_branch = unit_manager.unit
    monday = period_of(PeriodKind.WEEK, latest).start
    meeting = Meeting.objects.filter(unit=sub_branch, kind=MeetingKind.WEEKLY, date=monday).first()
    if meeting is None or meeting.action_items.filter(link_kind="alert").exists():
        return "Meetings: the Monday meeting's alert item is there"
    alerts = Alert.objects.filter(status__in=ACTIVE_STATUSES, unit__path__startswith=sub_branch.path).select_related(
        "unit", "rule"
    )
    alert = (
        alerts.filter(unit=outlet_head.unit).order_by("-opened_on", "pk").first()
        or alerts.order_by("unit__code", "-opened_on", "pk").first()
    )
    if alert is None:
        return "Meetings: no open alert to link"
    owner = outlet_head if alert.unit_id == outlet_head.unit_id else unit_manager
    with transaction.atomic():
        action_item_add(
            scope=scope_for_user(unit_manager),
            by=unit_manager,
            meeting=meeting,
            text=f"针对“{alert.rule.name}”预警，{alert.unit.name_zh}本周内落实整改并报支行复查",
            owner=owner,
            due=monday + datetime.timedelta(days=4),
            link_kind_code="alert",
            link_id=alert.pk,
            today=monday,
        )
    return f"Meetings: an action item linked to alert #{alert.pk} ({alert.unit.code})"
