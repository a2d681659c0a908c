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
from customers.services.tiering import month_end
from demo import customers as demo_customers
from demo import network as demo_network
from demo.facts import network_read
from kpi.models import Fact, IngestBatch
from lib.identity import id_number_problem
from staff.models import Assignment
from tests.shared_data import as_in_a_test, shared_data

pytestmark = pytest.mark.django_db

# The default scheme's premium tiers (三星及以上).
PREMIUM_TIERS = ("star3", "star4", "star5", "private")

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


@pytest.fixture(scope="class")
def seeded(django_db_setup, django_db_blocker) -> str:
    """The tiny demo seeded once for the class that asks (tests/shared_data.py; each test's own writes
    are undone after it): what seed_demo printed."""
    with shared_data(django_db_blocker):
        with as_in_a_test(SCORECARD_RETENTION_DAYS=100_000):
            output = seed()
        yield output


class TestTheSeededDemo:
    def test_seed_demo_writes_customers_of_outlets_tiers_for_every_month_and_migrations(self, seeded):
        output = seeded

        customers = Customer.objects.select_related("home_outlet", "relationship_manager")
        assert {customer.home_outlet.kind for customer in customers} == {UnitKind.OUTLET}
        # Managers are customer or wealth managers of the customer's own outlet.
        posts = {
            (staff, unit): post
            for staff, unit, post in Assignment.objects.values_list("staff_id", "unit_id", "post__code")
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

    def test_the_facts_premium_customers_are_the_tiered_customers_at_every_month_end(self, seeded):
        """Issue 14: the demo's premium_customers facts are counted from its customers, so the tiering of each
        month finds them already written (unchanged), outlet by outlet and manager by manager; the tier
        counts add up to the customers tiered."""

        for month in MONTHS:
            day = month_end(month)
            tiered = Counter(
                CustomerMonth.objects.filter(month=month, tier_code__in=PREMIUM_TIERS).values_list(
                    "outlet__code", flat=True
                )
            )
            managed = Counter(
                CustomerMonth.objects.filter(month=month, tier_code__in=PREMIUM_TIERS)
                .exclude(relationship_manager=None)
                .values_list("outlet__code", "relationship_manager__code")
            )
            facts = Fact.objects.filter(date=day, metric__code="premium_customers")
            outlets = {
                unit: value
                for unit, staff, value in facts.values_list("unit__code", "staff__code", "value")
                if not staff
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

    def test_a_second_run_writes_nothing_and_tiers_nothing(self, seeded):
        customers = list(Customer.objects.order_by("code").values_list("code", "name", "id_number", "groups"))
        runs, batches = TieringRun.objects.count(), IngestBatch.objects.count()

        output = seed("--force")  # through it all again, not skipped as already seeded

        assert list(Customer.objects.order_by("code").values_list("code", "name", "id_number", "groups")) == customers
        assert TieringRun.objects.count() == runs
        assert all(batch.created == 0 and batch.updated == 0 for batch in IngestBatch.objects.order_by("pk")[batches:])
        assert "Tiered: nothing (unchanged)" in output
