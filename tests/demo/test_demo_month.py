"""The small seed_demo across a month end, seeded once for the module (tests/shared_data.py): a demo that
holds together (issue 14), its pay (demo/pay.py), its credit sharing (demo/credit.py) and its meetings
(demo/meetings.py, issue 17).

Twelve outlets, facts of the fourteen days from Friday 23 January to Thursday 5 February 2026, all rolled
up: January ends inside the window, so its month scorecards of 31 January are whole months, its
customers are tiered (November to January), it is the last whole month, closed and paid, and the
replicas of the benchmark LY0101 (LY0108, LY0109) complete their transformation in the first days of
February, after a January on the scorecards.

Seeding it costs most of the module's time, so its tests share one seed instead of seeding it each; a
test that writes (seeding again, on the same day or the next) does it in a savepoint of its own, undone
before the next test, so the tests stay independent of their order.
"""

from __future__ import annotations

import datetime
import io
import statistics
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command

from alerts import selectors as alerts_reads
from alerts.models import ImprovementPlan, ReviewStatus, WeeklyReview
from alerts.selectors import badge_count
from branches.models import OrgUnit, UnitKind
from customers.models import CustomerMonth
from customers.selectors import tier_pyramid
from demo import activity as demo_activity
from demo import credit as demo_credit
from demo import facts as demo_facts
from demo import meetings as demo_meetings
from demo.network import DEFAULT_SEED
from kpi.models import (
    Contest,
    CreditSplit,
    CreditSplitAdjustment,
    CreditSplitAdjustmentChange,
    CreditSplitRule,
    MonthClose,
    Scorecard,
    ScorecardLine,
)
from kpi.selectors.contests import benchmark_comparison, contests_visible
from kpi.services.credit import split_exactly
from lib.periods import parse_period
from meetings.models import ActionItem, Goal, Meeting, Topic
from meetings.selectors import evening_sheet
from pay.models import LineKind, PayRule, PaySheet, PaySheetLine, TeamPool
from pay.selectors import unit_month_pay
from staff.access import scope_for_user
from staff.models import Role, User
from tests.shared_data import as_in_a_test, shared_data

pytestmark = pytest.mark.django_db

END = datetime.date(2026, 2, 5)
JANUARY = datetime.date(2026, 1, 1)
JANUARY_END = datetime.date(2026, 1, 31)


@pytest.fixture(autouse=True)
def _keep_daily_scorecards(settings):
    """For the tests that seed again: the window lies in early 2026, perhaps long before today."""
    settings.SCORECARD_RETENTION_DAYS = 100_000


def seed(end: datetime.date = END) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--outlets=12", "--days=14", f"--end={end}", stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> str:
    """The demo seeded once for the module: what seed_demo printed."""
    with shared_data(django_db_blocker):
        with as_in_a_test(SCORECARD_RETENTION_DAYS=100_000):
            output = seed()
        yield output


def persona(role: str) -> User:
    return User.objects.select_related("unit").get(role=role, username__in=["teller", "outlet_head", "unit_manager"])


# -- a demo that holds together (issue 14) ---------------------------------------------------------------
#
# What its pages say of it agrees.


def month_lines(day: datetime.date, metric: str) -> dict[str, ScorecardLine]:
    cards = Scorecard.objects.published(on=day).filter(period="month", staff=None)
    lines = ScorecardLine.objects.filter(scorecard__in=cards, metric__code=metric).select_related("scorecard__unit")
    return {line.scorecard.unit.code: line for line in lines}


def test_premium_customers_agree_on_the_scorecard_the_tier_page_and_the_overview_for_every_unit(demo):
    """LY0101 showed 4,889 premium customers on its scorecard and 22 on its tier page: now both count the
    same customers, for every outlet and every unit above (the overview's figure is the unit's)."""
    scorecard = month_lines(JANUARY_END, "premium_customers")
    tiered = Counter(
        CustomerMonth.objects.filter(month=JANUARY, tier_rank__gte=3).values_list("outlet__code", flat=True)
    )
    outlets = list(OrgUnit.objects.outlets())
    assert len(outlets) == 12

    for unit in OrgUnit.objects.all():
        pyramid = tier_pyramid(unit=unit, month=JANUARY)
        under = [outlet.code for outlet in outlets if outlet.path.startswith(unit.path)]
        if not under:
            continue  # a branch of the plan with no outlet in so small a network
        counted = sum(tiered[code] for code in under)
        assert scorecard[unit.code].actual == pyramid.premium == counted, unit.code
    # Dozens of premium customers an outlet, not thousands.
    assert all(10 <= scorecard[outlet.code].actual <= 150 for outlet in outlets)
    # December's count is last month's on the tier page, and the start of January's growth.
    growth = month_lines(JANUARY_END, "premium_customers_growth")
    for outlet in outlets:
        pyramid = tier_pyramid(unit=outlet, month=JANUARY)
        assert growth[outlet.code].actual == pyramid.premium - pyramid.premium_before, outlet.code


def test_targets_are_within_reach_the_median_attainment_of_every_metric_is_60_to_150_percent(demo):
    """Targets come from each outlet's own history (去年同期 × growth): a month's attainment is mostly
    70–130 %, with some outlets behind and some far ahead, for every metric with a target."""
    cards = Scorecard.objects.published(on=JANUARY_END).filter(period="month", staff=None, unit__kind=UnitKind.OUTLET)
    by_metric: dict[str, list[float]] = defaultdict(list)
    for code, attainment in (
        ScorecardLine.objects.filter(scorecard__in=cards)
        .exclude(target=None)
        .exclude(pace_attainment=None)
        .values_list("metric__code", "pace_attainment")
    ):
        by_metric[code].append(float(attainment))

    medians = {code: round(statistics.median(values), 2) for code, values in by_metric.items()}
    assert len(medians) >= 15
    assert {code: median for code, median in medians.items() if not 0.6 <= median <= 1.5} == {}
    everything = [value for values in by_metric.values() for value in values]
    assert sum(0.7 <= value <= 1.3 for value in everything) > 0.7 * len(everything)
    assert min(everything) < 0.9 and max(everything) > 1.1
    # The premium customers' growth target is a few customers a month, not forty.
    premium = month_lines(JANUARY_END, "premium_customers_growth")
    assert all(1 <= premium[outlet.code].target <= 5 for outlet in OrgUnit.objects.outlets())


def test_every_replica_has_a_month_before_its_transformation_and_a_month_after_with_figures(demo):
    hq_admin = User.objects.get(username="hq_admin")
    benchmarks = list(OrgUnit.objects.filter(is_benchmark=True))
    assert benchmarks

    for benchmark in benchmarks:
        comparison = benchmark_comparison(scope=scope_for_user(hq_admin), benchmark=benchmark)
        assert comparison.as_of == END
        assert comparison.replicas
        for replica in comparison.replicas:
            if replica.outlet.transformed_on is None:
                # Still rolling out (demo.registers: the outlet head's outlet, 导入 → 固化): no "before" yet.
                assert replica.before_date is None, replica.outlet.code
                assert replica.outlet.transformation == "rolling_out", replica.outlet.code
                continue
            assert JANUARY_END < replica.outlet.transformed_on <= END
            assert replica.before_date == JANUARY_END
            # Every metric has both figures, but events that a month may well not see (a complaint, a risk
            # event: no fact, no figure).
            missing = [row.metric.code for row in replica.rows if row.before is None or row.after is None]
            assert set(missing) <= {"complaints", "risk_events"}, replica.outlet.code
            assert len(replica.rows) - len(missing) >= 10
            # The month before is a whole January; the month after is February to date.
            average = next(row for row in replica.rows if row.metric.code == "deposit_daily_avg")
            assert average.before.actual > 0 and average.after.actual > 0


@pytest.mark.parametrize("persona", ["hq_admin", "auditor", "unit_manager", "outlet_head"])
def test_every_demo_login_finds_contests_plans_and_reviews_and_their_pages_open(demo, client, persona):
    user = User.objects.get(username=persona)
    scope = scope_for_user(user)
    client.force_login(user)

    contests = contests_visible(scope=scope)
    plans = alerts_reads.plans_visible(scope=scope)
    reviews = alerts_reads.reviews_visible(scope=scope)
    assert contests.exists() and plans.exists() and reviews.exists()
    for url in (
        "/contests/",
        f"/contests/{contests.first().pk}/",
        "/plans/",
        f"/plans/{plans.first().pk}/",
        "/reviews/",
        f"/reviews/{reviews.first().pk}/",
    ):
        assert client.get(url).status_code == 200, url


def test_the_outlet_heads_review_waits_for_them_and_the_unit_manager_has_answers_to_give(demo):
    outlet_head = User.objects.get(username="outlet_head")
    reviews = WeeklyReview.objects.filter(unit__path__startswith=User.objects.get(username="unit_manager").unit.path)
    week = reviews.order_by("-week_start").values_list("week_start", flat=True).first()
    assert week == datetime.date(2026, 1, 26)  # the week of Sunday 1 February, the last rolled up

    statuses = Counter(reviews.filter(week_start=week).values_list("status", flat=True))
    own = reviews.filter(week_start=week, unit=outlet_head.unit).first()
    assert own is None or own.status == ReviewStatus.TO_FILL
    assert statuses[ReviewStatus.SUBMITTED] >= 1 and statuses[ReviewStatus.ANSWERED] >= 1
    filled = reviews.exclude(status=ReviewStatus.TO_FILL).select_related("submitted_by", "unit")
    for review in filled:
        # Filled in by the head of the outlet, in figures: 手机银行签约完成 28 户，周目标 49 户 …
        assert review.submitted_by.unit == review.unit and review.submitted_by.role == "outlet_head"
        assert "周目标" in review.what_happened and review.why and review.remedy
    # Plans: the outlet head's own and the lowest month score of each sub-branch, each with three measures.
    plans = ImprovementPlan.objects.filter(period="2026-02").prefetch_related("measures")
    assert outlet_head.unit_id in {plan.unit_id for plan in plans}
    assert all(plan.measures.count() == 3 for plan in plans)
    assert (
        Contest.objects.filter(pairs__outlet_a=outlet_head.unit).exists()
        or Contest.objects.filter(pairs__outlet_b=outlet_head.unit).exists()
    )


def test_seeding_the_activity_again_writes_nothing(demo):
    counts = (Contest.objects.count(), ImprovementPlan.objects.count(), WeeklyReview.objects.count())
    statuses = list(WeeklyReview.objects.order_by("pk").values_list("status", "what_happened", "answer"))

    again = demo_activity.seed_activity(seed=2026, end=END)

    assert (again.contests, again.plans, again.reviews, again.submitted, again.answered) == (0, 0, 0, 0, 0)
    assert (Contest.objects.count(), ImprovementPlan.objects.count(), WeeklyReview.objects.count()) == counts
    assert list(WeeklyReview.objects.order_by("pk").values_list("status", "what_happened", "answer")) == statuses


# -- pay (demo/pay.py) ---------------------------------------------------------------------------------
#
# Rules for every staff template, the last whole month (January) closed and paid for the network but the
# unit manager's other outlets, and a seed on a later day that keeps what was paid.


def test_every_staff_template_has_a_pay_rule_in_the_seeds_words(demo):
    rules = {rule.template_code: rule for rule in PayRule.objects.all()}

    assert set(rules) == {
        "STAFF-TELLER",
        "STAFF-WEALTH-MANAGER",
        "STAFF-CUSTOMER-MANAGER",
        "STAFF-MARKET-MANAGER",
        "STAFF-LOBBY-MANAGER",
        "STAFF-SERVICE-SPECIALIST",
    }
    assert all(rule.note.startswith("每分") for rule in rules.values())
    assert rules["STAFF-TELLER"].piece_rates.get().metric.code == "mobile_banking_signups"


def test_january_is_closed_and_the_teller_and_the_outlet_heads_outlet_are_paid(demo):
    teller = persona(Role.STAFF)

    assert MonthClose.objects.closed(JANUARY).exists()
    sheet = PaySheet.objects.get(month=JANUARY, staff__user=teller)
    assert sheet.unit == persona(Role.OUTLET_HEAD).unit
    assert sheet.lines.filter(kind=LineKind.POINTS).exists()
    assert "Pay: 6 rules written" in demo


def test_the_unit_managers_other_outlets_wait_as_a_preview_for_their_close(demo):
    manager = persona(Role.UNIT_MANAGER)

    pay = unit_month_pay(unit=manager.unit, month=JANUARY)

    assert pay.kpi_closed and pay.stored and pay.previews
    assert {sheet.unit_id for sheet in pay.stored} == {persona(Role.OUTLET_HEAD).unit_id}


def test_each_pool_adds_up_to_its_amount_over_stored_sheets_and_previews(demo):
    manager = persona(Role.UNIT_MANAGER)
    pay = unit_month_pay(unit=manager.unit, month=JANUARY)
    shared: dict[str, Decimal] = defaultdict(Decimal)
    sharing: dict[str, int] = {}

    for sheet in pay.sheets:
        for line in sheet.line_list:
            if line.kind == LineKind.POOL:
                shared[line.basis["unit"]] += line.amount
                sharing[line.basis["unit"]] = line.basis["sharing"]

    pools = {pool.unit.code: pool.amount for pool in TeamPool.objects.filter(month=JANUARY).select_related("unit")}
    # Nine days of January make low scores: at an outlet where nobody reaches 60 nobody shares its pool.
    assert shared == {code: amount if sharing[code] else Decimal(0) for code, amount in pools.items()}
    assert sum(1 for people in sharing.values() if people) >= 2


def test_a_seed_on_the_next_day_keeps_what_was_paid(demo):
    paid = dict(PaySheet.objects.values_list("staff__code", "total"))

    out = seed(datetime.date(2026, 2, 6))

    assert MonthClose.objects.closed(JANUARY).exists()
    assert dict(PaySheet.objects.values_list("staff__code", "total")) == paid
    assert not PaySheetLine.objects.filter(kind=LineKind.CARRY_OVER).exists()
    assert "Pay: 0 rules written, 0 pools; months closed: 2026-01" in out


# -- credit sharing (分润, demo/credit.py) -------------------------------------------------------------
#
# HQ's rules, the outlets' adjustments and sales shared through the fact import, credited in the staff
# scorecards; a second run writes nothing.


def test_hq_has_its_rules_and_the_outlet_head_has_adjusted_hers_in_her_name(demo):
    # demo.credit's rules of sales, and the points ledger's one (demo.ledger: a teller's 转介理财 shared 70/30
    # with the wealth manager), which the ledger seeds with its items.
    # The referral deals' split rules are demo.territories' (issue 18), not demo.credit's.
    assert CreditSplitRule.objects.exclude(metric__code__in=("ledger_points", "referral_deals")).count() == len(
        demo_credit.RULES
    )
    assert CreditSplitRule.objects.filter(metric__code="ledger_points").count() == 1
    wealth = CreditSplitRule.objects.get(
        metric__code="wealth_sales", owner_post__code="wealth_manager", partner_post__code="teller"
    )
    assert (wealth.share, wealth.min_share, wealth.max_share) == (Decimal(30), Decimal(20), Decimal(40))
    head = User.objects.get(username="outlet_head")
    assert CreditSplitAdjustment.objects.get(outlet=head.unit, rule=wealth).share == Decimal(35)
    change = CreditSplitAdjustmentChange.objects.get(outlet=head.unit, rule=wealth)
    assert (change.old_share, change.new_share, change.changed_by) == (None, Decimal(35), head)
    assert CreditSplitAdjustment.objects.count() == 2


def test_shared_sales_are_in_the_managers_sub_branch_at_the_rules_shares(demo):
    manager = User.objects.get(username="unit_manager")
    splits = list(CreditSplit.objects.select_related("fact__unit", "fact__metric"))
    assert splits, "no sale was shared"
    assert all(split.fact.unit.path.startswith(manager.unit.path) for split in splits)
    head_outlet = User.objects.get(username="outlet_head").unit
    for split in splits:
        if split.fact.unit == head_outlet and split.fact.metric.code == "wealth_sales":
            assert split.share in (Decimal(35), Decimal(20))  # the teller's adjusted 35 %, the lobby's 20 %


def test_a_partners_month_scorecard_holds_the_parts_shared_with_them(demo):
    # The partner's January month-to-date line of a metric holds at least the exact parts of the sales
    # shared with them in January (their own sales come on top).
    january = parse_period("2026-01")
    split = (
        CreditSplit.objects.filter(fact__date__range=(january.start, january.end))
        .select_related("fact__metric")
        .order_by("pk")
        .first()
    )
    assert split is not None
    shared = CreditSplit.objects.filter(
        partner=split.partner, fact__metric=split.fact.metric, fact__date__range=(january.start, january.end)
    ).select_related("fact")
    parts = sum((split_exactly(s.fact.value, s.share)[1] for s in shared), Decimal(0))
    cards = Scorecard.objects.published(on=january.end).filter(period="month", staff=split.partner)
    line = ScorecardLine.objects.get(scorecard__in=cards, metric=split.fact.metric)
    assert line.actual >= parts > 0


def test_seeding_the_credit_again_writes_nothing(demo):
    before = (CreditSplitRule.objects.count(), CreditSplitAdjustmentChange.objects.count(), CreditSplit.objects.count())
    again = demo_credit.seed_credit(seed=DEFAULT_SEED, window=demo_facts.window(end=END, days=14))
    assert (again.rules, again.adjustments, again.shared) == (0, 0, 0)
    assert before == (
        CreditSplitRule.objects.count(),
        CreditSplitAdjustmentChange.objects.count(),
        CreditSplit.objects.count(),
    )


# -- meetings (demo/meetings.py, issue 17) -------------------------------------------------------------
#
# The meeting pages are alive for the demo logins. The morning sheets are those of the last five weekdays
# rolled up (Friday 30 January, then 2 to 5 February); the unit manager's sub-branch held its Monday
# meetings on 26 January and 2 February.

MONDAY = datetime.date(2026, 2, 2)
MORNINGS = [datetime.date(2026, 1, 30), *(datetime.date(2026, 2, day) for day in (2, 3, 4, 5))]


def test_the_demo_logins_find_sheets_goals_against_actuals_and_the_monday_meetings_items(demo, client):
    outlet_head = User.objects.get(username="outlet_head")
    unit_manager = User.objects.get(username="unit_manager")
    outlet = outlet_head.unit
    assert "Meetings:" in demo

    # Five morning sheets, each with attendance, a topic, a decision and goals of the people measured.
    mornings = Meeting.objects.filter(unit=outlet, kind="morning").order_by("date")
    assert [meeting.date for meeting in mornings] == MORNINGS
    for meeting in mornings:
        assert meeting.attendance.exists() and meeting.topics.exists() and meeting.decisions
    assert Goal.objects.filter(meeting__unit=outlet).count() >= 5
    assert Topic.objects.filter(kind__in=("script", "product", "case")).exists()
    # The 夕会 of the last day: its goals beside the day's actuals, some met and some not across the outlets.
    evening = evening_sheet(unit=outlet, day=END, scope=scope_for_user(outlet_head))
    assert evening.published and evening.goals >= 1
    assert all(each.actual is not None for person in evening.people for each in person.goals)

    # The sub-branch's Monday meetings: last week's overdue item for the outlet head, this week's linked
    # to her plan (一点一策) and to an open alert.
    items = ActionItem.objects.filter(meeting__unit=unit_manager.unit)
    overdue = items.filter(status="open", owner=outlet_head, due__lt=datetime.date.today())
    assert overdue.exists()
    assert items.filter(meeting__date=MONDAY, link_kind="improvement_plan").exists()
    assert items.filter(meeting__date=MONDAY, link_kind="alert").exists()
    assert items.filter(status="done").exists()
    assert badge_count(outlet_head) >= overdue.count()
    assert ActionItem.objects.filter(owner__username="teller").exists()

    pages = {
        "outlet_head": [
            f"/meetings/{outlet.code}/morning/?date={END}",
            f"/meetings/{outlet.code}/evening/?date={END}",
            f"/meetings/{outlet.code}/weekly/?week={MONDAY}",
            "/meetings/actions/",
            "/scorecard/",
        ],
        "unit_manager": ["/meetings/", f"/meetings/{unit_manager.unit.code}/weekly/?week={MONDAY}"],
        "hq_admin": ["/meetings/", f"/meetings/{outlet.code}/morning/?date={END}"],
        "auditor": [f"/meetings/{unit_manager.unit.code}/weekly/?week={MONDAY}"],
        "teller": ["/meetings/actions/"],
    }
    for username, urls in pages.items():
        client.force_login(User.objects.get(username=username))
        for url in urls:
            assert client.get(url).status_code == 200, (username, url)
    client.force_login(outlet_head)
    assert "action-overdue" in client.get("/meetings/actions/").content.decode()


def test_seeding_the_meetings_again_writes_nothing(demo):
    counts = (Meeting.objects.count(), Goal.objects.count(), ActionItem.objects.count())

    again = demo_meetings.seed_meetings(seed=2026, end=END)
    linked = demo_meetings.link_alert_items(end=END)

    assert (again.mornings, again.goals, again.weekly, again.items) == (0, 0, 0, 0)
    assert "is there" in linked
    assert (Meeting.objects.count(), Goal.objects.count(), ActionItem.objects.count()) == counts
