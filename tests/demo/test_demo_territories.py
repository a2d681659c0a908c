"""The demo's territories, prospects and referrals (demo/territories.py): realistic territories with owners
among each outlet's staff, prospects of which some became customers, four weeks of referrals with deals
counted as facts (a deal shared with the referrer by HQ's rule), the outreach pages alive for the demo
logins, and seeding again changes nothing."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command

from branches.models import OrgUnit
from customers.models import Prospect, Referral, Territory
from demo import network as demo_network
from demo.territories import seed_territories
from kpi.models import CreditSplit, Fact
from lib.identity import resident_check_digit
from staff.models import Assignment, User
from tests.customers.factories import CustomerFactory
from tests.shared_data import as_in_a_test, shared_data

pytestmark = pytest.mark.django_db

END = datetime.date(2026, 12, 2)
OUTLETS = 12


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo network, a few customers and its territories, seeded once for the module
    (tests/shared_data.py; what a test writes, seeding again, is undone after it): the network's plan and
    what seed_territories wrote."""
    with shared_data(django_db_blocker):
        with as_in_a_test():
            call_command("seed_demo", no_facts=True, outlets=OUTLETS, stdout=io.StringIO(), stderr=io.StringIO())
            plan = demo_network.network_plan(outlets=OUTLETS)
            # A few customers at each outlet of the sub-branch (the full seed has demo.customers' thousands).
            for outlet in OrgUnit.objects.filter(parent__code=plan.sub_branches[0].code):
                for index in range(10):
                    first17 = f"4401061990{index + 1:02d}01{outlet.pk % 1000:03d}"
                    CustomerFactory(home_outlet=outlet, id_number=first17 + resident_check_digit(first17))
            result = seed_territories(plan=plan, end=END)
        yield plan, result


def test_territories_have_realistic_names_and_owners_assigned_to_their_outlet(seeded):
    _plan, result = seeded
    assert result.territories == Territory.objects.count() > 0
    names = set(Territory.objects.values_list("name", flat=True))
    assert any(name.endswith("社区") for name in names) or any(name.endswith("村") for name in names)
    assert any(name.endswith("农贸市场") for name in names)
    for territory in Territory.objects.all():
        assert Assignment.objects.on(END).filter(staff=territory.owner, unit=territory.outlet).exists()


def test_prospects_some_converted_and_referrals_with_deals_become_facts(seeded):
    _plan, result = seeded
    assert result.prospects == Prospect.objects.count() > 0
    assert Prospect.objects.filter(status="converted").exclude(customer=None).exists()
    assert result.referrals == Referral.objects.count() > 0 and result.deals > 0
    made = Fact.objects.filter(metric__code="referrals_made", staff=None, batch__source="referral")
    assert sum(fact.value for fact in made) == Referral.objects.count()
    assert CreditSplit.objects.filter(fact__metric__code="referral_deals").exists()


def test_the_outreach_pages_are_alive_for_the_demo_logins(seeded, client):
    head, teller, manager = (User.objects.get(username=name) for name in ("outlet_head", "teller", "unit_manager"))
    for user in (head, teller, manager):
        client.force_login(user)
        start = client.get("/outreach/")
        assert start.status_code == 302, user.username
        territories = client.get(start["Location"])
        assert territories.status_code == 200, user.username
        assert "社区" in territories.content.decode() or "村" in territories.content.decode(), user.username
    client.force_login(teller)
    outlet = head.unit.code
    assert "柜面" in client.get(f"/units/{outlet}/referrals/").content.decode()


def test_seeding_again_changes_nothing(seeded):
    plan, _result = seeded
    counts = (Territory.objects.count(), Prospect.objects.count(), Referral.objects.count())
    seed_territories(plan=plan, end=END)
    assert (Territory.objects.count(), Prospect.objects.count(), Referral.objects.count()) == counts
