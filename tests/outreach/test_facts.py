"""The outreach rates as facts (outreach.services.facts), worked out by hand."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from kpi.models import Fact, IngestBatch, Metric
from outreach.models import Contact, ListAssignment
from outreach.services.building import ListFilter, list_build
from outreach.services.contacts import contact_record
from outreach.services.facts import outreach_facts_write
from outreach.tasks import outreach_facts
from staff.access import scope_for_user
from staff.models import Assignment
from tests.factories import AssignmentFactory
from tests.outreach.conftest import NOVEMBER

pytestmark = pytest.mark.django_db


def facts(day, unit, staff=None) -> dict[str, Decimal]:
    rows = Fact.objects.filter(date=day, unit=unit, staff=staff, metric__code__startswith="outreach_")
    return dict(rows.values_list("metric__code", "value"))


@pytest.fixture
def worked(outlet_head, manager_user, customer_manager, network, book, today):
    """降级客户回访 of GZ0101 built yesterday over November's tiers star3/star2 with four customers (C-DOWN2,
    C-SAME, C-DOWN1, C-UP by AUM; C-NEW kept out by the band), all to 王强 S1002, then worked:

    yesterday  C-DOWN2 call 未接通, C-DOWN2 call 接通, C-SAME call 有意向
    today      C-SAME call 已办理, C-DOWN1 visit 已办理, C-UP call 勿扰
    """
    yesterday = today - datetime.timedelta(days=1)
    built = list_build(
        scope=scope_for_user(outlet_head),
        user=outlet_head,
        unit=network["GZ0101"],
        name="降级客户回访",
        criteria=ListFilter(month=NOVEMBER, aum_min=Decimal("50000")),
        assign_mode="even",
        staff=[customer_manager],
        starts_on=yesterday,
        due_on=today + datetime.timedelta(days=10),
    )
    rows = {row.customer.code: row for row in ListAssignment.objects.filter(outreach_list=built)}
    assert sorted(rows) == ["C-DOWN1", "C-DOWN2", "C-SAME", "C-UP"]
    scope = scope_for_user(manager_user)
    for code, day, channel, outcome in (
        ("C-DOWN2", yesterday, "call", "no_answer"),
        ("C-DOWN2", yesterday, "call", "connected"),
        ("C-SAME", yesterday, "call", "interested"),
        ("C-SAME", today, "call", "done"),
        ("C-DOWN1", today, "visit", "done"),
        ("C-UP", today, "call", "dnd"),
    ):
        row = ListAssignment.objects.select_related("outreach_list__unit").get(pk=rows[code].pk)
        contact_record(scope=scope, user=manager_user, assignment=row, channel=channel, outcome=outcome, day=day)
    return built


def test_the_days_facts_are_the_hand_counted_assignments_contacts_and_sign_ups(
    worked, network, customer_manager, today
):
    yesterday = today - datetime.timedelta(days=1)
    outreach_facts_write([yesterday, today])
    outlet = network["GZ0101"]
    # Yesterday: 4 assigned; calls 3, reached 2 (接通, 有意向); contacted 2 (C-DOWN2, C-SAME); no sign-up.
    expected_yesterday = {
        "outreach_assigned": 4,
        "outreach_contacted": 2,
        "outreach_calls": 3,
        "outreach_calls_reached": 2,
        "outreach_staff": 1,
    }
    # Today: calls 2 (已办理, 勿扰), reached 1; contacted 2 (C-DOWN1, C-UP); signed up 2 (C-SAME, C-DOWN1);
    # a visit 1.
    expected_today = {
        "outreach_contacted": 2,
        "outreach_converted": 2,
        "outreach_calls": 2,
        "outreach_calls_reached": 1,
        "outreach_visits": 1,
        "outreach_staff": 1,
    }
    assert facts(yesterday, outlet, customer_manager) == expected_yesterday
    assert facts(yesterday, outlet) == expected_yesterday
    assert facts(today, outlet, customer_manager) == expected_today
    assert facts(today, outlet) == expected_today
    # Over the two days (DOMAIN.md §3, ratios of sums): coverage (2 + 2) / 4 = 100 %; contact success
    # (2 + 1) / (3 + 2) = 60 %; conversion 2 / (2 + 2) = 50 %; visits per person 1 / 1 = 1.


def test_running_the_facts_twice_changes_nothing(worked, today):
    yesterday = today - datetime.timedelta(days=1)
    outreach_facts([yesterday.isoformat(), today.isoformat()])
    again = outreach_facts([yesterday.isoformat(), today.isoformat()])
    batch = IngestBatch.objects.get(pk=again["batch"])
    assert batch.source == "outreach"
    assert (batch.created, batch.updated, batch.unchanged) == (0, 0, batch.rows)


def test_a_count_that_falls_back_is_written_zero(worked, today, network, customer_manager):
    outreach_facts_write([today])
    ListAssignment.objects.filter(outreach_list=worked).update(converted_on=None)
    outreach_facts_write([today])
    assert facts(today, network["GZ0101"], customer_manager)["outreach_converted"] == 0


def test_a_customer_who_moves_outlet_mid_list_counts_where_the_staff_member_works(
    worked, book, network, customer_manager, manager_user, today
):
    # C-NEW joins no list; C-DOWN2 moves to 珠江新城 GZ0102 while the list runs, and is called again
    # today: the call counts for 王强 at his outlet GZ0101, not at the customer's new home outlet.
    book["C-DOWN2"].home_outlet = network["GZ0102"]
    book["C-DOWN2"].save()
    row = ListAssignment.objects.select_related("outreach_list__unit").get(customer=book["C-DOWN2"])
    contact_record(scope=scope_for_user(manager_user), user=manager_user, assignment=row, outcome="interested")
    outreach_facts_write([today])
    assert facts(today, network["GZ0101"], customer_manager)["outreach_calls"] == 3
    assert "outreach_calls" not in facts(today, network["GZ0102"])


def test_a_staff_member_who_moves_outlet_takes_their_contacts_to_the_new_outlet(
    worked, book, network, customer_manager, manager_user, today
):
    yesterday = today - datetime.timedelta(days=1)
    # 王强 moves to 珠江新城 GZ0102 from today (today's contacts of the fixture are set aside: made at
    # GZ0101, they would say he was still there).
    Contact.objects.filter(day=today).delete()
    Assignment.objects.filter(staff=customer_manager).update(end=yesterday)
    AssignmentFactory(staff=customer_manager, post="customer_manager", unit=network["GZ0102"], start=today)
    row = ListAssignment.objects.select_related("outreach_list__unit").get(customer=book["C-DOWN2"])
    contact = contact_record(scope=scope_for_user(manager_user), user=manager_user, assignment=row, outcome="connected")
    assert contact.outlet.code == "GZ0102"
    outreach_facts_write([today])
    outreach_facts_write([yesterday])
    assert facts(today, network["GZ0102"], customer_manager)["outreach_calls"] == 1
    assert facts(today, network["GZ0102"])["outreach_calls"] == 1
    # Yesterday's three calls stay at GZ0101, where he worked then.
    assert facts(yesterday, network["GZ0101"], customer_manager)["outreach_calls"] == 3


def test_the_rates_are_declared_as_ratios_of_the_base_metrics():
    rates = {
        metric.code: (metric.aggregation, metric.numerator.code, metric.denominator.code, metric.unit)
        for metric in Metric.objects.filter(code__in=[
            "outreach_coverage", "outreach_contact_success", "outreach_conversion", "outreach_visits_per_person",
        ]).select_related("numerator", "denominator")
    }  # fmt: skip
    assert rates == {
        "outreach_coverage": ("ratio", "outreach_contacted", "outreach_assigned", "%"),
        "outreach_contact_success": ("ratio", "outreach_calls_reached", "outreach_calls", "%"),
        "outreach_conversion": ("ratio", "outreach_converted", "outreach_contacted", "%"),
        "outreach_visits_per_person": ("ratio", "outreach_visits", "outreach_staff", "户"),
    }
