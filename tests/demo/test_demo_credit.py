"""The demo's credit sharing (分润, demo/credit.py): HQ's rules, the outlets' adjustments and sales shared
through the fact import, credited in the staff scorecards; a second run writes nothing.

The small seed of tests/demo/test_demo_coherence.py: twelve outlets, 23 January – 5 February 2026.
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from demo import credit as demo_credit
from demo import facts as demo_facts
from demo.network import DEFAULT_SEED
from kpi.models import (
    CreditSplit,
    CreditSplitAdjustment,
    CreditSplitAdjustmentChange,
    CreditSplitRule,
    Scorecard,
    ScorecardLine,
)
from kpi.services.credit import split_exactly
from lib.periods import parse_period
from staff.models import User

pytestmark = pytest.mark.django_db
END = datetime.date(2026, 2, 5)


@pytest.fixture(autouse=True)
def _keep_daily_scorecards(settings):
    settings.SCORECARD_RETENTION_DAYS = 100_000
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--outlets=12", "--days=14", f"--end={END}", stdout=out, stderr=io.StringIO())
    return out.getvalue()


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
