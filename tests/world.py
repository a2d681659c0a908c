"""Rows of "one of everything" that more than one test's world makes: the phone tour's
(tests/browser/test_phone.py: every page at 390 px) and the Chinese walk's (tests/bankops/
test_i18n_complete.py: every page and admin screen in zh-hans). One builder each, given the day the world
is of, so that a page both walk shows the same rows.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from unittest import mock

from branches.models import OrgUnit
from staff.models import StaffMember, User


def patrol_and_inspection(outlet: OrgUnit, staff: StaffMember, day: datetime.date, inspector: str) -> tuple:
    """The lobby patrol walked once a day at `outlet` (a round open whenever a test runs), one round of `day`
    with an item not in order, and an auditor's 内控检查 naming `staff` responsible for its finding (issue 19:
    the patrol and inspection pages). Returns the patrol and the inspection."""
    from checklists.models import Frequency, PatrolSheet, SheetAnswer
    from checklists.services import FindingIn, inspection_record, template_items
    from staff.access import scope_for_user
    from staff.models import Role
    from tests.checklists.factories import control_checklist, lobby_patrol
    from tests.factories import UserFactory

    patrol = lobby_patrol()
    patrol.frequency, patrol.times = Frequency.DAILY, []
    patrol.save()
    sheet = PatrolSheet.objects.create(
        template=patrol, unit=outlet, day=day, status="done", items_checked=5, items_passed=4
    )
    SheetAnswer.objects.bulk_create(
        [
            SheetAnswer(sheet=sheet, item=item, passed=index != 3, note="叫号机故障，已报修" if index == 3 else "")
            for index, item in enumerate(template_items(patrol))
        ]
    )
    auditor = UserFactory(username=inspector, first_name="吴国平", role=Role.AUDITOR)
    inspection = inspection_record(
        scope=scope_for_user(auditor), user=auditor, unit=outlet, day=day, title="内控检查",
        template=control_checklist(), today=day,
        findings=[FindingIn(text="工号牌未佩戴", severity="minor", deadline=day + datetime.timedelta(days=7),
                            staff=staff)],
    )  # fmt: skip
    return patrol, inspection


def called_list(outlet: OrgUnit, head: User, teller: User) -> tuple:
    """降级客户回访 of `outlet` (issue 18): its customers to the teller, the first called (有意向, 理财). Returns
    the list and its first customer's assignment."""
    from django.utils import timezone

    from outreach.services.building import ListFilter, list_build
    from outreach.services.contacts import contact_record
    from staff.access import scope_for_user

    today = timezone.localdate()
    built = list_build(
        scope=scope_for_user(head), user=head, unit=outlet, name="降级客户回访", criteria=ListFilter(),
        assign_mode="even", staff=[teller.staff_member], starts_on=today, due_on=today + datetime.timedelta(days=14),
    )  # fmt: skip
    first = built.assignments.select_related("outreach_list__unit").order_by("position").first()
    # The facts of the call are written by a task after it; the pages are what these worlds are for.
    with mock.patch("outreach.services.contacts._queue_facts"):
        contact_record(
            scope=scope_for_user(teller), user=teller, assignment=first, outcome="interested", product="理财",
            note="客户关注三个月期理财，周五再联系",
        )  # fmt: skip
    return built, first


def complaint_contest_and_rollout(network: dict[str, OrgUnit], staff: StaffMember, judge: User) -> tuple:
    """Issue 19: a 95xxx complaint about `staff` with its reply, a judged 营销话术 PK of 天河支行 (GZ01) scored by
    `judge` (one of its panel), and 珠江新城 (GZ0102)'s rollout in 固化 copied from 天河路 (GZ0101)'s practice.
    Returns the complaint and the judged contest."""
    from complaints.models import Complaint
    from kpi.models import ContestJudge, JudgeSheet, JudgingItem, PracticeItem, RolloutItem, RolloutProject
    from tests.kpi.contest_data import contest

    complaint = Complaint.objects.create(
        unit=network["GZ0101"], channel="hotline", category="attitude", received_on=datetime.date(2026, 11, 20),
        reply_due=datetime.date(2026, 11, 22), summary="95xxx 转办：客户反映柜员办理挂失时态度生硬，未解释手续费。",
        complainant_name="王丽", complainant_phone="13700001111", staff=staff,
        reply="已致电客户致歉并解释收费标准。", replied_on=datetime.date(2026, 11, 21),
    )  # fmt: skip
    judged = contest(network["GZ01"], (network["GZ0101"], network["GZ0102"]), name="营销话术 PK 赛")
    judged.judged = True
    judged.save()
    items = [
        JudgingItem.objects.create(contest=judged, name=name, weight=weight)
        for name, weight in (("话术规范", 60), ("产品讲解", 40))
    ]
    ContestJudge.objects.create(contest=judged, user=judge)
    JudgeSheet.objects.create(
        contest=judged, judge=judge, outlet=network["GZ0101"], total=Decimal("84"),
        scores={str(items[0].pk): "80", str(items[1].pk): "90"},
    )  # fmt: skip
    for order, name in enumerate(
        ("晨会夕会制度化：每日晨会目标分解、夕会复盘", "厅堂营销流程：大堂经理识别、转介、厅堂微沙龙")
    ):
        PracticeItem.objects.create(benchmark=network["GZ0101"], name=name, weight=order + 1, sort_order=order)
    project = RolloutProject.objects.create(
        outlet=network["GZ0102"], benchmark=network["GZ0101"], stage="consolidate",
        started_on=datetime.date(2026, 11, 1),
    )  # fmt: skip
    for item in PracticeItem.objects.filter(benchmark=network["GZ0101"]):
        RolloutItem.objects.create(
            project=project, name=item.name, weight=item.weight, sort_order=item.sort_order,
            done_on=datetime.date(2026, 11, 10) if item.sort_order == 0 else None,
            evidence="晨会记录本及夕会复盘表（近四周）" if item.sort_order == 0 else "",
        )  # fmt: skip
    return complaint, judged
