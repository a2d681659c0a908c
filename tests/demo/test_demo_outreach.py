"""The demo's call and visit lists (demo/outreach.py): three lists at each outlet of the demo sub-branch,
worked for ten days to the last day of facts, their facts written, the demo logins' pages alive; seeding
again writes nothing."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from demo import network as demo_network
from demo.customers import seed_customers
from demo.outreach import NAMES, seed_outreach
from kpi.models import Fact, IngestBatch
from outreach.models import Contact, DoNotContact, ListAssignment, Outcome, OutreachList
from staff.models import StaffMember, User
from tests.shared_data import as_in_a_test, shared_data

pytestmark = pytest.mark.django_db

END = datetime.date(2026, 12, 2)
OUTLETS = 12


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo network, two months of its customers and their lists, seeded once for the module
    (tests/shared_data.py; what a test writes, seeding again, is undone after it): the network's plan
    and what seed_outreach wrote."""
    with shared_data(django_db_blocker):
        with as_in_a_test():
            call_command("seed_demo", no_facts=True, outlets=OUTLETS, stdout=io.StringIO(), stderr=io.StringIO())
            plan = demo_network.network_plan(outlets=OUTLETS)
            seed_customers(seed=2026, end=END, months=2)
            result = seed_outreach(plan=plan, end=END)
        yield plan, result


def test_each_outlet_of_the_sub_branch_has_the_three_lists_and_some_of_them_is_worked(seeded):
    _plan, result = seeded
    head = User.objects.get(username="outlet_head")
    assert set(OutreachList.objects.filter(unit=head.unit).values_list("name", flat=True)) == set(NAMES)
    assert result.lists == 3 * len(result.outlets) and result.contacts > 0
    contacts = Contact.objects.all()
    assert contacts.filter(channel="visit").exclude(photo="").exists()
    assert set(contacts.values_list("outcome", flat=True)) >= {Outcome.NO_ANSWER, Outcome.INTERESTED, Outcome.DONE}
    assert min(contacts.values_list("day", flat=True)) >= END - datetime.timedelta(days=9)
    flagged = set(contacts.filter(outcome=Outcome.DO_NOT_DISTURB).values_list("customer_id", flat=True))
    assert flagged == set(DoNotContact.objects.values_list("customer_id", flat=True))
    # Every contacted list customer has a first contact; some of each list still waits.
    assert ListAssignment.objects.filter(first_contact_on=None).exclude(staff=None).exists()


def test_the_contacts_are_facts_of_their_makers_outlets(seeded):
    calls = Contact.objects.filter(channel="call", day=END).count()
    facts = Fact.objects.filter(metric__code="outreach_calls", date=END, staff=None)
    assert sum(fact.value for fact in facts) == calls
    assert IngestBatch.objects.filter(source="outreach").exists()


def test_the_demo_logins_find_their_lists(seeded, client):
    teller = User.objects.get(username="teller")
    member = StaffMember.objects.get(user=teller)
    mine = ListAssignment.objects.filter(staff=member)
    assert mine.exists()
    client.force_login(teller)
    assert client.get(reverse("outreach:lists")).status_code == 200
    waiting = mine.filter(first_contact_on=None).first() or mine.first()
    assert client.get(reverse("outreach:card", args=[waiting.pk])).status_code == 200
    for username in ("outlet_head", "unit_manager", "hq_admin"):
        client.force_login(User.objects.get(username=username))
        outreach_list = OutreachList.objects.filter(unit=User.objects.get(username="outlet_head").unit).first()
        assert client.get(reverse("outreach:list", args=[outreach_list.pk])).status_code == 200


def test_seeding_again_writes_nothing(seeded):
    plan, _result = seeded
    before = (OutreachList.objects.count(), Contact.objects.count())
    again = seed_outreach(plan=plan, end=END)
    assert (again.lists, again.contacts) == (0, 0)
    assert (OutreachList.objects.count(), Contact.objects.count()) == before
