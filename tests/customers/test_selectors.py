"""customers/selectors.py: the tier pyramid, the migration matrix and the moved-down list of a unit's
subtree, on the six customers of tests/customers/conftest.py tiered for October and November 2026.

By hand, GZ0101 (C1–C5):  Oct  star1 1 (C3), star2 1 (C1), star4 1 (C2), private 1 (C4)   premium 2
                          Nov  star2 1 (C3), star3 2 (C1, C2), star5 1 (C5)                 premium 3
GZ0102 adds C6, star1 in both months. Migrations in November: star2→star3 (C1), star1→star2 (C3) up;
star4→star3 (C2) down; star1→star1 (C6) same; → star5 (C5) new; private → (C4) lost.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from unittest import mock

import pytest

from customers import selectors
from customers.models import Tier, TierScheme
from customers.services.tiering import tiering_run
from staff.access import Scope
from tests.customers.conftest import NOV, OCT
from tests.customers.factories import CustomerFactory, SnapshotFactory
from tests.factories import StaffMemberFactory

pytestmark = pytest.mark.django_db

EVERYONE = Scope(everything=True, personal_data=True)
NO_PERSONAL_DATA = Scope(unit_path="/HQ/GZ/GZ01/")

TIERS = ["star1", "star2", "star3", "star4", "star5", "private"]


def _counts(pyramid) -> dict[str, tuple[int, int, int]]:
    return {row.tier.code: (row.customers_before, row.customers, row.change) for row in pyramid.tiers}


# -- the pyramid -----------------------------------------------------------------------------------------


def test_the_pyramid_of_an_outlet_counts_each_tier_this_month_and_last(network, tiered):
    pyramid = selectors.tier_pyramid(unit=network["GZ0101"], month=NOV)

    assert (pyramid.month, pyramid.previous) == (NOV, OCT)
    assert [row.tier.code for row in pyramid.tiers] == TIERS
    assert _counts(pyramid) == {
        "star1": (1, 0, -1),
        "star2": (1, 1, 0),
        "star3": (0, 2, 2),
        "star4": (1, 0, -1),
        "star5": (0, 1, 1),
        "private": (1, 0, -1),
    }
    assert (pyramid.premium_before, pyramid.premium, pyramid.premium_change) == (2, 3, 1)
    assert (pyramid.total_before, pyramid.total, pyramid.total_change) == (4, 4, 0)


def test_the_pyramid_of_a_sub_branch_adds_up_its_outlets(network, tiered):
    pyramid = selectors.tier_pyramid(unit=network["GZ01"], month=NOV)

    assert _counts(pyramid)["star1"] == (2, 1, -1)  # C3 and C6 in October, C6 alone in November
    assert (pyramid.total_before, pyramid.total, pyramid.premium_before, pyramid.premium) == (5, 5, 2, 3)


def test_the_pyramid_of_a_unit_without_customers_is_all_zeros(network, tiered):
    pyramid = selectors.tier_pyramid(unit=network["SZ0101"], month=NOV)

    assert set(_counts(pyramid).values()) == {(0, 0, 0)}
    assert (pyramid.premium, pyramid.total) == (0, 0)


def test_the_pyramid_of_a_relationship_manager_leaves_out_other_customers(network, teller, tiered):
    pyramid = selectors.tier_pyramid(unit=None, month=NOV, manager=teller.staff_member)

    assert _counts(pyramid)["star1"] == (1, 0, -1)  # C3 only: C6 has no manager
    assert (pyramid.total_before, pyramid.total) == (4, 4)


def test_premium_customers_follow_each_months_own_scheme(network, tiered):
    """From December 2026 HQ makes only 四星 and above premium: C1, C2 (三星) are not premium in December,
    while November's premium customers are still counted by November's scheme."""
    dec = datetime.date(2026, 12, 1)
    default = TierScheme.objects.get()
    stricter = TierScheme.objects.create(name="2026-12 起", effective_month=dec)
    for tier in default.tiers.all():
        Tier.objects.create(
            scheme=stricter,
            code=tier.code,
            name_zh=tier.name_zh,
            name_en=tier.name_en,
            rank=tier.rank,
            min_aum=tier.min_aum,
            is_premium=tier.rank >= 4,
        )
    for customer in tiered.values():
        snapshot = customer.snapshots.filter(month=NOV).first()
        if snapshot:
            SnapshotFactory(customer=customer, month=dec, aum_avg_daily=snapshot.aum_avg_daily)
    # December's tier counts are facts of 31 December, taken once that day has come.
    with mock.patch("django.utils.timezone.localdate", return_value=datetime.date(2027, 1, 4)):
        tiering_run(month=dec)

    pyramid = selectors.tier_pyramid(unit=network["GZ0101"], month=dec)

    assert (pyramid.premium_before, pyramid.premium) == (3, 1)  # Nov: C1, C2, C5; Dec: C5 only


# -- the migration matrix --------------------------------------------------------------------------------


def test_the_matrix_of_a_sub_branch_sums_its_outlets_in_rank_order(network, tiered):
    matrix = selectors.migration_matrix(unit=network["GZ01"], month=NOV)

    assert [code for code, _name in matrix.from_tiers] == TIERS
    assert [code for code, _name in matrix.columns] == [*TIERS, ""]
    rows = {row.code: row.counts for row in matrix.rows}
    #                  star1 star2 star3 star4 star5 private lost
    assert rows == {
        "star1": [1, 1, 0, 0, 0, 0, 0],
        "star2": [0, 0, 1, 0, 0, 0, 0],
        "star3": [0, 0, 0, 0, 0, 0, 0],
        "star4": [0, 0, 1, 0, 0, 0, 0],
        "star5": [0, 0, 0, 0, 0, 0, 0],
        "private": [0, 0, 0, 0, 0, 0, 1],
        "": [0, 0, 0, 0, 1, 0, None],  # new; nobody is both new and lost
    }
    assert [row.total for row in matrix.rows] == [2, 1, 0, 1, 0, 1, 1]
    assert matrix.column_totals == [1, 1, 2, 0, 1, 0, 1]
    assert matrix.customers == 6
    assert matrix.totals == {"up": 2, "down": 1, "same": 1, "new": 1, "lost": 1}


def test_the_matrix_cells_are_ordered_by_rank_with_new_and_lost_last(network, tiered):
    matrix = selectors.migration_matrix(unit=network["GZ01"], month=NOV)

    assert [(cell.from_code, cell.to_code, cell.customers, cell.movement) for cell in matrix.cells] == [
        ("star1", "star1", 1, "same"),
        ("star1", "star2", 1, "up"),
        ("star2", "star3", 1, "up"),
        ("star4", "star3", 1, "down"),
        ("private", "", 1, "lost"),
        ("", "star5", 1, "new"),
    ]


def test_the_matrix_of_a_relationship_manager_counts_only_their_customers(network, teller, tiered):
    matrix = selectors.migration_matrix(unit=network["GZ01"], month=NOV, manager=teller.staff_member)

    assert matrix.totals == {"up": 2, "down": 1, "same": 0, "new": 1, "lost": 1}


def test_the_matrix_of_another_branch_is_empty(network, tiered):
    matrix = selectors.migration_matrix(unit=network["SZ"], month=NOV)

    assert matrix.cells == []
    assert matrix.totals == {"up": 0, "down": 0, "same": 0, "new": 0, "lost": 0}


# -- moved down ------------------------------------------------------------------------------------------


def test_the_moved_down_list_has_the_customers_whose_tier_fell(network, tiered):
    moved = selectors.moved_down(scope=EVERYONE, unit=network["GZ01"], month=NOV)

    assert moved.count() == 1
    (row,) = moved[0:50]
    assert (row.code, row.name, row.id_number, row.masked) == ("C2", "欧阳娜娜", "110101199003075678", False)
    assert (row.outlet.code, row.manager.code) == ("GZ0101", "S1001")
    assert (row.from_code, row.to_code, row.fall) == ("star4", "star3", 1)
    assert (row.aum_before, row.aum_now, row.aum_change) == (
        Decimal("200000.00"),
        Decimal("199999.99"),
        Decimal("-0.01"),
    )


def test_the_moved_down_list_is_masked_without_personal_data(network, tiered):
    (row,) = selectors.moved_down(scope=NO_PERSONAL_DATA, unit=network["GZ01"], month=NOV)[0:50]

    assert (row.name, row.id_number, row.masked) == ("欧**娜", "110101********5678", True)


def test_the_biggest_fall_comes_first_then_the_most_aum_lost(network, tiered):
    """C7: star5 → star2, 3 tiers; C8: star4 → star3 losing 190,000; C2: star4 → star3 losing 0.01."""
    for code, outlet, october, november in (("C7", "GZ0102", "1000000", "10000"), ("C8", "GZ0101", "250000", "60000")):
        customer = CustomerFactory(code=code, home_outlet=network[outlet])
        SnapshotFactory(customer=customer, month=OCT, aum_avg_daily=Decimal(october))
        SnapshotFactory(customer=customer, month=NOV, aum_avg_daily=Decimal(november))
    tiering_run(month=OCT)
    tiering_run(month=NOV)

    rows = selectors.moved_down(scope=EVERYONE, unit=network["GZ01"], month=NOV)[0:50]

    assert [(row.code, row.fall, row.aum_change) for row in rows] == [
        ("C7", 3, Decimal("-990000.00")),
        ("C8", 1, Decimal("-190000.00")),
        ("C2", 1, Decimal("-0.01")),
    ]
    assert [row.code for row in selectors.moved_down(scope=EVERYONE, unit=network["GZ0101"], month=NOV)[0:50]] == [
        "C8",
        "C2",
    ]


def test_nobody_moved_down_in_the_first_month_or_outside_the_subtree(network, tiered):
    assert selectors.moved_down(scope=EVERYONE, unit=network["GZ01"], month=OCT).count() == 0
    assert selectors.moved_down(scope=EVERYONE, unit=network["SZ"], month=NOV).count() == 0


def test_the_moved_down_list_of_a_manager_without_customers_is_empty(network, teller, tiered):
    nobody = StaffMemberFactory(code="S1999")

    assert selectors.moved_down(scope=EVERYONE, unit=None, month=NOV, manager=nobody).count() == 0
    assert selectors.moved_down(scope=EVERYONE, unit=None, month=NOV, manager=teller.staff_member).count() == 1


# -- months ----------------------------------------------------------------------------------------------


def test_the_tiered_months_are_the_finished_runs_newest_first(tiered):
    assert selectors.tiered_months() == [NOV, OCT]
    assert selectors.latest_tiered_month() == NOV
    assert selectors.is_tiered(datetime.date(2026, 11, 15))
    assert not selectors.is_tiered(datetime.date(2026, 12, 1))


def test_the_schemes_of_a_month_without_one_are_refused(db):
    with pytest.raises(ValueError, match="no tier scheme is in force in 1999-12"):
        selectors.tier_schemes(datetime.date(1999, 12, 1))


def test_customers_in_scope_follow_the_home_outlet_or_the_manager(network, teller, tiered):
    def codes(scope):
        return sorted(selectors.customers_in_scope(scope).values_list("code", flat=True))

    assert codes(Scope(unit_path=network["GZ0102"].path)) == ["C6"]
    assert codes(Scope(unit_path=network["SZ"].path)) == []
    assert codes(Scope(staff_id=teller.staff_member.pk)) == ["C1", "C2", "C3", "C4", "C5"]
    assert codes(EVERYONE) == ["C1", "C2", "C3", "C4", "C5", "C6"]
    assert codes(Scope.nothing()) == []
