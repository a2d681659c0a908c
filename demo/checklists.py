"""The demo's checklists (issue 19): the lobby patrol and the internal-control checklist as the seeds word
them (XX支行网点转型固化方案: "检查大堂经理每日巡检不少于两次", "厅堂内外清洁卫生干净整洁", "穿戴合规", "高柜台
摆放营销宣传折页"; 营业部转型总结: 《巡检记录表》, the rounds before the first customers, at the peak and
before closing), a week of patrols with some misses and failures, and two inspections with findings in
整改, so the patrol and inspection pages are alive for the outlet head, the teller, the unit manager, HQ
and the auditor.

- seed_checklists_catalog(): 大堂巡检记录表 (09:00, 12:00, 15:30; the lobby manager; 环境, 着装, 设备, 物料)
  and 内控检查表 (when an inspection is made), versions in force from 2024.
- seed_checklists(plan, end): for the outlets of the unit manager's sub-branch, the rounds of the seven
  days to `end` (the last day of facts), ticked by each outlet's lobby manager (its head where it has
  none) with now and then an item not in order, and about one round in twelve missed; today's (the day
  after `end`) 09:00 round with the queue machine down, waiting for the outlet head. Their facts go in
  through facts_ingest (source `checks`) before the rollup. Then 内控检查 of the first outlet by the
  auditor (two findings: one taken on by the outlet head, in progress; one still open) and 稽核检查 of
  the second by the unit manager (a severe finding with a deduction of 内控问题扣分 in the ledger).

Safe to run again: a day that already has sheets at the sub-branch's outlets is left as it is, an
inspection of the same outlet, day and title is not recorded twice, and the facts come out the same.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from alerts.models import AlertStatus, Cause
from alerts.services.follow_up import alert_transition, alert_update
from branches.models import OrgUnit, UnitKind
from checklists.models import (
    ChecklistItem,
    ChecklistKind,
    ChecklistSection,
    ChecklistTemplate,
    Frequency,
    Inspection,
    PatrolSheet,
    SheetAnswer,
    SheetStatus,
)
from checklists.services import FindingIn, inspection_record, patrol_fact_rows, slots_of, template_items
from demo.network import NetworkPlan
from kpi.models import IngestBatch, MonthClose
from kpi.services.facts import facts_ingest
from ledger.models import LedgerItem
from lib.periods import days_between
from staff.access import scope_for_user
from staff.models import Assignment, Post, Role, User

IN_FORCE_FROM = datetime.date(2024, 1, 1)
PATROL_DAYS = 7
PATROL_ITEMS = {
    "环境": ["厅堂内外清洁卫生、干净整洁", "物理环境布局合理，功能分区标识清晰"],
    "着装": ["各岗位人员穿戴合规、佩戴工号牌", "面部清洁有精神，无佩戴耀眼饰品"],
    "设备": ["叫号机、自助设备运行正常", "营销展板、显示屏正常播放"],
    "物料": ["高柜台摆放营销宣传折页", "填单台凭条、笔、老花镜齐全"],
}
CONTROL_ITEMS = {
    "重要空白凭证": ["重要空白凭证入库保管、登记完整"],
    "现金管理": ["尾箱双人核对、日终轧账相符"],
    "印章管理": ["业务印章专人保管、用后入柜"],
    "柜面操作": ["授权业务按规定审核，不越权办理"],
}
# What goes wrong in a lobby, now and then, with what the lobby manager writes.
TROUBLES = {
    "叫号机、自助设备运行正常": "叫号机卡纸，已通知厂家",
    "高柜台摆放营销宣传折页": "理财折页已发完，待补充",
    "厅堂内外清洁卫生、干净整洁": "雨天门口地面湿滑，已放警示牌",
    "各岗位人员穿戴合规、佩戴工号牌": "柜员未佩戴工号牌，已提醒",
}


@dataclass
class SeededChecklists:
    rounds: int = 0
    missed: int = 0
    failed_items: int = 0
    inspections: int = 0
    findings: int = 0
    facts: int = 0
    days: list[datetime.date] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"checklists: {self.rounds} patrol rounds ({self.missed} missed, {self.failed_items} items not in order), "
            f"{self.inspections} inspections with {self.findings} findings, {self.facts} facts"
        )


def _template(code, name_zh, name_en, kind, frequency, items, *, times=(), post=None) -> ChecklistTemplate:
    template, created = ChecklistTemplate.objects.get_or_create(
        code=code,
        effective_from=IN_FORCE_FROM,
        defaults={
            "name_zh": name_zh, "name_en": name_en, "kind": kind, "frequency": frequency, "times": list(times),
            "post": post, "grace_minutes": 60,
        },
    )  # fmt: skip
    if created:
        for order, (section_name, texts) in enumerate(items.items()):
            section = ChecklistSection.objects.create(template=template, name=section_name, sort_order=order)
            ChecklistItem.objects.bulk_create(
                [ChecklistItem(section=section, text=text, sort_order=index) for index, text in enumerate(texts)]
            )
    return template


def seed_checklists_catalog() -> str:
    patrol = _template(
        "lobby_patrol", "大堂巡检记录表", "Lobby patrol sheet", ChecklistKind.PATROL, Frequency.TIMES_A_DAY,
        PATROL_ITEMS, times=("09:00", "12:00", "15:30"), post=Post.objects.filter(code="lobby_manager").first(),
    )  # fmt: skip
    control = _template(
        "internal_control", "内控检查表", "Internal control checklist", ChecklistKind.INSPECTION,
        Frequency.AS_NEEDED, CONTROL_ITEMS,
    )  # fmt: skip
    return f"checklists: {patrol.name_zh} ({len(template_items(patrol))} items), {control.name_zh}"


def seed_checklists(*, plan: NetworkPlan, end: datetime.date, seed: int = 2026) -> SeededChecklists:
    """A week of patrols to `end`, today's first round, their facts, and two inspections (see the module)."""
    seeded = SeededChecklists()
    patrol = ChecklistTemplate.objects.filter(code="lobby_patrol", effective_from=IN_FORCE_FROM).first()
    control = ChecklistTemplate.objects.filter(code="internal_control", effective_from=IN_FORCE_FROM).first()
    if patrol is None or not plan.sub_branches:
        return seeded
    sub_branch = plan.sub_branches[0]
    outlets = list(OrgUnit.objects.filter(kind=UnitKind.OUTLET, parent__code=sub_branch.code).order_by("code"))
    if not outlets:
        return seeded
    closed = set(MonthClose.objects.closed().values_list("month", flat=True))
    days = [
        day
        for day in days_between(end - datetime.timedelta(days=PATROL_DAYS - 1), end)
        if day.replace(day=1) not in closed
    ]
    today = end + datetime.timedelta(days=1)
    done = set(PatrolSheet.objects.filter(unit__in=outlets, day__in=[*days, today]).values_list("day", flat=True))
    items = template_items(patrol)
    postings = list(
        Assignment.objects.filter(unit__in=outlets, start__lte=today)
        .exclude(end__lt=days[0] if days else end)
        .select_related("staff__user", "post")
        .order_by("unit__code", "staff__code")
    )
    heads = {user.unit_id: user for user in User.objects.filter(role=Role.OUTLET_HEAD, unit__in=outlets)}
    sheets: list[PatrolSheet] = []
    answers: dict[int, list[tuple[ChecklistItem, bool, str]]] = {}
    for day in [*days, today]:
        if day in done:
            continue
        rng = random.Random(seed * 1000 + day.toordinal())
        for outlet in outlets:
            working = [
                p for p in postings if p.unit_id == outlet.pk and p.start <= day and (p.end is None or p.end >= day)
            ]
            lobby = next((p.staff for p in working if p.post.code == "lobby_manager"), None)
            ticker = lobby or next((p.staff for p in working if p.post.code == "outlet_head"), None)
            for slot in slots_of(patrol, day):
                if day == today and slot.time != datetime.time(9):
                    continue  # today's later rounds are still to come (or missed by the beat)
                when = timezone.make_aware(datetime.datetime.combine(day, slot.time)) + datetime.timedelta(
                    minutes=rng.randint(-10, 25)
                )
                missed = day != today and rng.random() < 1 / 12
                sheet = PatrolSheet(
                    template=patrol, unit=outlet, day=day, slot=slot.time, items_checked=len(items),
                    status=SheetStatus.MISSED if missed else SheetStatus.DONE,
                )  # fmt: skip
                if not missed:
                    sheet.staff = ticker
                    sheet.filled_by = (ticker.user if ticker and ticker.user_id else None) or heads.get(outlet.pk)
                    sheet.filled_at = when
                    failing = {
                        text for text in TROUBLES if rng.random() < 0.06 or (day == today and text.startswith("叫号机"))
                    }
                    rows = [(item, item.text not in failing, TROUBLES.get(item.text, "")) for item in items]
                    sheet.items_passed = sum(1 for _item, passed, _note in rows if passed)
                    answers[len(sheets)] = rows
                    seeded.failed_items += len(items) - sheet.items_passed
                else:
                    seeded.missed += 1
                sheets.append(sheet)
        seeded.days.append(day)
    with transaction.atomic():
        PatrolSheet.objects.bulk_create(sheets)
        SheetAnswer.objects.bulk_create(
            [
                SheetAnswer(sheet=sheets[index], item=item, passed=passed, note="" if passed else note)
                for index, rows in answers.items()
                for item, passed, note in rows
            ]
        )
        seeded.rounds = len(sheets)
        rows = patrol_fact_rows(days)
        if rows:
            batch = facts_ingest(rows=rows, source=IngestBatch.Source.CHECKLISTS, label="演示：大堂巡检")
            seeded.facts = batch.created + batch.updated
    if control is not None and end.replace(day=1) not in closed:
        _inspections(seeded, outlets=outlets, control=control, end=end)
    return seeded


def _inspections(seeded: SeededChecklists, *, outlets, control, end: datetime.date) -> None:
    auditor = User.objects.filter(role=Role.AUDITOR, is_active=True).order_by("pk").first()
    manager = User.objects.filter(role=Role.UNIT_MANAGER, unit_id=outlets[0].parent_id, is_active=True).first()
    head = User.objects.filter(role=Role.OUTLET_HEAD, unit=outlets[0], is_active=True).first()
    items = {item.text: item for item in template_items(control)}
    first_day = end - datetime.timedelta(days=3)
    # A teller of each outlet who works there on both inspection days (one query).
    staff_of = {
        a.unit_id: a.staff
        for a in Assignment.objects.on(first_day)
        .on(end)
        .filter(unit__in=outlets, post__code="teller")
        .select_related("staff")
        .order_by("-staff__code")
    }
    deduction = LedgerItem.objects.filter(code="internal_control", is_active=True).first()
    plans = [
        (
            auditor, outlets[0], first_day, "内控检查",
            "季度内控检查：重要空白凭证、现金尾箱、印章管理抽查。",
            [
                FindingIn(text="重要空白凭证登记簿漏登2笔", severity="major",
                          item=items.get("重要空白凭证入库保管、登记完整"),
                          staff=staff_of.get(outlets[0].pk), deadline=end + datetime.timedelta(days=4)),
                FindingIn(text="业务印章午休期间未入柜", severity="minor",
                          item=items.get("业务印章专人保管、用后入柜"), deadline=end + datetime.timedelta(days=2)),
            ],
        ),
        (
            manager, outlets[1] if len(outlets) > 1 else outlets[0], end, "稽核检查",
            "支行稽核抽查柜面授权与尾箱管理。",
            [
                FindingIn(text="尾箱未双人核对即封箱", severity="severe", item=items.get("尾箱双人核对、日终轧账相符"),
                          staff=staff_of.get((outlets[1] if len(outlets) > 1 else outlets[0]).pk),
                          deadline=end + datetime.timedelta(days=7), deduction_item=deduction, deduction_quantity=1),
            ],
        ),
    ]  # fmt: skip
    for inspector, outlet, day, title, summary, findings in plans:
        if inspector is None or Inspection.objects.filter(unit=outlet, day=day, title=title).exists():
            continue
        for finding in findings:
            if finding.deduction_item is not None and finding.staff is None:
                finding.deduction_item = None
        inspection = inspection_record(
            scope=scope_for_user(inspector), user=inspector, unit=outlet, day=day, title=title, summary=summary,
            template=control, findings=findings, today=day,
        )  # fmt: skip
        seeded.inspections += 1
        seeded.findings += len(findings)
        first = inspection.findings.order_by("pk").first()
        if head is not None and outlet == outlets[0] and first is not None and first.alert is not None:
            # The outlet head took the first finding on: owner, cause, plan; the work is under way (整改).
            alert = first.alert
            alert_update(
                alert=alert, by=head, owner=head, cause=Cause.INTERNAL,
                action_plan="当日补登凭证登记簿，主管每日复核登记与库存一致", deadline=first.deadline,
            )  # fmt: skip
            if alert.status != AlertStatus.IN_PROGRESS:
                alert_transition(alert=alert, to=AlertStatus.IN_PROGRESS, by=head)
