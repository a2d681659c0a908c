"""The tiny demo of tests/demo/test_demo_facts.py (four outlets, ten days of facts to Tuesday 20 January
2026, all rolled up), seeded once for the module (tests/shared_data.py): its scorecards after the rollup,
and what seed_demo makes of them after the facts: its target plans (demo/plans.py, issue 15), its push
(demo/push.py, issue 17) and its campaigns (demo/campaigns.py, issue 20).

Seeding it costs most of the module's time, so its tests share one seed instead of seeding it each; a
test that seeds again (`--force`) does it in a savepoint of its own, undone before the next test, so the
tests stay independent of their order.
"""

from __future__ import annotations

import datetime
import io
from typing import NamedTuple
from unittest import mock

import pytest
from django.core.management import call_command
from django.db.models import Max, Sum
from django.urls import reverse

from branches.models import OrgUnit, UnitKind
from campaigns.models import Campaign, CampaignScore, GiftRecord, MaterialKind
from campaigns.selectors import campaigns_visible
from kpi.models import Fact, Scorecard, ScorecardLine, Target
from lib.periods import PeriodKind
from notify import credentials, senders
from notify.models import Channel, ChannelKind, Delivery, DeliveryKind, DeliveryStatus
from plans.models import AcknowledgementStatus, Plan, PlanCell, PlanStatus
from staff.access import scope_for_user
from staff.models import Role, User
from tests.shared_data import as_in_a_test, shared_data

pytestmark = pytest.mark.django_db

END = datetime.date(2026, 1, 20)
FIRST = datetime.date(2026, 1, 11)


@pytest.fixture(autouse=True)
def _keep_daily_scorecards(settings):
    """For the tests that seed again: the window lies in January 2026, perhaps long before today."""
    settings.SCORECARD_RETENTION_DAYS = 100_000


def seed(*flags: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--outlets=4", "--days=10", f"--end={END}", *flags, stdout=out, stderr=io.StringIO())
    return out.getvalue()


class Seeded(NamedTuple):
    output: str  # what seed_demo printed
    send: mock.MagicMock  # notify's sender, watched while it seeded (the real one, called through)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Seeded:
    """The tiny demo seeded once for the module."""
    with shared_data(django_db_blocker):
        with (
            as_in_a_test(SCORECARD_RETENTION_DAYS=100_000),
            mock.patch("notify.senders.send", wraps=senders.send) as send,
        ):
            output = seed()
        yield Seeded(output, send)


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
    output, _send = demo
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
    output, _send = demo

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
    _output, sent_while_seeding = demo
    count = Delivery.objects.count()
    with mock.patch("notify.senders.send") as send:
        seed("--force")

    sent_while_seeding.assert_not_called()
    send.assert_not_called()
    assert Delivery.objects.count() == count == 3 * 3 + 1
    assert Channel.objects.count() == 3


# -- campaigns (demo/campaigns.py, issue 20) -----------------------------------------------------------


def test_the_demo_runs_a_deposits_campaign_with_scripts_a_finished_opening_and_a_gift_campaign(demo, client):
    output, _send = demo

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
