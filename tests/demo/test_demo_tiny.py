"""The tiny demo of tests/demo/test_demo_facts.py (four outlets, ten days of facts to Tuesday 20 January
2026, all rolled up), seeded once for the module (tests/shared_data.py): its scorecards after the rollup,
a second run and a run two days later, its customers tiered month by month (demo/customers.py), and what
seed_demo makes of them after the facts: its target plans (demo/plans.py, issue 15), its push
(demo/push.py, issue 17) and its campaigns (demo/campaigns.py, issue 20); and how the plain run went (a
line per step, issue 14; a second run).

Seeding it costs most of the module's time, so its tests share one seed instead of seeding it each (the
tests of the customers, of the plain run and of seeding again were in tests/demo/test_demo_customers.py,
test_seed_demo_runs.py and test_demo_facts.py, each class with a seed of its own, 7-12 s a seed: the
same command, or five days instead of ten); a test that seeds again (`--force`, or on a later day) does
it in a savepoint of its own, undone before the next test, so the tests stay independent of their order.
"""

from __future__ import annotations

import datetime
import io
import re
from collections import Counter
from decimal import Decimal
from typing import NamedTuple
from unittest import mock

import pytest
from django.core.management import call_command
from django.db.models import Max, Sum
from django.urls import reverse

from branches.models import OrgUnit, UnitKind
from campaigns.models import Campaign, CampaignScore, GiftRecord, MaterialKind
from campaigns.selectors import campaigns_visible
from customers.models import Customer, CustomerMonth, Snapshot, TieringRun, TierMigration
from customers.services.tiering import month_end
from demo.models import SeedStamp
from kpi.models import Fact, IngestBatch, RollupRun, Scorecard, ScorecardLine, Target
from lib.periods import PeriodKind
from notify import credentials, senders
from notify.models import Channel, ChannelKind, Delivery, DeliveryKind, DeliveryStatus
from plans.models import AcknowledgementStatus, Plan, PlanCell, PlanStatus
from staff.access import scope_for_user
from staff.models import Assignment, Role, User
from tests.shared_data import as_in_a_test, shared_data

pytestmark = pytest.mark.django_db

END = datetime.date(2026, 1, 20)
FIRST = datetime.date(2026, 1, 11)
# The customers' months: the three that ended by END (tests/demo/test_demo_customers.py).
MONTHS = [datetime.date(2025, month, 1) for month in (10, 11, 12)]
# The default scheme's premium tiers (三星及以上).
PREMIUM_TIERS = ("star3", "star4", "star5", "private")


@pytest.fixture(autouse=True)
def _keep_daily_scorecards(settings):
    """For the tests that seed again: the window lies in January 2026, perhaps long before today."""
    settings.SCORECARD_RETENTION_DAYS = 100_000


class Printed(NamedTuple):
    out: str
    err: str  # the progress lines


def seed(*flags: str, end: datetime.date = END) -> Printed:
    """seed_demo on the tiny network as the command line would run it."""
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", "--outlets=4", "--days=10", f"--end={end}", *flags, stdout=out, stderr=err)
    return Printed(out.getvalue(), err.getvalue())


def fact_snapshot() -> dict[tuple, Decimal]:
    rows = Fact.objects.values_list("date", "unit__code", "staff__code", "metric__code", "value")
    return {(day, unit, staff, metric): value for day, unit, staff, metric, value in rows}


def target_snapshot() -> dict[tuple, Decimal]:
    rows = Target.objects.values_list("period", "unit__code", "staff__code", "metric__code", "value")
    return {(period, unit, staff, metric): value for period, unit, staff, metric, value in rows}


class Seeded(NamedTuple):
    output: str  # what seed_demo printed
    errors: str  # what it wrote to stderr: its progress lines
    send: mock.MagicMock  # notify's sender, watched while it seeded (the real one, called through)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Seeded:
    """The tiny demo seeded once for the module."""
    with shared_data(django_db_blocker):
        with (
            as_in_a_test(SCORECARD_RETENTION_DAYS=100_000),
            mock.patch("notify.senders.send", wraps=senders.send) as send,
        ):
            output, errors = seed()
        yield Seeded(output, errors, send)


# -- the rollup (demo/facts.py) ------------------------------------------------------------------------


def test_after_the_rollup_an_outlet_has_a_month_scorecard_with_targets_and_statuses(demo):
    outlet = OrgUnit.objects.get(code="LY0101")
    month = Scorecard.objects.published().get(unit=outlet, period=PeriodKind.MONTH, date=END)
    lines = ScorecardLine.objects.filter(scorecard=month).exclude(target=None)
    assert lines.count() >= 15
    assert set(lines.values_list("status", flat=True)) <= {"green", "amber", "red"}
    # Some outlets do well and some do not: across the network's month lines every colour shows.
    cards = Scorecard.objects.published().filter(date=END, period=PeriodKind.MONTH, unit__kind=UnitKind.OUTLET)
    statuses = set(ScorecardLine.objects.filter(scorecard__in=cards).values_list("status", flat=True))
    assert {"green", "amber", "red"} <= statuses
    # The year's net change has its opening balance (the last weekday of 2025), so it is growth, not
    # the whole balance; the year's flows include the days before the window.
    year = Scorecard.objects.published().get(unit=outlet, period=PeriodKind.YEAR, date=END)
    growth = ScorecardLine.objects.get(scorecard=year, metric__code="deposit_growth")
    balance = ScorecardLine.objects.get(scorecard=year, metric__code="deposit_balance")
    assert 0 < growth.actual < balance.actual / 20
    signups = ScorecardLine.objects.get(scorecard=year, metric__code="mobile_banking_signups")
    facts = Fact.objects.filter(unit=outlet, staff=None, metric__code="mobile_banking_signups")
    assert facts.filter(date__lt=FIRST).exists()
    assert signups.actual == sum(facts.values_list("value", flat=True))


# -- seeding again (demo/facts.py) ----------------------------------------------------------------------


def test_a_second_run_changes_nothing_and_rolls_nothing_up(demo):
    facts, targets = fact_snapshot(), target_snapshot()
    batches = IngestBatch.objects.count()
    runs = RollupRun.objects.count()

    # --force goes through it all again (without it the run finds the demo seeded and writes nothing:
    # test_a_second_run_with_the_same_options_finds_the_demo_seeded_and_writes_nothing below).
    output, _err = seed("--force")

    assert fact_snapshot() == facts
    assert target_snapshot() == targets
    again = IngestBatch.objects.order_by("pk")[batches:]
    assert again and all(batch.created == 0 and batch.updated == 0 for batch in again)
    assert RollupRun.objects.count() == runs
    assert "Rolled up: nothing" in output


def test_seeding_two_days_later_adds_those_days_and_rolls_up_only_them(demo):
    before = fact_snapshot()
    runs = RollupRun.objects.count()

    output, _err = seed(end=datetime.date(2026, 1, 22))

    after = fact_snapshot()
    assert {key: after[key] for key in before} == before
    assert {key[0] for key in after.keys() - before.keys()} == {
        datetime.date(2026, 1, 21),
        datetime.date(2026, 1, 22),
    }
    assert RollupRun.objects.count() == runs + 2
    assert "Rolled up: 2 days (2026-01-21 – 2026-01-22)" in output


# -- customers (demo/customers.py) ---------------------------------------------------------------------


def test_seed_demo_writes_customers_of_outlets_tiers_for_every_month_and_migrations(demo):
    output = demo.output

    customers = Customer.objects.select_related("home_outlet", "relationship_manager")
    assert {customer.home_outlet.kind for customer in customers} == {UnitKind.OUTLET}
    # Managers are customer or wealth managers of the customer's own outlet.
    posts = {
        (staff, unit): post for staff, unit, post in Assignment.objects.values_list("staff_id", "unit_id", "post__code")
    }
    managed = [customer for customer in customers if customer.relationship_manager_id]
    assert managed
    assert {posts[customer.relationship_manager_id, customer.home_outlet_id] for customer in managed} <= {
        "customer_manager",
        "wealth_manager",
    }
    assert sorted(set(Snapshot.objects.values_list("month", flat=True))) == MONTHS
    for month in MONTHS:
        assert CustomerMonth.objects.filter(month=month).count() == Snapshot.objects.filter(month=month).count()
        assert TieringRun.objects.filter(month=month, status="done").count() == 1
    movements = Counter(
        row.movement for row in TierMigration.objects.filter(month=MONTHS[-1]) for _ in range(row.customers)
    )
    assert movements["same"] > movements["up"] > 0 and movements["down"] > 0
    assert movements["new"] > 0 and movements["lost"] > 0
    tiers = Counter(CustomerMonth.objects.filter(month=MONTHS[-1]).values_list("tier_code", flat=True))
    # Most customers are 一星 or 二星.
    assert tiers["star1"] + tiers["star2"] > 0.6 * sum(tiers.values())
    assert "Tiered: 2025-10, 2025-11, 2025-12" in output


def test_the_facts_premium_customers_are_the_tiered_customers_at_every_month_end(demo):
    """Issue 14: the demo's premium_customers facts are counted from its customers, so the tiering of each
    month finds them already written (unchanged), outlet by outlet and manager by manager; the tier
    counts add up to the customers tiered."""

    for month in MONTHS:
        day = month_end(month)
        premium = CustomerMonth.objects.filter(month=month, tier_code__in=PREMIUM_TIERS)
        tiered = Counter(premium.values_list("outlet__code", flat=True))
        managed = Counter(
            premium.exclude(relationship_manager=None).values_list("outlet__code", "relationship_manager__code")
        )
        facts = Fact.objects.filter(date=day, metric__code="premium_customers")
        outlets = {
            unit: value for unit, staff, value in facts.values_list("unit__code", "staff__code", "value") if not staff
        }
        staff = {
            (unit, member): value
            for unit, member, value in facts.exclude(staff=None).values_list("unit__code", "staff__code", "value")
        }
        assert set(outlets) == {"LY0101", "LY0102", "LY0103", "LY0104"}, month
        assert outlets == {code: tiered[code] for code in outlets}, month
        assert staff and staff == {key: managed[key] for key in staff}, month
        assert sum(outlets.values()) > 4 * 20  # dozens an outlet, not thousands: the customers'
    # The tiering of December and November found the facts the demo had written for their ends.
    for batch in IngestBatch.objects.filter(source=IngestBatch.Source.TIERING, label__in=["2025-12"]):
        assert batch.updated == 0 and batch.unchanged > 0
    day = month_end(MONTHS[-1])
    counted = Fact.objects.filter(date=day, unit__code="LY0101", staff=None, metric__code__startswith="customers_")
    assert (
        sum(counted.values_list("value", flat=True), Decimal(0))
        == CustomerMonth.objects.filter(month=MONTHS[-1], outlet__code="LY0101").count()
    )


def test_a_second_run_writes_nothing_and_tiers_nothing(demo):
    customers = list(Customer.objects.order_by("code").values_list("code", "name", "id_number", "groups"))
    runs, batches = TieringRun.objects.count(), IngestBatch.objects.count()

    output, _err = seed("--force")  # through it all again, not skipped as already seeded

    assert list(Customer.objects.order_by("code").values_list("code", "name", "id_number", "groups")) == customers
    assert TieringRun.objects.count() == runs
    assert all(batch.created == 0 and batch.updated == 0 for batch in IngestBatch.objects.order_by("pk")[batches:])
    assert "Tiered: nothing (unchanged)" in output


# -- target plans (demo/plans.py, issue 15) ------------------------------------------------------------


def test_hq_has_next_years_deposit_plan_as_a_draft_down_to_the_outlets_with_a_strong_first_quarter(demo):
    plan = Plan.objects.get(name="2027 年度存款计划")
    assert plan.status == PlanStatus.DRAFT and plan.unit.parent_id is None and plan.period == "2027"
    cells = PlanCell.objects.filter(plan=plan, period="2027", metric__code="deposit_growth")
    assert {cell.unit.kind for cell in cells} == {"hq", "branch", "sub_branch", "outlet"}
    months = dict(
        PlanCell.objects.filter(
            plan=plan, unit=plan.unit, period_kind="month", metric__code="deposit_growth"
        ).values_list("period", "value")
    )
    year = cells.get(unit=plan.unit).value
    assert sum(months.values()) == year
    assert months["2027-01"] > months["2027-06"] > months["2027-12"]


def test_the_unit_managers_coming_week_is_published_and_waits_for_the_demo_outlet_head(demo):
    output = demo.output
    manager = User.objects.get(role=Role.UNIT_MANAGER)
    head = User.objects.get(username="outlet_head")  # the demo login (the heads of its sub-branch have logins too)
    # Seeded to Tuesday 20 January: this week is 2026-W04 (the demo's own targets), the coming one W05.
    plan = Plan.objects.get(unit=manager.unit, period="2026-W05")
    assert plan.status == PlanStatus.PUBLISHED and plan.published_by == manager
    assert "周发展目标" in plan.name and "published" in output

    answers = dict(plan.acknowledgements.values_list("unit__code", "status"))
    assert answers[head.unit.code] == AcknowledgementStatus.PENDING
    assert list(answers.values()).count(AcknowledgementStatus.REVIEW) == 1
    assert AcknowledgementStatus.ACKNOWLEDGED in answers.values()

    # Prefilled from the month's pace as of the 20th, published as the outlets' targets of the week.
    cell = PlanCell.objects.get(plan=plan, unit=head.unit, metric__code="mobile_banking_signups")
    assert cell.basis == "pace:2026-01-20" and cell.value is not None
    target = Target.objects.get(unit=head.unit, metric__code="mobile_banking_signups", period="2026-W05")
    assert target.value == cell.value
    assert target.changes.get().source == "plan"


def test_seeding_again_makes_no_second_plan(demo):
    seed("--force")
    assert Plan.objects.count() == 2


# -- push (demo/push.py, issue 17) ---------------------------------------------------------------------


def test_hq_and_the_unit_managers_sub_branch_have_a_robot_each_and_an_e_mail_list(demo):
    output = demo.output

    manager = User.objects.get(role=Role.UNIT_MANAGER)
    channels = {(channel.unit.code, channel.kind) for channel in Channel.objects.select_related("unit")}
    head_office = Channel.objects.get(kind=ChannelKind.WECOM).unit
    assert head_office.parent_id is None
    assert channels == {
        (head_office.code, ChannelKind.WECOM),
        (manager.unit.code, ChannelKind.DINGTALK),
        (manager.unit.code, ChannelKind.EMAIL),
    }
    assert "Push: 3 channels" in output


def test_the_demos_robots_point_at_addresses_that_never_resolve_and_their_secrets_are_sealed(demo):
    for channel in Channel.objects.exclude(kind=ChannelKind.EMAIL):
        assert channel.webhook.startswith("fernet:")
        assert ".example.invalid/" in credentials.unseal(channel.webhook)
    assert credentials.unseal(Channel.objects.get(kind=ChannelKind.DINGTALK).secret).startswith("SEC")


def test_the_last_three_days_have_deliveries_the_robots_failed_and_the_e_mails_sent(demo):
    days = sorted(set(Delivery.objects.filter(kind=DeliveryKind.DAILY).values_list("day", flat=True)))
    assert days == [datetime.date(2026, 1, 18), datetime.date(2026, 1, 19), END]
    by_kind = {
        kind: set(Delivery.objects.filter(channel__kind=kind, kind=DeliveryKind.DAILY).values_list("status", flat=True))
        for kind in ChannelKind.values
    }
    assert by_kind == {
        ChannelKind.WECOM: {DeliveryStatus.FAILED},
        ChannelKind.DINGTALK: {DeliveryStatus.FAILED},
        ChannelKind.EMAIL: {DeliveryStatus.SENT},
    }
    assert Delivery.objects.filter(kind=DeliveryKind.TEST).count() == 1


def test_seeding_sends_nothing_and_again_writes_nothing_more(demo):
    sent_while_seeding = demo.send
    count = Delivery.objects.count()
    with mock.patch("notify.senders.send") as send:
        seed("--force")

    sent_while_seeding.assert_not_called()
    send.assert_not_called()
    assert Delivery.objects.count() == count == 3 * 3 + 1
    assert Channel.objects.count() == 3


# -- campaigns (demo/campaigns.py, issue 20) -----------------------------------------------------------


def test_the_demo_runs_a_deposits_campaign_with_scripts_a_finished_opening_and_a_gift_campaign(demo, client):
    output = demo.output

    campaigns = {campaign.code: campaign for campaign in Campaign.objects.all()}
    deposits, opening, gifts = campaigns["other_bank_push"], campaigns["opening_push"], campaigns["points_gifts"]
    today = END + datetime.timedelta(days=1)
    assert deposits.start <= today <= deposits.end and gifts.start <= today <= gifts.end
    assert opening.end < today
    assert deposits.materials.filter(kind=MaterialKind.SCRIPT).count() == 3
    assert CampaignScore.objects.filter(campaign=deposits).exists()
    # The gift ledger keeps within its budget and each customer within the limit.
    assert GiftRecord.objects.filter(campaign=gifts).exists()
    assert GiftRecord.objects.aggregate(total=Sum("value"))["total"] <= gifts.gift_budget
    per_customer = GiftRecord.objects.values("customer_code").annotate(total=Sum("value"))
    assert per_customer.aggregate(most=Max("total"))["most"] <= gifts.gift_limit_per_customer
    assert "Campaigns: 3" in output
    # Every demo login sees the running campaigns, and their pages open.
    for user in User.objects.filter(username__in=["hq_admin", "unit_manager", "outlet_head", "teller", "auditor"]):
        visible = set(campaigns_visible(scope_for_user(user)).values_list("code", flat=True))
        assert {"other_bank_push", "points_gifts"} <= visible, user.username
        client.force_login(user)
        assert client.get(reverse("campaigns:list")).status_code == 200
        assert client.get(reverse("campaigns:detail", args=["other_bank_push"])).status_code == 200
        assert client.get(reverse("campaigns:gifts", args=["points_gifts"])).status_code == 200


def test_seeding_again_adds_no_gift_and_computes_the_same_scores(demo):
    gifts = GiftRecord.objects.count()
    scores = CampaignScore.objects.aggregate(total=Sum("bonus"), rows=Sum(1))

    seed("--force")

    assert GiftRecord.objects.count() == gifts
    assert CampaignScore.objects.aggregate(total=Sum("bonus"), rows=Sum(1)) == scores


# -- how the plain run went (issue 14; the recent-first run: tests/demo/test_seed_demo_runs.py) ------------


def test_without_a_terminal_each_step_writes_one_line_with_its_count_and_times(demo):
    err = demo.errors

    took = r"in \d+\.\d s, CPU \d+\.\d s \(\d+\.\d s in all\)"
    for step in (
        r"network: 5 steps \(plan, units, staff, peer groups, personas\)",
        r"targets: \d+ targets",
        r"history: \d+ facts",
        r"facts: 10 days",
        r"customers: 3 months",
        r"rollup: 10 days",
        r"alerts: 10 days",
    ):
        assert re.search(rf"^seed_demo: {step} {took}$", err, re.MULTILINE), step
    # No bar redraws: nothing but the step lines.
    assert all(line.startswith("seed_demo: ") for line in err.splitlines())


def test_a_second_run_with_the_same_options_finds_the_demo_seeded_and_writes_nothing(demo):
    batches, runs = IngestBatch.objects.count(), RollupRun.objects.count()

    out, err = seed()

    assert IngestBatch.objects.count() == batches
    assert RollupRun.objects.count() == runs
    assert "The demo is already seeded with these options (seed 2026, 4 outlets, 10 days to 2026-01-20)" in out
    assert out.count("Demo logins:") == 1
    assert err == ""


def test_other_options_seed_again_and_leave_one_stamp(demo):
    seed("--days=5")

    stamp = SeedStamp.objects.get()
    assert stamp.options["days"] == 5
    assert stamp.complete


def test_seed_demo_prints_its_territories_and_its_outreach_lists_once_each(demo):
    """The summary's line of each seeded part once: the territories and the outreach lists were once kept in
    one list and printed twice."""
    lines = demo.output.splitlines()
    assert sum(line.startswith("Territories: ") for line in lines) == 1
    assert sum(line.startswith("Outreach: ") for line in lines) == 1
