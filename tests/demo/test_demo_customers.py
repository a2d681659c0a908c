"""The demo customers (demo/customers.py): a deterministic sample per outlet, valid for the imports, and
no customers without facts. Tiered for each month and a second run that changes nothing, in the seeded
tiny demo: tests/demo/test_demo_tiny.py."""

from __future__ import annotations

import datetime
import io
from collections import Counter

import pytest
from django.core.management import call_command

from customers.models import Customer, Group
from customers.services.tiering import month_end
from demo import customers as demo_customers
from demo import network as demo_network
from demo.facts import network_read
from lib.identity import id_number_problem

pytestmark = pytest.mark.django_db


# The tiny network of tests/bankops/test_demo_facts.py: four outlets, facts of ten days to 20 January
# 2026, so the customers have the three months that ended by then: October to December 2025.
END = datetime.date(2026, 1, 20)
MONTHS = [datetime.date(2025, month, 1) for month in (10, 11, 12)]


@pytest.fixture(autouse=True)
def _keep_daily_scorecards(settings):
    settings.SCORECARD_RETENTION_DAYS = 100_000


def seed(*flags: str, **options) -> str:
    out = io.StringIO()
    options = {"outlets": 4, "days": 10, "end": END.isoformat(), **options}
    arguments = [*(f"--{key}={value}" for key, value in options.items()), *flags]
    call_command("seed_demo", *arguments, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def network_only():
    demo_network.seed_network(outlets=4, seed=demo_network.DEFAULT_SEED)


def plan():
    outlets, postings = network_read()
    seats = demo_customers.outlet_seats(outlets, postings, on=datetime.date(2025, 12, 31))
    return seats, demo_customers.customers_plan(outlets=seats, months=MONTHS, seed=demo_network.DEFAULT_SEED)


def test_the_months_are_the_three_that_ended_by_the_last_day():
    assert demo_customers.demo_months(end=END) == MONTHS
    # A last day that ends its month counts that month.
    assert demo_customers.demo_months(end=datetime.date(2025, 12, 31))[-1] == datetime.date(2025, 12, 1)


def test_the_same_seed_plans_the_same_customers_and_every_outlet_has_120_to_240_a_month():
    network_only()
    seats, first = plan()
    _seats, second = plan()

    assert first == second
    assert [customer.aum for customer in first] == [customer.aum for customer in second]
    for month in MONTHS:
        per_outlet = Counter(customer.outlet for customer in first if month in customer.aum)
        assert set(per_outlet) == {seat.code for seat in seats}
        # SLOTS: 120–240 slots an outlet, of which a few stand empty between two customers.
        assert all(100 <= count <= 240 for count in per_outlet.values()), per_outlet


def test_identity_numbers_pass_the_import_check_and_fit_the_groups():
    network_only()
    _seats, planned = plan()

    assert all(id_number_problem(customer.id_number) is None for customer in planned)
    for customer in planned:
        if customer.groups & Group.LONG_TAIL_CORPORATE:
            assert customer.id_number.startswith("9")
            assert not customer.groups & (Group.YOUNG | Group.SILVER)
            continue
        born = int(customer.id_number[6:10])
        assert bool(customer.groups & Group.YOUNG) == (born >= 1990)
        assert bool(customer.groups & Group.SILVER) == (demo_customers.AGE_YEAR - born >= 50)
        # Region codes of the demo's province (河南 41….)
        assert customer.id_number.startswith("41")


def test_each_outlets_premium_customers_follow_its_path_and_change_through_the_month():
    network_only()
    outlets, postings = network_read()

    book = demo_customers.premium_book(
        seed=demo_network.DEFAULT_SEED,
        first_day=datetime.date(2025, 12, 31),
        last_day=END,
        outlets=outlets,
        postings=postings,
    )

    assert book.months[0] == datetime.date(2025, 9, 1)  # the month before October, the first tiered
    for outlet in outlets:
        counts = [book.outlet(outlet.code, month_end(month)) for month in book.months[1:4]]
        assert counts == [book.path[outlet.code, month] for month in book.months[1:4]]
        # Premium customers only grow on this path (12–24 % a year × the outlet's form), a few a month.
        assert counts == sorted(counts) and counts[-1] - counts[0] <= 10
    # Inside a month the count moves day by day, customer by customer, from last month's to this month's.
    december = [book.outlet("LY0101", datetime.date(2025, 12, day)) for day in range(1, 32)]
    assert book.outlet("LY0101", datetime.date(2025, 11, 30)) == book.path["LY0101", datetime.date(2025, 11, 1)]
    assert december[-1] == book.path["LY0101", datetime.date(2025, 12, 1)]
    assert len(set(december)) > 2


def test_no_facts_seeds_no_customers():
    seed("--no-facts")

    assert not Customer.objects.exists()


# What the seeded tiny demo holds of customers (its tiers, migrations and premium facts, a second run) is
# tests/demo/test_demo_tiny.py's, whose tests share one seed of it.
