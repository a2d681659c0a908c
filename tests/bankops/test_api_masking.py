"""Every GET endpoint of the API, walked with a token without the `personal` scope, shows no person's
full name anywhere in its answer (issue 13: the alert history showed `"owner": [null, "刘雪梅"]`).

The network is the demo's (demo.network.seed_network with 4 outlets: 52 staff members with Chinese
names, and the demo logins 王建国, 李振华, 罗浩宇, 李桂芳, 赵敏), with one of everything the API reads
added by the services and factories at the outlet head's outlet: an alert whose owner changed twice,
a comment, a weekly review submitted and answered, an improvement plan with a measure, customers with
a relationship manager, published scorecards of the outlet and the teller, targets, a fact and a PK
contest. The operations come from the OpenAPI schema, so an endpoint added later is walked too; a path
parameter the walk does not know how to fill fails the test rather than skipping the endpoint.
"""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal

import pytest
from drf_spectacular.generators import SchemaGenerator

from alerts.models import Cause, ReviewStatus
from alerts.services.follow_up import alert_comment, alert_update
from campaigns.models import GiftRecord
from complaints.models import Complaint
from customers.models import Customer, Prospect, Referral, Territory
from customers.services.tiering import tiering_run
from demo import network as demo_network
from kpi.models import Annotation, Contest, ContestPair
from kpi.services.targets import target_set
from lib.periods import parse_period
from meetings.models import ActionItem, Attendance, Goal, Meeting
from notify.credentials import seal
from notify.models import Channel, Delivery
from outreach.services.building import ListFilter, list_build
from outreach.services.contacts import contact_record
from pay.models import PaySheet, PaySheetLine
from plans.models import TargetAcknowledgement
from plans.services.cells import CellInput, plan_cells_save, plan_create
from staff.access import scope_for_user
from staff.models import StaffMember, User
from staff.services import api_token_create
from tests.alerts.factories import AlertFactory, ImprovementPlanFactory, MeasureFactory, WeeklyReviewFactory
from tests.customers.factories import CustomerFactory, SnapshotFactory
from tests.kpi.factories import FactFactory
from tests.kpi.scorecard_factories import ScorecardFactory, ScorecardLineFactory, metric, published_day
from tests.shared_data import as_in_a_test, shared_data

DAY = datetime.date(2026, 11, 24)
PROSPECT_ID = "440106199001010013"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> dict:
    """The demo network and logins, and the rows every GET endpoint reads, by what the walk needs; made
    once for the module, whose two walks read it, each in a savepoint of its own (tests/shared_data.py)."""
    with shared_data(django_db_blocker):
        with as_in_a_test():
            made = _seed()
        yield made


def _seed() -> dict:
    seeded = demo_network.seed_network(outlets=4, seed=demo_network.DEFAULT_SEED)
    demo_network.personas_ensure(plan=seeded.plan)
    users = {user.username: user for user in User.objects.select_related("unit", "staff_member")}
    hq_admin, manager, head, teller = (users[name] for name in ("hq_admin", "unit_manager", "outlet_head", "teller"))
    outlet, sub_branch = head.unit, manager.unit
    teller_record = teller.staff_member

    alert = AlertFactory(unit=outlet)
    deadline = datetime.date.today() + datetime.timedelta(days=7)
    # The history records each owner by name: [null, 罗浩宇], then [罗浩宇, 李振华].
    alert_update(alert=alert, by=hq_admin, owner=head, cause=Cause.INTERNAL, action_plan="晨会复盘", deadline=deadline)
    alert_update(alert=alert, by=hq_admin, owner=manager)
    alert_comment(alert=alert, by=head, text="已安排大堂经理跟进")
    WeeklyReviewFactory(
        unit=outlet,
        status=ReviewStatus.ANSWERED,
        what_happened="周三系统故障",
        submitted_by=head,
        answer="同意，下周复查",
        answered_by=manager,
    )
    MeasureFactory(plan=ImprovementPlanFactory(unit=outlet, created_by=head), owner=teller)

    customer = CustomerFactory(name="张小三", home_outlet=outlet, relationship_manager=teller_record)
    other = CustomerFactory(name="欧阳娜娜", home_outlet=outlet, relationship_manager=teller_record)
    for month in (datetime.date(2026, 10, 1), datetime.date(2026, 11, 1)):
        SnapshotFactory(customer=customer, month=month, aum_avg_daily=Decimal("60000"))
        SnapshotFactory(customer=other, month=month, aum_avg_daily=Decimal("8000"))
        tiering_run(month=month)

    rolled_up = published_day(DAY)
    for holder in ({"unit": outlet}, {"staff": teller_record}):
        card = ScorecardFactory(run=rolled_up.published_run, period="month", **holder)
        ScorecardLineFactory(scorecard=card, metric=metric("mobile_banking_signups"), actual="12")
    signups, november = metric("mobile_banking_signups"), parse_period("2026-11")
    staff_target, _ = target_set(metric=signups, period=november, value=Decimal(40), staff=teller_record, source="test")
    target_set(metric=signups, period=november, value=Decimal(400), unit=outlet, source="test")
    FactFactory(unit=outlet, staff=teller_record, metric=signups, date=DAY, value=3)

    rival = next(unit for unit in sub_branch.children.order_by("code") if unit != outlet)
    contest = Contest.objects.create(
        name="十一月手机银行 PK 赛",
        unit=sub_branch,
        period_start=datetime.date(2026, 11, 1),
        period_end=datetime.date(2026, 11, 30),
        created_by=manager,
    )
    contest.metrics.set([signups])
    ContestPair.objects.create(contest=contest, outlet_a=outlet, outlet_b=rival)

    # A note written by the outlet head: the API gives its text, never its writer's name.
    note = Annotation.objects.create(
        unit=outlet, kind="large_maturity", start=DAY, end=DAY, text="某企业定期存款到期", created_by=head
    )

    # A target plan naming the teller in a staff cell, and the outlet head's answer (issue 15).
    december = parse_period("2026-12")
    plan = plan_create(
        scope=scope_for_user(hq_admin), unit=sub_branch, period=december, metrics=[signups], created_by=hq_admin
    )
    plan_cells_save(
        scope=scope_for_user(hq_admin),
        plan=plan,
        cells=[
            CellInput(unit=outlet, metric=signups, period=december, value=Decimal(400)),
            CellInput(unit=outlet, staff=teller_record, metric=signups, period=december, value=Decimal(40)),
        ],
    )
    TargetAcknowledgement.objects.create(plan=plan, unit=outlet, status="review", reason="偏高", answered_by=head)

    # The push's delivery to the sub-branch's WeCom group (issue 17).
    channel = Channel.objects.create(name="支行业务群", unit=sub_branch, kind="wecom", webhook=seal("masking-key-1"))
    delivery = Delivery.objects.create(channel=channel, day=DAY, status="sent", attempts=1)

    # The teller's attendance and goal at the outlet's 晨会, and an action item of the sub-branch's Monday
    # meeting for the outlet head (issue 17): the staff are named (masked), the owner by login only.
    morning = Meeting.objects.create(unit=outlet, kind="morning", date=DAY, held_by=head)
    Attendance.objects.create(meeting=morning, staff=teller_record, status="present")
    Goal.objects.create(meeting=morning, staff=teller_record, metric=signups, value=Decimal(3), set_by=head)
    weekly = Meeting.objects.create(unit=sub_branch, kind="weekly", date=DAY - datetime.timedelta(days=1))
    item = ActionItem.objects.create(meeting=weekly, text="增开弹性窗口", owner=head, due=DAY, created_by=manager)

    # The teller's stored pay sheet of October, closed by the unit manager (issue 16).
    pay_sheet = PaySheet.objects.create(
        month=datetime.date(2026, 10, 1), staff=teller_record, unit=outlet, total=Decimal("1820.00"),
        closed_at=datetime.datetime(2026, 11, 3, 10, tzinfo=datetime.UTC), closed_by=manager,
    )  # fmt: skip
    PaySheetLine.objects.create(
        sheet=pay_sheet, kind="points", gross=Decimal("1820.00"), amount=Decimal("1820.00"), basis={"score": "91"}
    )

    # A territory the teller owns, a prospect taken down in it and a referral of hers (issue 18): names,
    # the prospect's phone and identity number are personal data.
    territory = Territory.objects.create(kind="community", name="幸福社区", outlet=outlet, owner=teller_record)
    Prospect.objects.create(
        outlet=outlet, territory=territory, name="陈大文", phone="13812345678", id_number=PROSPECT_ID,
        interest="wealth", captured_by=teller_record, captured_on=DAY,
    )  # fmt: skip
    receiver = StaffMember.objects.exclude(pk=teller_record.pk).filter(assignments__unit=outlet).first()
    Referral.objects.create(
        outlet=outlet, day=DAY, referrer=teller_record, channel="counter", receiver=receiver, product="wealth",
        customer=customer,
    )  # fmt: skip

    # A campaign of the sub-branch (issue 20): the teller on its staff leaderboard (her sign-up fact), and a
    # gift she gave to 张小三, whose number and name the gift ledger masks.
    from django.utils import timezone

    from campaigns.services import campaign_scores_refresh, gift_record
    from tests.campaigns.factories import CampaignFactory, focus

    today = timezone.localdate()
    campaign = CampaignFactory(
        code="masking_push", unit=sub_branch, start=DAY, end=today + datetime.timedelta(days=10),
        gift_budget=Decimal("1000"),
    )  # fmt: skip
    focus(campaign, signups, "1")
    campaign_scores_refresh(campaign=campaign)
    gift_record(
        scope=scope_for_user(head), user=head, campaign=campaign, staff=teller_record, day=today,
        customer_code="C0001024", customer_name=customer.name, item="食用油礼盒", value=Decimal("58"),
    )  # fmt: skip

    # An inspection of the outlet naming the teller responsible for a finding, and a patrol round she
    # ticked (issue 19): the findings and the sheets name her, masked.
    from checklists.models import PatrolSheet
    from checklists.services import FindingIn, inspection_record
    from tests.checklists.factories import lobby_patrol

    inspection_record(
        scope=scope_for_user(hq_admin), user=hq_admin, unit=outlet, day=DAY, title="内控检查", today=DAY,
        findings=[FindingIn(text="工号牌未佩戴", severity="minor", deadline=DAY, staff=teller_record)],
    )  # fmt: skip
    PatrolSheet.objects.create(
        template=lobby_patrol(), unit=outlet, day=DAY, status="done", staff=teller_record, items_checked=5,
        items_passed=5,
    )  # fmt: skip
    # A call list of the outlet's customers for the teller, and one call (issue 18).
    called = list_build(
        scope=scope_for_user(head), user=head, unit=outlet, name="降级客户回访", criteria=ListFilter(),
        assign_mode="even", staff=[teller_record], starts_on=datetime.date.today(), due_on=datetime.date.today(),
    )  # fmt: skip
    first = called.assignments.select_related("outreach_list__unit").first()
    contact_record(scope=scope_for_user(head), user=teller, assignment=first, outcome="interested", product="理财")
    # A hotline complaint about the teller, with the complainant's name and phone (issue 19), and a judged
    # contest's sheet by the unit manager (the judge's name is masked like any login's).
    from complaints.services import complaint_create
    from kpi.models import ContestJudge, JudgingItem
    from kpi.services.judging import judge_sheet_save

    complaint_create(
        scope=scope_for_user(head), user=head, unit=outlet, channel="hotline", category="attitude",
        received_on=DAY, summary="柜员态度生硬", complainant_name="陈美玲", complainant_phone="13812345678",
        staff=teller_record, today=DAY,
    )  # fmt: skip
    contest.judged = True
    contest.save()
    contest.metrics.clear()
    judging_item = JudgingItem.objects.create(contest=contest, name="话术规范", weight=100)
    ContestJudge.objects.create(contest=contest, user=manager)
    judge_sheet_save(contest=contest, judge=manager, outlet=outlet, scores={judging_item.pk: 90}, today=DAY)
    contest.period_end = DAY - datetime.timedelta(days=1)  # closed: the sheets are readable
    contest.save()

    return {
        "campaign": campaign.code,
        "delivery_id": delivery.pk,
        "meeting_id": morning.pk,
        "item_id": item.pk,
        "pay_sheet_id": pay_sheet.pk,
        "annotation_id": note.pk,
        "target_plan_id": plan.pk,
        "alert_id": alert.pk,
        "contest_id": contest.pk,
        "rollup_id": rolled_up.published_run_id,
        "target_id": staff_target.pk,
        "customer": customer.code,
        "staff": teller_record.code,
        "unit": outlet.code,
        "metric": signups.code,
        "group": sub_branch.code,
    }


def _get_operations() -> list[str]:
    """Every GET path of the API's schema, as written there (/api/v1/alerts/{alert_id}/)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(path for path, operations in schema["paths"].items() if "get" in operations)


def _url(path: str, demo: dict) -> str:
    """The path with its parameters filled from the seeded rows; the required query parameters added."""
    by_collection = {
        ("alerts", "alert_id"): demo["alert_id"],
        ("annotations", "annotation_id"): demo["annotation_id"],
        ("contests", "contest_id"): demo["contest_id"],
        ("customers", "code"): demo["customer"],
        ("metrics", "code"): demo["metric"],
        ("rollups", "id"): demo["rollup_id"],
        ("staff", "code"): demo["staff"],
        ("targets", "id"): demo["target_id"],
        ("units", "code"): demo["unit"],
        ("target-plans", "target_plan_id"): demo["target_plan_id"],
        ("deliveries", "delivery_id"): demo["delivery_id"],
        ("meetings", "meeting_id"): demo["meeting_id"],
        ("action-items", "item_id"): demo["item_id"],
        ("pay-sheets", "pay_sheet_id"): demo["pay_sheet_id"],
        ("campaigns", "code"): demo["campaign"],
        ("complaints", "complaint_id"): demo.get("complaint_id", 0),
    }

    def fill(match: re.Match) -> str:
        collection = path.removeprefix("/api/v1/").split("/")[0]
        key = (collection, match.group(1))
        if key not in by_collection:
            pytest.fail(f"the masking walk does not know how to fill {{{match.group(1)}}} of {path}")
        return str(by_collection[key])

    url = re.sub(r"\{(\w+)\}", fill, path)
    required = {"/api/v1/customer-tiers/": "unit", "/api/v1/tier-migrations/": "unit", "/api/v1/rankings/": "group"}
    if path in required:
        url += f"?{required[path]}={demo['group']}"
    return url


def _walk(client, key: str, demo: dict) -> dict[str, str]:
    """Every GET operation's answer as JSON text (names as written, not \\u-escaped), by URL."""
    answers = {}
    for path in _get_operations():
        url = _url(path, demo)
        response = client.get(url, HTTP_AUTHORIZATION=f"Token {key}")
        assert response.status_code == 200, (url, response.content)
        answers[url] = json.dumps(response.json(), ensure_ascii=False)
    return answers


def _people() -> set[str]:
    """Every person's full name in the database: staff members, customers and logins."""
    names = set(StaffMember.objects.values_list("name", flat=True)) | set(
        Customer.objects.values_list("name", flat=True)
    )
    names |= set(Prospect.objects.values_list("name", flat=True))
    names |= {user.get_full_name() for user in User.objects.all()}
    names |= set(GiftRecord.objects.values_list("customer_name", flat=True))
    names |= set(Complaint.objects.values_list("complainant_name", flat=True))
    names |= set(Complaint.objects.values_list("complainant_phone", flat=True))
    return {name for name in names if name}


def test_no_get_endpoint_shows_a_full_name_to_a_token_without_the_personal_scope(client, demo, network_head_office):
    # The admin scope too, to walk the push's deliveries (read with it); masking asks `personal` alone.
    _token, key = api_token_create(name="hq reader", unit=network_head_office, scopes="read,admin")
    people = _people()

    answers = _walk(client, key, demo)

    leaks = {url: sorted(name for name in people if name in text) for url, text in answers.items()}
    assert {url: names for url, names in leaks.items() if names} == {}
    # A prospect's phone and identity number are masked too: 138****5678, 440106********0013.
    assert all("13812345678" not in text and PROSPECT_ID not in text for text in answers.values())
    assert "138****5678" in answers["/api/v1/prospects/"]
    # Customer numbers are masked in every answer, the customers' own list included (it gave them whole).
    codes = set(Customer.objects.values_list("code", flat=True)) | {"C0001024"}
    assert {
        url: sorted(c for c in codes if f'"{c}"' in text)
        for url, text in answers.items()
        if any(f'"{c}"' in text for c in codes)
    } == {}
    # The history is walked, and shows the owners masked: 罗浩宇 → 罗*宇, 李振华 → 李*华.
    alert = json.loads(answers[f"/api/v1/alerts/{demo['alert_id']}/"])
    assert [event["changes"].get("owner") for event in alert["events"]][:2] == [[None, "罗*宇"], ["罗*宇", "李*华"]]


def test_the_walk_finds_the_names_when_the_token_may_read_them(client, demo, network_head_office):
    # The same walk with the `personal` scope sees the full names: the first test is not passing vacuously.
    _token, key = api_token_create(name="hq personal", unit=network_head_office, scopes="read,personal,admin")
    people = _people()

    answers = _walk(client, key, demo)

    shown = {url: {name for name in people if name in text} for url, text in answers.items()}
    assert "罗浩宇" in shown[f"/api/v1/alerts/{demo['alert_id']}/"]
    assert "李桂芳" in shown[f"/api/v1/staff/{demo['staff']}/"]
    assert shown["/api/v1/customers/"] == {"张小三", "欧阳娜娜"}
    assert "陈大文" in shown["/api/v1/prospects/"] and PROSPECT_ID in answers["/api/v1/prospects/"]
    assert shown["/api/v1/outreach-assignments/"] == {"张小三", "欧阳娜娜", "李桂芳"}
    assert {"陈美玲", "13812345678", "李桂芳"} <= shown["/api/v1/complaints/"]


@pytest.fixture
def network_head_office(demo, db):
    from branches.models import OrgUnit

    return OrgUnit.objects.get(parent=None)
