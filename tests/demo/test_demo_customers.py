"""The demo customers (demo/customers.py): a deterministic sample per outlet, valid for the imports,
tiered for each month, and a second run that changes nothing."""

from __future__ import annotations

import datetime
import io
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command

from branches.models import UnitKind
from customers.models import Customer, CustomerMonth, Group, Snapshot, TieringRun, TierMigration
from demo import customers as demo_customers
from demo import network as demo_network
from demo.facts import network_read
from kpi.models import Fact, IngestBatch
from lib.identity import id_number_problem
from staff.models import Assignment

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


def test_the_same_seed_plans_the_same_customers_and_every_outlet_has_40_to_80_a_month():
    network_only()
    seats, first = plan()
    _seats, second = plan()

    assert first == second
    assert [customer.aum for customer in first] == [customer.aum for customer in second]
    for month in MONTHS:
        per_outlet = Counter(customer.outlet for customer in first if month in customer.aum)
        assert set(per_outlet) == {seat.code for seat in seats}
        assert all(40 <= count <= 80 for count in per_outlet.values()), per_outlet


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


def test_seed_demo_writes_customers_of_outlets_tiers_for_every_month_and_migrations(settings):
    output = seed()

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


def test_the_demo_keeps_its_premium_customers_and_the_tier_counts_are_the_samples(settings):
    seed()

    # 31 December 2025 is the year-end balance of the demo's facts: its premium customers stay the demo's
    # figure (thousands per outlet), while the tier counts are those of the sample.
    day = datetime.date(2025, 12, 31)
    premium = Fact.objects.get(date=day, unit__code="LY0101", staff=None, metric__code="premium_customers")
    assert premium.batch.source == IngestBatch.Source.DEMO
    sample = Customer.objects.filter(home_outlet__code="LY0101").count()
    assert premium.value > 3 * sample
    counted = Fact.objects.filter(date=day, unit__code="LY0101", staff=None, metric__code__startswith="customers_st")
    tiered = CustomerMonth.objects.filter(month=MONTHS[-1], outlet__code="LY0101").count()
    assert (
        sum(counted.values_list("value", flat=True), Decimal(0))
        + Fact.objects.get(date=day, unit__code="LY0101", staff=None, metric__code="customers_private").value
        == tiered
    )


def test_a_second_run_writes_nothing_and_tiers_nothing(settings):
    seed()
    customers = list(Customer.objects.order_by("code").values_list("code", "name", "id_number", "groups"))
    runs, batches = TieringRun.objects.count(), IngestBatch.objects.count()

    output = seed("--force")  # through it all again, not skipped as already seeded

    assert list(Customer.objects.order_by("code").values_list("code", "name", "id_number", "groups")) == customers
    assert TieringRun.objects.count() == runs
    assert all(batch.created == 0 and batch.updated == 0 for batch in IngestBatch.objects.order_by("pk")[batches:])
    assert "Tiered: nothing (unchanged)" in output


def test_no_facts_seeds_no_customers():
    seed("--no-facts")

    assert not Customer.objects.exists()
