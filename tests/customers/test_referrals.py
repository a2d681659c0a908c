"""Referrals (转介 → 跟进 → 成交 / 未成交) and the facts they feed: counts by channel, deals credited to both
sides by HQ's standing split rule, the conversion rate (成交/转介), one source per outlet and day."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from customers.models import Referral, ReferralChannel, ReferralStatus
from customers.services.referrals import referral_advance, referral_create, referral_facts_sync
from kpi.models import CreditSplit, CreditSplitRule, Fact, IngestBatch, Scorecard, ScorecardLine
from kpi.services import rollup
from kpi.services.facts import facts_ingest
from lib.csvimport import CsvRow
from staff.access import scope_for_user
from tests.factories import AssignmentFactory, StaffMemberFactory, UserFactory, post
from tests.kpi.factories import metric

D = datetime.date
pytestmark = pytest.mark.django_db
TODAY = D(2026, 11, 5)
REFERRAL_DAY = D(2026, 11, 2)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def people(network, teller):
    """At GZ0101: 黄丽娟 (S1001, the teller persona), 李 (LI) the lobby manager, 王 (WANG) the wealth
    manager with a login; 孙 (SUN) a wealth manager at GZ0102."""
    staff = {"TELLER": teller.staff_member}
    for code, post_code, unit in [
        ("LI", "lobby_manager", "GZ0101"),
        ("WANG", "wealth_manager", "GZ0101"),
        ("SUN", "wealth_manager", "GZ0102"),
    ]:
        staff[code] = StaffMemberFactory(code=code)
        AssignmentFactory(staff=staff[code], post=post_code, unit=network[unit], start=D(2026, 1, 1))
    staff["WANG"].user = UserFactory(username="wang", role="staff")
    staff["WANG"].save()
    return staff


def refer(user, network, people, *, referrer=None, receiver="WANG", day=None, product="wealth"):
    return referral_create(
        scope=scope_for_user(user),
        user=user,
        outlet=network["GZ0101"],
        receiver=people[receiver],
        referrer=people[referrer] if referrer else None,
        product=product,
        day=day or REFERRAL_DAY,
        today=TODAY,
    )


def close(people, referral, status, day):
    user = people["WANG"].user
    return referral_advance(
        scope=scope_for_user(user), user=user, referral=referral, status=status, day=day, today=TODAY
    )


def fact(code, staff=None, day=None):
    found = Fact.objects.filter(date=day or REFERRAL_DAY, metric__code=code, unit__code="GZ0101", staff=staff).first()
    return None if found is None else found.value


def test_a_tellers_referral_counts_at_the_counter_and_a_lobby_managers_in_the_lobby(
    teller, outlet_head, network, people
):
    counter = refer(teller, network, people)
    lobby = refer(outlet_head, network, people, referrer="LI")
    assert (counter.channel, counter.referrer, counter.status) == (
        ReferralChannel.COUNTER,
        people["TELLER"],
        ReferralStatus.REFERRED,
    )
    assert lobby.channel == ReferralChannel.LOBBY


def test_a_referral_to_someone_who_is_no_wealth_or_customer_manager_there_writes_nothing(teller, network, people):
    with pytest.raises(ValidationError) as refused:
        refer(teller, network, people, receiver="SUN", product="jewels")
    assert "not a wealth or customer manager of this outlet" in refused.value.message_dict["receiver"][0]
    assert "product" in refused.value.message_dict
    assert not Referral.objects.exists()


def test_an_auditor_may_not_record_a_referral(auditor, network, people):
    with pytest.raises(PermissionDenied):
        refer(auditor, network, people, referrer="TELLER")


def test_an_outcome_is_final_and_only_the_receiver_or_the_outlet_head_moves_it_on(teller, network, people):
    referral = refer(teller, network, people)
    with pytest.raises(PermissionDenied):
        referral_advance(scope=scope_for_user(teller), user=teller, referral=referral, status="won", today=TODAY)
    close(people, referral, "following", None)
    close(people, referral, "won", D(2026, 11, 4))
    with pytest.raises(ValidationError):
        close(people, Referral.objects.get(), "lost", D(2026, 11, 4))
    assert Referral.objects.get().closed_on == D(2026, 11, 4)


def test_referral_counts_and_the_conversion_rate_worked_by_hand(teller, outlet_head, network, people):
    # 2 Nov: the teller refers 3 (counter), 李 refers 2 (lobby): 5 referrals.
    # Deals: two of the teller's on 3 Nov, one of 李's on 4 Nov; one of 李's is lost.
    # Conversion rate 2–4 Nov = 3 deals / 5 referrals = 60 %.
    mine = [refer(teller, network, people) for _ in range(3)]
    his = [refer(outlet_head, network, people, referrer="LI") for _ in range(2)]
    close(people, mine[0], "won", D(2026, 11, 3))
    close(people, mine[1], "won", D(2026, 11, 3))
    close(people, his[0], "won", D(2026, 11, 4))
    close(people, his[1], "lost", D(2026, 11, 4))

    referral_facts_sync(first=D(2026, 11, 1), last=D(2026, 11, 4))

    assert fact("counter_referrals") == 3
    assert fact("lobby_referrals") == 2
    assert fact("referrals_made") == 5
    assert fact("counter_referrals", people["TELLER"]) == 3
    assert fact("lobby_referrals", people["LI"]) == 2
    assert fact("referral_deals", day=D(2026, 11, 3)) == 2
    assert fact("referral_deals", people["WANG"], day=D(2026, 11, 3)) == 2
    assert fact("referral_deals", day=D(2026, 11, 4)) == 1
    rollup.rollup_range(first=D(2026, 11, 2), last=D(2026, 11, 4))
    card = Scorecard.objects.published().get(date=D(2026, 11, 4), period="month", unit__code="GZ0101", staff=None)
    line = ScorecardLine.objects.filter(scorecard=card, metric__code="referral_conversion_rate").first()
    assert line is not None and line.actual == Decimal(60)


def test_a_referral_that_converts_credits_both_sides_by_the_standing_rule(teller, network, people):
    # HQ's rule for 转介成交: the wealth manager keeps 70 %, the referring teller gets 30 %.
    CreditSplitRule.objects.create(
        metric=metric("referral_deals"),
        owner_post=post("wealth_manager"),
        partner_post=post("teller"),
        share=Decimal(30),
        min_share=Decimal(20),
        max_share=Decimal(40),
        effective_from=D(2026, 1, 1),
    )
    referral = refer(teller, network, people)
    close(people, referral, "won", D(2026, 11, 3))

    referral_facts_sync(first=D(2026, 11, 1), last=D(2026, 11, 4))

    deal = Fact.objects.get(date=D(2026, 11, 3), metric__code="referral_deals", staff=people["WANG"])
    split = CreditSplit.objects.get(fact=deal)
    assert (split.partner, split.share) == (people["TELLER"], Decimal(30))
    rollup.rollup_range(first=D(2026, 11, 3), last=D(2026, 11, 3))
    cards = Scorecard.objects.published().filter(date=D(2026, 11, 3), period="month")
    actual = dict(
        ScorecardLine.objects.filter(scorecard__in=cards, metric__code="referral_deals")
        .exclude(scorecard__staff=None)
        .values_list("scorecard__staff__code", "actual")
    )
    assert actual == {"WANG": Decimal("0.7"), "S1001": Decimal("0.3")}


def test_without_a_rule_the_receiver_keeps_the_whole_deal(teller, network, people):
    close(people, refer(teller, network, people), "won", D(2026, 11, 3))
    referral_facts_sync(first=D(2026, 11, 1), last=D(2026, 11, 4))
    deal = Fact.objects.get(date=D(2026, 11, 3), metric__code="referral_deals", staff=people["WANG"])
    assert deal.value == 1
    assert not CreditSplit.objects.filter(fact=deal).exists()


def test_the_sync_run_twice_changes_nothing_and_repairs_a_moved_referral(teller, network, people):
    referral = refer(teller, network, people)
    first = referral_facts_sync(first=D(2026, 11, 1), last=D(2026, 11, 4))
    again = referral_facts_sync(first=D(2026, 11, 1), last=D(2026, 11, 4))
    assert first.created == 4  # counter_referrals and referrals_made, the teller's and the outlet's
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    Referral.objects.filter(pk=referral.pk).update(day=D(2026, 11, 3))
    referral_facts_sync(first=D(2026, 11, 1), last=D(2026, 11, 4))
    assert fact("referrals_made") == 0
    assert fact("referrals_made", day=D(2026, 11, 3)) == 1


def test_an_outlet_day_whose_counts_another_system_pushed_is_left_to_it(teller, network, people):
    # The queueing system pushed 7 counter referrals for GZ0101 on 2 Nov: its count stands, the teller's
    # referral recorded here is not added to it (nor written over it).
    facts_ingest(
        rows=[
            CsvRow(
                line=2,
                values={
                    "date": "2026-11-02",
                    "unit": "GZ0101",
                    "staff": "",
                    "metric": "counter_referrals",
                    "value": "7",
                },
            )
        ],
        source=IngestBatch.Source.CSV,
    )
    refer(teller, network, people)
    referral_facts_sync(first=D(2026, 11, 1), last=D(2026, 11, 4))
    assert fact("counter_referrals") == 7
    assert fact("counter_referrals", people["TELLER"]) is None
    assert fact("referrals_made") == 1
