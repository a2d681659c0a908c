"""Shared entries (分润, issue 16): an entry naming a partner colleague splits its points by HQ's standing rule
(kpi.services.credit.share_for), exactly (split_exactly), and both people's facts get their part.

The rule: 台账积分 between the teller (owner) and the wealth manager (partner), 30 % to the partner, as
理财 is split 70/30 between the wealth manager and the referring teller in the seeds.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kpi.models import CreditSplitRule, Fact
from ledger.models import LedgerEntry
from ledger.services import Action, entries_decide, entry_create
from staff.models import Post
from tests.ledger.conftest import scope_of
from tests.ledger.factories import LedgerItemFactory, card_item, discipline_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule(ledger_metric) -> CreditSplitRule:
    return CreditSplitRule.objects.create(
        metric=ledger_metric,
        owner_post=Post.objects.get(code="teller"),
        partner_post=Post.objects.get(code="wealth_manager"),
        share=Decimal(30),
        min_share=Decimal(20),
        max_share=Decimal(40),
        effective_from=datetime.date(2026, 1, 1),
    )


def _record(user, item, day, quantity, **kwargs) -> LedgerEntry:
    return entry_create(scope=scope_of(user), user=user, item=item, day=day, quantity=quantity, **kwargs)


def _fact(staff, day, metric) -> Decimal | None:
    fact = Fact.objects.filter(staff=staff, date=day, metric=metric).first()
    return None if fact is None else fact.value


def test_a_shared_entry_splits_its_points_exactly_and_both_facts_get_their_part(
    rule, teller, outlet_head, teller_staff, wealth_manager, ledger_metric, yesterday
):
    referral = LedgerItemFactory(code="wealth_referral", name_zh="转介理财", points_per_unit=Decimal("2.5"))
    entry = _record(teller, referral, yesterday, 3, partner=wealth_manager)

    # 3 × 2.5 = 7.5 points; 30 % to 王强: 2.25, 黄丽娟 keeps 5.25; 5.25 + 2.25 = 7.5.
    assert (entry.points, entry.own_points, entry.partner_points, entry.partner_share) == (
        Decimal("7.5"),
        Decimal("5.25"),
        Decimal("2.25"),
        Decimal(30),
    )
    entries_decide(scope=scope_of(outlet_head), user=outlet_head, entry_ids=[entry.pk], action=Action.APPROVE)

    assert _fact(teller_staff, yesterday, ledger_metric) == Decimal("5.25")
    assert _fact(wealth_manager, yesterday, ledger_metric) == Decimal("2.25")
    entry.refresh_from_db()
    assert entry.partner_fact == Fact.objects.get(staff=wealth_manager, date=yesterday, metric=ledger_metric)


def test_a_partners_own_entries_and_their_part_add_up_in_one_fact(
    rule, teller, outlet_head, teller_staff, wealth_manager, ledger_metric, yesterday
):
    from tests.factories import UserFactory

    wealth_manager.user = UserFactory(username="wang.qiang", role="staff")
    wealth_manager.save()
    shared = _record(teller, card_item(), yesterday, 1, customer_code="C1", partner=wealth_manager)
    own = _record(wealth_manager.user, card_item(), yesterday, 2, customer_code="C2")
    entries_decide(scope=scope_of(outlet_head), user=outlet_head, entry_ids=[shared.pk, own.pk], action=Action.APPROVE)

    # 王强: his own 2 × 2.5 = 5, and 30 % of 黄丽娟's 2.5 = 0.75: 5.75. 黄丽娟: 2.5 − 0.75 = 1.75.
    assert _fact(wealth_manager, yesterday, ledger_metric) == Decimal("5.75")
    assert _fact(teller_staff, yesterday, ledger_metric) == Decimal("1.75")

    entries_decide(scope=scope_of(outlet_head), user=outlet_head, entry_ids=[shared.pk], action=Action.WITHDRAW)
    assert _fact(wealth_manager, yesterday, ledger_metric) == Decimal(5)
    assert _fact(teller_staff, yesterday, ledger_metric) == Decimal(0)


def test_a_split_of_an_odd_amount_still_adds_up(rule, teller, wealth_manager, ledger_metric, yesterday):
    item = LedgerItemFactory(code="odd", points_per_unit=Decimal("0.01"))
    entry = _record(teller, item, yesterday, 7, partner=wealth_manager)
    # 7 × 0.01 = 0.07; 30 % = 0.021 → partner 0.0210, owner 0.0490.
    assert (entry.own_points, entry.partner_points) == (Decimal("0.049"), Decimal("0.021"))
    assert entry.own_points + entry.partner_points == entry.points


def test_a_partner_without_a_rule_is_refused_and_nothing_is_written(teller, wealth_manager, ledger_metric, yesterday):
    with pytest.raises(ValidationError) as refused:
        _record(teller, card_item(), yesterday, 1, customer_code="C1", partner=wealth_manager)
    assert "分润" in refused.value.message_dict["partner"][0]
    assert not LedgerEntry.objects.exists()


def test_a_partner_of_another_outlet_is_refused(rule, teller, neighbour, ledger_metric, yesterday):
    with pytest.raises(ValidationError) as refused:
        _record(teller, card_item(), yesterday, 1, customer_code="C1", partner=neighbour)
    assert "same outlet" in refused.value.message_dict["partner"][0]


def test_a_deduction_is_not_shared(rule, outlet_head, teller_staff, wealth_manager, ledger_metric, yesterday):
    with pytest.raises(ValidationError) as refused:
        _record(outlet_head, discipline_item(), yesterday, 1, staff=teller_staff, note="迟到", partner=wealth_manager)
    assert "partner" in refused.value.message_dict


def test_the_partner_reads_the_shared_entry_with_their_part(
    client, rule, teller, outlet_head, wealth_manager, ledger_metric, yesterday
):
    from tests.factories import UserFactory

    wealth_manager.user = UserFactory(username="wang.qiang", role="staff")
    wealth_manager.save()
    entry = _record(teller, card_item(), yesterday, 2, customer_code="C1", partner=wealth_manager)
    entries_decide(scope=scope_of(outlet_head), user=outlet_head, entry_ids=[entry.pk], action=Action.APPROVE)

    client.force_login(wealth_manager.user)
    page = client.get("/ledger/entries/", {"date": yesterday.isoformat()}).content.decode()
    # His part of 2 × 2.5 = 5: 1.50 points.
    assert "1.50" in page and "5.00" not in page.split("ledger-entries", 1)[1]
