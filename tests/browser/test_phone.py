"""Phone first (issue 14) in real headless Chromium: at 390 × 844 every page of every role fits the screen
without sideways scrolling (a wide table scrolls inside its own box, never the page), and the scorecard
is one card per metric on a phone and the table on a desktop.

PAGES lists every page of the site by URL name, with the path it is opened at in the data below, and
ROLE_PAGES which of them each persona opens; a test without a browser checks that PAGES names every
page of the URL configuration, so a new page cannot be left out of the tour. One data set, one browser,
one sign-in per role: the tour is one test.

The data: the outlet head's morning (tests/browser/conftest.py: 天河路网点 GZ0101 through 24 November
2026, with customers by tier), and, rolled up with it, mobile-banking sign-ups for the outlet
and its teller 黄丽娟 (S1001), a deposit daily-average target, a PK contest, the outlet as a benchmark
copied by 珠江新城网点, an alert, a Monday review and an improvement plan. As of the 24th (time progress
24/30 = 80 %) the outlet's scorecard has, in the catalog's order within 存款:
  各项存款余额 50,240 of 52,000 (96.6 %, amber) … 存款日均 50,125 of 60,000 (83.5 %, red);
  手机银行签约 2 × 24 = 48 of 300 (16 %, against 80 % of time: red); 到店客户数 2,700 of 3,600 (75 %, amber).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from alerts.models import Alert, ImprovementPlan, WeeklyReview
from branches.models import PeerGroup
from checklists.models import ChecklistTemplate, Inspection
from complaints.models import Complaint
from customers.models import Territory
from kpi.models import Contest, CreditSplitRule, Fact, Metric, Target
from lib.periods import parse_period
from outreach.models import ListAssignment, OutreachList
from plans.models import Plan, TargetAcknowledgement
from staff.models import StaffMember
from tests.alerts.factories import AlertFactory, ImprovementPlanFactory, MeasureFactory, WeeklyReviewFactory
from tests.browser.conftest import NOVEMBER, needs_chromium, shot, sign_in
from tests.kpi.contest_data import contest
from tests.world import called_list, complaint_contest_and_rollout, patrol_and_inspection

PHONE = {"width": 390, "height": 844}
NARROWEST = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}

# Every page by URL name and the path it is opened at; {contest}, {alert}, {review} and {plan} are the ids
# of the rows the data set makes. Left out: the sign-out and language switch (POST only), the health
# check (JSON), the admin and the API (their own screens, out of this scope).
PAGES = {
    "home": "/",
    "login": "/accounts/login/",
    "kpi:overview": "/overview/",
    "kpi:unit_overview": "/units/GZ01/overview/",
    "kpi:my_scorecard": "/scorecard/",
    "kpi:unit_scorecard": "/units/GZ0101/scorecard/",
    "kpi:staff_scorecard": "/staff/S1001/scorecard/",
    "kpi:unit_metric": "/units/GZ0101/metrics/customers_served/",
    "kpi:staff_metric": "/staff/S1001/metrics/mobile_banking_signups/",
    "kpi:contest_list": "/contests/",
    "kpi:contest_new": "/contests/new/",
    "kpi:contest_detail": "/contests/{contest}/",
    "kpi:contest_judge": "/contests/{judged}/judge/",
    "kpi:benchmark": "/benchmarks/GZ0101/",
    "kpi:rollout_list": "/rollouts/",
    "kpi:rollout_detail": "/rollouts/GZ0102/",
    "kpi:bulletin": "/bulletin/",
    "kpi:unit_notes": "/units/GZ0101/notes/",
    "kpi:unit_credit_splits": "/units/GZ0101/credit-splits/",
    "customers:my_customers": "/customers/",
    "customers:unit_customers": "/units/GZ0101/customers/?month=2026-10",
    "alerts:alert_list": "/alerts/",
    "alerts:alert_detail": "/alerts/{alert}/",
    "alerts:review_list": "/reviews/",
    "alerts:review_detail": "/reviews/{review}/",
    "alerts:plan_list": "/plans/",
    "alerts:plan_detail": "/plans/{plan}/",
    "plans:plan_list": "/plans/targets/",
    "plans:plan_grid": "/plans/targets/{target_plan}/",
    "plans:plan_time": "/plans/targets/{target_plan}/time/",
    "plans:plan_preview": "/plans/targets/{target_plan}/preview/",
    "plans:acknowledgement": "/plans/targets/acknowledgements/{acknowledgement}/",
    "ledger:home": "/ledger/",
    "ledger:approve": "/ledger/approve/",
    "ledger:entries": "/ledger/entries/?staff=S1001&metric=ledger_points",
    "meetings:index": "/meetings/",
    "meetings:action_items": "/meetings/actions/",
    "meetings:morning": "/meetings/GZ0101/morning/",
    "meetings:evening": "/meetings/GZ0101/evening/?date=2026-11-24",
    "meetings:weekly": "/meetings/GZ0101/weekly/?week=2026-11-23",
    "pay:my_pay": "/pay/?month=2026-10",
    "pay:unit_pay": "/units/GZ0101/pay/?month=2026-10",
    "pay:staff_pay": "/staff/S1001/pay/?month=2026-10",
    "customers:outreach_home": "/outreach/",
    "customers:unit_territories": "/units/GZ0101/territories/",
    "customers:territory_edit": "/territories/{territory}/",
    "customers:unit_prospects": "/units/GZ0101/prospects/",
    "customers:unit_referrals": "/units/GZ0101/referrals/",
    "campaigns:list": "/campaigns/",
    "campaigns:new": "/campaigns/new/",
    "campaigns:detail": "/campaigns/tour_deposits/",
    "campaigns:gifts": "/campaigns/tour_deposits/gifts/",
    "checklists:home": "/checklists/",
    "checklists:patrol_day": "/checklists/outlets/GZ0101/patrols/",
    "checklists:patrol_tick": "/checklists/outlets/GZ0101/patrols/{patrol}/day/",
    "checklists:inspection_list": "/checklists/inspections/",
    "checklists:inspection_new": "/checklists/inspections/new/",
    "checklists:inspection_detail": "/checklists/inspections/{inspection}/",
    "outreach:lists": "/customers/lists/",
    "outreach:new": "/customers/lists/new/",
    "outreach:list": "/customers/lists/{outreach_list}/",
    "outreach:work": "/customers/lists/{outreach_list}/work/",
    "outreach:card": "/customers/lists/customers/{list_customer}/",
    "complaints:list": "/complaints/",
    "complaints:new": "/complaints/new/",
    "complaints:detail": "/complaints/{complaint}/",
}
NOT_PAGES = {"healthz", "logout", "set_language", "kpi:unit_note_delete", "ledger:withdraw"}  # POST only
NOT_PAGES |= {"favicon"}  # a redirect to the site's icon
NOT_PAGES |= {"ledger:photo", "outreach:photo", "checklists:answer_photo", "checklists:finding_photo"}  # images
# One's own customers of a list: a staff record's (the tour's heads, HQ and auditors have none).
OWN_WORK = ("outreach:work",)

EVERY_PAGE = [name for name in PAGES if name != "login"]
ROLE_PAGES = {
    "outlet_head": [
        name
        for name in EVERY_PAGE
        if name
        not in (
            "login",
            "kpi:overview",
            "kpi:unit_overview",
            "kpi:contest_new",
            "campaigns:new",
            # The judged contest's panel is the unit manager's; the rollout is 珠江新城's (GZ0102).
            "kpi:contest_judge",
            "kpi:rollout_detail",
            # The plan is 天河支行's, above the outlet head's scope; the outlet's acknowledgement is theirs.
            "plans:plan_grid",
            "plans:plan_time",
            "plans:plan_preview",
            # Inspections are recorded from above the outlet.
            "checklists:inspection_new",
            *OWN_WORK,
        )
    ],
    "teller": [
        "home",
        "kpi:my_scorecard",
        "kpi:staff_scorecard",
        "kpi:staff_metric",
        "customers:my_customers",
        "ledger:home",
        "ledger:entries",
        # /meetings/ takes a staff member to their action items.
        "meetings:index",
        "meetings:action_items",
        "pay:my_pay",
        "pay:staff_pay",
        # The outreach pages of her outlet: her own territory, prospects and referrals.
        "customers:outreach_home",
        "customers:unit_territories",
        "customers:unit_prospects",
        "customers:unit_referrals",
        "campaigns:list",
        "campaigns:detail",
        "campaigns:gifts",
        # Her outlet's patrols (the lobby manager ticks them) and the inspection naming her.
        "checklists:home",
        "checklists:patrol_day",
        "checklists:inspection_list",
        "checklists:inspection_detail",
        # The call list holding customers assigned to her, and her cards.
        "outreach:lists",
        "outreach:list",
        "outreach:work",
        "outreach:card",
        # The 95xxx complaint that names 黄丽娟.
        "complaints:list",
        "complaints:detail",
    ],
    # Territories are edited by HQ and the outlet head, not the unit manager above (customers.territory_edit);
    # the patrol is ticked at the outlet (its lobby, its head), never from above.
    "unit_manager": [
        name for name in EVERY_PAGE if name not in ("customers:territory_edit", "checklists:patrol_tick", *OWN_WORK)
    ],
    # HQ approves and reads entries; it records none (no staff record, deductions are the outlets'); the
    # judged contest's panel is the unit manager's.
    "hq_admin": [
        name
        for name in EVERY_PAGE
        if name not in ("ledger:home", "checklists:patrol_tick", "kpi:contest_judge", *OWN_WORK)
    ],
    "auditor": [
        name
        for name in EVERY_PAGE
        if name
        not in (
            "kpi:contest_new",
            "kpi:contest_judge",
            "ledger:home",
            "ledger:approve",
            "customers:territory_edit",
            "campaigns:new",
            "checklists:patrol_tick",
            "outreach:new",
            "complaints:new",
            *OWN_WORK,
        )
    ],
}


def _url_names(patterns, namespace: str = "") -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in ("admin", "api") or str(pattern.pattern).startswith(("admin/", "api/")):
                continue
            names |= _url_names(pattern.url_patterns, f"{pattern.namespace}:" if pattern.namespace else namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_the_phone_tour_lists_every_page_of_the_site():
    assert _url_names(get_resolver().url_patterns) - NOT_PAGES == set(PAGES)


# -- the data ----------------------------------------------------------------------------------------

LAST_DAY = datetime.date(2026, 11, 24)


def _target(metric: Metric, value: str, **who) -> None:
    Target.objects.create(
        metric=metric,
        period_kind=NOVEMBER.kind,
        period=NOVEMBER.code,
        period_start=NOVEMBER.start,
        period_end=NOVEMBER.end,
        value=Decimal(value),
        **who,
    )


@pytest.fixture
def signups(network, teller):
    """Before the morning's rollup (so it rolls them up with the rest): the sign-ups and the targets."""
    outlet = network["GZ0101"]
    teller_record = StaffMember.objects.get(code="S1001")
    signups = Metric.objects.get(code="mobile_banking_signups")
    facts = []
    for day in range(1, LAST_DAY.day + 1):
        date = datetime.date(2026, 11, day)
        facts.append(Fact(date=date, unit=outlet, metric=signups, value=Decimal(2)))
        facts.append(Fact(date=date, unit=outlet, staff=teller_record, metric=signups, value=Decimal(1)))
    Fact.objects.bulk_create(facts)
    _target(signups, "300", unit=outlet)
    _target(signups, "40", staff=teller_record)
    _target(Metric.objects.get(code="deposit_daily_avg"), "60000", unit=outlet)


@pytest.fixture
def everything(signups, tiered, network, unit_manager):
    """The rows the other pages open: the benchmark and its copy, the contest, the alert, review and plan."""
    outlet = network["GZ0101"]
    outlet.is_benchmark = True
    outlet.save()
    copy = network["GZ0102"]
    copy.benchmark, copy.transformed_on = outlet, datetime.date(2026, 11, 10)
    copy.save()
    contest(network["GZ01"], (outlet, copy), metrics=("customers_served", "mobile_banking_signups"))
    AlertFactory(unit=outlet)
    # A peer group named as long as the demo's (西工支行·乡镇网点 (LY01-township)): the bulletin's picker wraps.
    PeerGroup.objects.create(
        code="GZ01-township-comprehensive", name_zh="天河支行·乡镇综合型网点对标组", is_default=False
    )
    # Its missed targets with figures as wide as a branch's (in the demo: 24,517.00 万元), which pushed the
    # reviews' table past a phone's width until it scrolled in its own box.
    WeeklyReviewFactory(
        unit=outlet,
        missed=[
            {"metric": "mobile_banking_signups", "target": "50.0000", "actual": "38.0000", "attainment": "0.760000"},
            {"metric": "deposit_balance", "target": "24517.0000", "actual": "14353.0000", "attainment": "0.585431"},
            {"metric": "avg_wait_minutes", "target": "10.0000", "actual": "14.5000", "attainment": "0.689655"},
        ],
    )
    MeasureFactory(plan=ImprovementPlanFactory(unit=outlet))
    target_plan(network)
    ledger_entries(network)
    credit_rules(outlet)
    meetings(network)
    pay_sheet(network)
    outreach(network)
    campaign_with_a_gift(network)
    teller_record = StaffMember.objects.get(code="S1001")
    patrol_and_inspection(outlet, teller_record, LAST_DAY, inspector="tour.auditor")
    called_list(outlet, outlet.users.get(role="outlet_head"), teller_record.user)
    complaint_contest_and_rollout(network, teller_record, unit_manager)


def outreach(network) -> None:
    """Issue 18: 天河农贸市场 owned by 黄丽娟, a prospect taken down there, and her 柜面转介 to a wealth manager."""
    from customers.models import Prospect, Referral, Territory
    from tests.factories import AssignmentFactory

    outlet = network["GZ0101"]
    teller_record = StaffMember.objects.get(code="S1001")
    wealth = AssignmentFactory(unit=outlet, post="wealth_manager").staff
    territory = Territory.objects.create(kind="market", name="天河农贸市场", outlet=outlet, owner=teller_record)
    Prospect.objects.create(
        outlet=outlet, territory=territory, place="天河农贸市场 3 号摊位", name="陈大文", phone="13812345678",
        interest="wealth", note="定期到期，关注理财", captured_by=teller_record, captured_on=LAST_DAY,
    )  # fmt: skip
    Referral.objects.create(
        outlet=outlet, day=LAST_DAY, referrer=teller_record, channel="counter", receiver=wealth, product="wealth"
    )


def campaign_with_a_gift(network) -> None:
    """广州分行's 他行揽储 (issue 20), running today, on the outlet's sign-ups of November, with a script and a
    gift 黄丽娟 gave (the campaign pages and its gift ledger)."""
    from django.utils import timezone

    from campaigns.services import campaign_scores_refresh, gift_record
    from staff.access import scope_for_user
    from tests.campaigns.factories import CampaignFactory, focus

    today = timezone.localdate()
    campaign = CampaignFactory(
        code="tour_deposits",
        name_zh="他行揽储专项活动",
        unit=network["GZ"],
        start=min(datetime.date(2026, 11, 1), today),
        end=today + datetime.timedelta(days=20),
        gift_budget=Decimal("5000"),
        gift_limit_per_customer=Decimal("200"),
    )
    focus(campaign, "mobile_banking_signups", "1")
    campaign.materials.create(title="他行客户开口话术", body="您好，我们网点现在有他行揽储专项活动……")
    campaign_scores_refresh(campaign=campaign, today=today)
    teller_record = StaffMember.objects.get(code="S1001")
    head = network["GZ0101"].users.get(role="outlet_head")
    gift_record(
        scope=scope_for_user(head), user=head, campaign=campaign, staff=teller_record, day=today,
        customer_code="C0001024", customer_name="张三", item="食用油礼盒", value=Decimal("58.00"),
    )  # fmt: skip


def ledger_entries(network) -> None:
    """The points ledger (issue 16): 黄丽娟's entries of yesterday and today, one approved, one waiting, one
    suspected duplicate, a deduction by the outlet head (the ledger's pages, the approval page)."""
    from django.utils import timezone

    from ledger.services import Action, entries_decide, entry_create
    from staff.access import scope_for_user
    from tests.ledger.factories import card_item, discipline_item

    teller_user = StaffMember.objects.get(code="S1001").user
    head = network["GZ0101"].users.get(role="outlet_head")
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    cards = card_item()

    def record(user, item, day, quantity, **kwargs):
        return entry_create(scope=scope_for_user(user), user=user, item=item, day=day, quantity=quantity, **kwargs)

    # The rollup each approval queues would publish the days up to yesterday, and the tour's scorecards
    # are those of 24 November: the facts are written, the rollup not run.
    with mock.patch("kpi.services.facts._queue_rollup"):
        approved = record(teller_user, cards, yesterday, 2, customer_code="C0001024", note="柜面推荐办卡，客户当场激活")
        entries_decide(scope=scope_for_user(head), user=head, entry_ids=[approved.pk], action=Action.APPROVE)
        record(teller_user, cards, today, 1, customer_code="C0002048")
        record(teller_user, cards, today, 1, customer_code="C0002048", note="同一客户再次登记")
        teller_record = StaffMember.objects.get(code="S1001")
        record(head, discipline_item(), yesterday, 1, staff=teller_record, note="早会迟到 10 分钟")


def credit_rules(outlet) -> None:
    """HQ's 理财 70/30 rule between the wealth manager and the referring teller, which the outlet moved
    to 35 % (the credit splits page: a rule card with its form and a line of the audit)."""
    from kpi.services.credit import credit_split_adjust
    from staff.access import Scope
    from staff.models import Post

    rule = CreditSplitRule.objects.create(
        metric=Metric.objects.get(code="wealth_sales"),
        owner_post=Post.objects.get(code="wealth_manager"),
        partner_post=Post.objects.get(code="teller"),
        share=Decimal(30),
        min_share=Decimal(20),
        max_share=Decimal(40),
        effective_from=datetime.date(2026, 1, 1),
    )
    hq = Scope(everything=True, read_only=False, personal_data=True, role="hq_admin")
    credit_split_adjust(scope=hq, outlet=outlet, rule=rule, share=Decimal(35), reason="网点理财营销方案 2026-11")


def meetings(network) -> None:
    """天河路网点's morning meeting of the 24th with the teller's goal (met: 1 of 1), and its Monday meeting
    of that week with an action item for its head, linked to the alert (the meeting pages)."""
    from meetings.models import ActionItem, Attendance, Goal, Meeting, Topic
    from staff.models import User

    outlet, head = network["GZ0101"], User.objects.get(username="lin.xiaoyan")
    teller_record = StaffMember.objects.get(code="S1001")
    morning = Meeting.objects.create(unit=outlet, kind="morning", date=LAST_DAY, held_by=head, decisions="主推手机银行")
    Attendance.objects.create(meeting=morning, staff=teller_record, status="present")
    Topic.objects.create(meeting=morning, kind="script", text="手机银行营销话术：三句话讲清好处")
    Goal.objects.create(
        meeting=morning, staff=teller_record, metric=Metric.objects.get(code="mobile_banking_signups"), value=1
    )
    weekly = Meeting.objects.create(unit=outlet, kind="weekly", date=datetime.date(2026, 11, 23), held_by=head)
    ActionItem.objects.create(
        meeting=weekly,
        text="高峰时段增开弹性窗口，平均等待时间压到10分钟以内",
        owner=head,
        due=datetime.date(2026, 11, 27),
        link_kind="alert",
        link_id=Alert.objects.order_by("pk").first().pk,
    )


def pay_sheet(network) -> None:
    """黄丽娟's stored pay sheet of October 2026 with a line of each kind, the carry-over's long sentences
    included (the pay pages at 390 px)."""
    from django.utils import timezone

    from pay.models import PayRule, PaySheet, PaySheetLine

    rule = PayRule.objects.create(
        template_code="T-TELLER", effective_from=datetime.date(2026, 10, 1), yuan_per_point=Decimal("20.00")
    )
    sheet = PaySheet.objects.create(
        month=datetime.date(2026, 10, 1), staff=StaffMember.objects.get(code="S1001"), unit=network["GZ0101"],
        rule=rule, template_code="T-TELLER", scorecard_date=datetime.date(2026, 10, 31), score=Decimal("91"),
        total=Decimal("5524.00"), carried=Decimal("24.00"), closed_at=timezone.now(),
    )  # fmt: skip
    tiers = [
        {"from": "0", "to": "10", "rate": "5.00", "units": "10", "amount": "50.00"},
        {"from": "10", "to": "30", "rate": "8.00", "units": "20", "amount": "160.00"},
        {"from": "30", "to": None, "rate": "12.00", "units": "5", "amount": "60.00"},
    ]
    pool = {"unit": "GZ0101", "unit_name": "天河路网点", "pool": "10000.00", "score": "91", "scores_total": "250",
            "sharing": 3}  # fmt: skip
    carry = {
        "month": "2026-09", "due": "5310.00", "paid": "5286.00", "carried_before": "0", "score_was": "87",
        "score_now": "87", "changes": [{"metric": "counter_referrals", "was": "12", "now": "15"}],
        "late_facts": [{"date": "2026-09-15", "metric": "counter_referrals", "value": "15",
                        "received": "2026-10-03 09:12"}],
        "late_facts_count": 1,
    }  # fmt: skip
    signups = Metric.objects.get(code="counter_referrals")
    for position, (kind, fields) in enumerate(
        [
            ("points", {"rate": Decimal(20), "gross": Decimal("1820.00"), "basis": {"score": "91"}}),
            ("piece_rate", {"metric": signups, "volume": Decimal(35), "gross": Decimal("270.00"),
                            "basis": {"method": "marginal", "tiers": tiers}}),
            ("pool", {"gross": Decimal("3640.00"), "basis": pool}),
            ("cap", {"gross": Decimal("-230.00"), "basis": {"cap": "5500.00", "before": "5730.00", "cut": "230.00"}}),
            ("carry_over", {"gross": Decimal("24.00"), "source_month": datetime.date(2026, 9, 1), "basis": carry}),
        ]
    ):  # fmt: skip
        PaySheetLine.objects.create(sheet=sheet, position=position, kind=kind, amount=fields["gross"], **fields)


def target_plan(network) -> None:
    """天河支行's 2027 plan of sign-ups and deposit growth, split equally over its outlets, and 天河路网点's
    acknowledgement of it (the plan's pages and the 签收 page)."""
    from plans.services.cells import CellInput, plan_cells_save, plan_create
    from plans.services.fill import plan_fill
    from staff.access import Scope

    hq = Scope(everything=True, read_only=False, personal_data=True, role="hq_admin")
    metrics = [Metric.objects.get(code="mobile_banking_signups"), Metric.objects.get(code="deposit_growth")]
    year = parse_period("2027")
    plan = plan_create(scope=hq, unit=network["GZ01"], period=year, metrics=metrics, name="天河支行 2027 年度计划")
    plan_cells_save(
        scope=hq,
        plan=plan,
        cells=[CellInput(unit=network["GZ01"], metric=m, period=year, value=Decimal(1200)) for m in metrics],
    )
    plan_fill(scope=hq, plan=plan, level=network["GZ01"], metrics=metrics, method="equal", cascade=True)
    TargetAcknowledgement.objects.create(plan=plan, unit=network["GZ0101"])


# -- the tour ----------------------------------------------------------------------------------------

# What sticks out past the right edge of the window, outside any box that scrolls or clips sideways.
OVERFLOW = """async () => {
  // The resize event (the charts redraw on it) is dispatched before the next frame: two frames later
  // the page has redrawn at the new width.
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const width = window.innerWidth;
  // Clipped by a box that scrolls or hides sideways on its containing-block chain (an absolutely
  // positioned element escapes every box up to its nearest positioned ancestor).
  const clipped = (element) => {
    let position = getComputedStyle(element).position;
    if (position === "fixed") return false;
    for (let box = element.parentElement; box && box !== document.body; box = box.parentElement) {
      const style = getComputedStyle(box);
      if (position === "absolute" && style.position === "static") continue;
      if (["auto", "scroll", "hidden", "clip"].includes(style.overflowX)) return true;
      position = style.position;
    }
    return false;
  };
  const culprits = Array.from(document.body.querySelectorAll("*"))
    .filter((element) => element.getBoundingClientRect().right > width + 0.5 && !clipped(element))
    .slice(0, 5)
    .map((element) => {
      const classes = String(element.className || "").trim().replace(/\\s+/g, ".");
      return element.tagName.toLowerCase() + (classes ? "." + classes : "") + " "
        + Math.round(element.getBoundingClientRect().right) + "px";
    });
  return {
    width: width,
    page: document.documentElement.scrollWidth,
    body: document.body.scrollWidth,
    culprits: culprits,
  };
}"""


def _overflow(page, viewport: dict) -> str | None:
    if page.viewport_size != viewport:
        page.set_viewport_size(viewport)
    seen = page.evaluate(OVERFLOW)
    if seen["page"] <= seen["width"] and seen["body"] <= seen["width"]:
        return None
    return f"{seen['page']} px wide at {seen['width']} px (body {seen['body']} px): {', '.join(seen['culprits'])}"


def _paths(server) -> dict[str, str]:
    ids = {
        "contest": Contest.objects.order_by("pk").first().pk,
        "alert": Alert.objects.order_by("pk").first().pk,
        "review": WeeklyReview.objects.order_by("pk").first().pk,
        "plan": ImprovementPlan.objects.order_by("pk").first().pk,
        "target_plan": Plan.objects.order_by("pk").first().pk,
        "acknowledgement": TargetAcknowledgement.objects.order_by("pk").first().pk,
        "territory": Territory.objects.order_by("pk").first().pk,
        "patrol": ChecklistTemplate.objects.order_by("pk").first().pk,
        "inspection": Inspection.objects.order_by("pk").first().pk,
        "outreach_list": OutreachList.objects.order_by("pk").first().pk,
        "list_customer": ListAssignment.objects.order_by("position").first().pk,
        "judged": Contest.objects.filter(judged=True).order_by("pk").first().pk,
        "complaint": Complaint.objects.order_by("pk").first().pk,
    }
    return {name: server.url + path.format(**ids) for name, path in PAGES.items()}


def _tour(page, urls: dict[str, str], names: list[str], who: str) -> list[str]:
    problems = []
    for name in names:
        if page.viewport_size != PHONE:
            page.set_viewport_size(PHONE)
        response = page.goto(urls[name])  # until "load": the page's scripts have run
        if response.status != 200:
            problems.append(f"{who} {name}: HTTP {response.status}")
            continue
        for viewport in (PHONE, NARROWEST):
            overflow = _overflow(page, viewport)
            if overflow:
                problems.append(f"{who} {name} ({urls[name]}): {overflow}")
    return problems


def _scorecard_is_cards_on_a_phone_and_a_table_on_a_desktop(page) -> None:
    page.set_viewport_size(PHONE)
    cards, table = page.locator(".scorecard-cards"), page.locator("table.scorecard")
    assert cards.is_visible() and not table.is_visible()
    shot(page, "10-scorecard-phone-zh")

    # Within each category the red lines come first, then the amber ones, then the rest in catalog order.
    groups = page.evaluate(
        """() => Array.from(document.querySelectorAll(".scorecard-cards .card-group")).map((group) => ({
            name: group.querySelector("h2").textContent.trim(),
            lines: Array.from(group.querySelectorAll(".metric-card")).map((card) => [
              card.querySelector("h3").textContent.trim(), card.dataset.status]),
          }))"""
    )
    by_name = {group["name"]: group["lines"] for group in groups}
    assert by_name["存款"][0] == ["存款日均", "red"]
    assert by_name["存款"][1] == ["各项存款余额", "amber"]
    assert by_name["电子渠道"][0] == ["手机银行签约", "red"]
    severity = {"red": 0, "amber": 1}
    for group in groups:
        ranks = [severity.get(status, 2) for _name, status in group["lines"]]
        assert ranks == sorted(ranks), group

    # A card reads: the figures with their unit, the bar with its pace mark, the status and what is left.
    card = page.locator(".metric-card", has_text="手机银行签约")
    text = card.inner_text()
    for expected in ("48", "300", "户", "16.0%", "80.0%", "落后", "-192", "42.0"):
        assert expected in text, (expected, text)
    assert card.locator(".pace-bar .pace-mark").get_attribute("style") == "left:80.0%"
    assert card.locator(".pace-bar .pace-fill").get_attribute("style") == "width:16.0%"
    # The metric's name is one line, not a column of single characters.
    name_box = card.locator("h3").bounding_box()
    assert name_box["height"] < 40 and name_box["width"] > 80

    page.set_viewport_size(DESKTOP)
    assert table.is_visible() and not cards.is_visible()
    # The small charts of the table, hidden on the phone, are drawn once the table shows.
    page.locator('table.scorecard [data-chart="sparkline"][data-chart-drawn="1"]').first.wait_for(state="attached")


def _the_menu_folds_behind_a_button_on_a_phone(page, url: str) -> None:
    """The unit manager's menu (19 entries) on a phone: folded behind 菜单 under a header of one row (the
    brand and the button: 58 px; 133 px at 360 px when who is signed in, signing out and the language took
    two rows more), opened in two columns that fit, with signing out and the language under it; on a
    desktop the menu shows and the button does not."""
    page.set_viewport_size(PHONE)
    page.goto(url)
    button, menu = page.locator("label.menu-button"), page.locator("nav.topnav")
    sign_out, language = page.locator("header.topbar form[action$='/logout/'] button"), page.locator("select#language")
    assert button.is_visible() and not menu.is_visible()
    assert not sign_out.is_visible() and not language.is_visible()
    page.set_viewport_size(NARROWEST)
    assert page.locator("header.topbar").bounding_box()["height"] < 70
    page.set_viewport_size(PHONE)
    button.click()
    assert menu.is_visible() and sign_out.is_visible() and language.is_visible()
    assert sign_out.bounding_box()["y"] > menu.bounding_box()["y"]
    assert _overflow(page, PHONE) is None and _overflow(page, NARROWEST) is None
    links = menu.locator("a")
    assert links.count() >= 15
    lefts = {round(links.nth(index).bounding_box()["x"]) for index in range(links.count())}
    assert len(lefts) == 2, lefts  # two columns
    shot(page, "11-menu-phone-zh")
    button.click()
    assert not menu.is_visible()

    page.set_viewport_size(DESKTOP)
    assert menu.is_visible() and not button.is_visible()
    page.set_viewport_size(PHONE)


def _the_alerts_are_cards_on_a_phone(page, url: str) -> None:
    """The alerts list at 390 px: each alert a card whose status, owner and deadline are on the screen,
    each under its column's name (they sat right of the screen in a 696 px table before)."""
    page.set_viewport_size(PHONE)
    page.goto(url)
    row = page.locator("table.alert-list tbody tr").first
    deadline = row.locator("td[data-label]").last
    box = deadline.bounding_box()
    assert deadline.is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    label = page.evaluate("cell => getComputedStyle(cell, '::before').content", deadline.element_handle())
    assert label == '"截止日期"', label
    table = page.locator("table.alert-list").bounding_box()
    assert table["width"] <= PHONE["width"], table


def _a_summary_heading_sits_beside_its_marker(page, url: str) -> None:
    """A disclosure whose summary is a heading (the ledger's 登记扣分): the heading on the marker's line,
    not on a line of its own below it (its top 44 px below the summary's before)."""
    page.set_viewport_size(PHONE)
    page.goto(url)
    summary = page.locator("details > summary", has=page.locator("h2")).first
    summary.scroll_into_view_if_needed()
    heading = summary.locator("h2")
    assert abs(heading.bounding_box()["y"] - summary.bounding_box()["y"]) < 8
    assert summary.bounding_box()["height"] < 50


@pytest.mark.django_db
@needs_chromium
def test_every_page_of_every_role_fits_a_phone_and_the_scorecard_is_cards_there(
    page, server, everything, outlet_head, teller, unit_manager, hq_admin, auditor
):
    urls = _paths(server)
    problems = _tour(page, urls, ["login"], "anonymous")
    for who, user in (
        ("outlet_head", outlet_head),
        ("teller", teller),
        ("unit_manager", unit_manager),
        ("hq_admin", hq_admin),
        ("auditor", auditor),
    ):
        page.context.clear_cookies()
        page.set_viewport_size(PHONE)
        sign_in(page, server.url, user)
        problems += _tour(page, urls, ROLE_PAGES[who], who)
        if who == "outlet_head":
            page.goto(urls["kpi:my_scorecard"])
            _scorecard_is_cards_on_a_phone_and_a_table_on_a_desktop(page)
            _a_summary_heading_sits_beside_its_marker(page, urls["ledger:home"])
            _the_alerts_are_cards_on_a_phone(page, urls["alerts:alert_list"])
        if who == "unit_manager":
            _the_menu_folds_behind_a_button_on_a_phone(page, urls["kpi:overview"])

    assert not problems, "\n".join(problems)
