"""customers/services/tiering.py: the monthly tiering, worked out by hand on six customers (the
`population` fixture of tests/customers/conftest.py).

Default star scheme (DOMAIN.md §6), average daily AUM in 元: 一星 < 10,000 ≤ 二星 < 50,000 ≤ 三星
< 200,000 ≤ 四星 < 1,000,000 ≤ 五星 < 6,000,000 ≤ 私行. Premium = 三星 and above.

           home    Oct 2026                  Nov 2026
    C1     GZ0101  49,999.99  star2          50,000.00  star3     up
    C2     GZ0101  200,000.00 star4          199,999.99 star3     down
    C3     GZ0101  9,999.99   star1          10,000.00  star2     up
    C4     GZ0101  6,000,000  private        —                    lost
    C5     GZ0101  —                         1,000,000  star5     new
    C6     GZ0102  0          star1          −5         star1     same (a negative AUM takes the lowest tier)

C1–C5 are managed by 黄丽娟 (S1001, assigned to GZ0101); C6 has no manager.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import numpy as np
import pytest

from customers.models import CustomerMonth, Tier, TieringRun, TierMigration, TierScheme
from customers.services.tiering import assign_tiers, scheme_for, tiering_run
from kpi.models import Fact

OCT, NOV = datetime.date(2026, 10, 1), datetime.date(2026, 11, 1)


def _tiers(month) -> dict[str, str]:
    rows = CustomerMonth.objects.filter(month=month).values_list("customer__code", "tier_code")
    return dict(rows)


def _matrix(month, outlet) -> set[tuple[str, str, int]]:
    rows = TierMigration.objects.filter(month=month, outlet=outlet)
    return {(row.from_code, row.to_code, row.customers) for row in rows}


def test_thresholds_are_inclusive_at_their_edges(population):
    tiering_run(month=OCT)
    tiering_run(month=NOV)

    assert _tiers(OCT) == {"C1": "star2", "C2": "star4", "C3": "star1", "C4": "private", "C6": "star1"}
    assert _tiers(NOV) == {"C1": "star3", "C2": "star3", "C3": "star2", "C5": "star5", "C6": "star1"}


def test_the_migration_matrix_counts_up_down_new_and_lost(network, population):
    tiering_run(month=OCT)
    tiering_run(month=NOV)

    assert _matrix(NOV, network["GZ0101"]) == {
        ("star2", "star3", 1),
        ("star4", "star3", 1),
        ("star1", "star2", 1),
        ("private", "", 1),
        ("", "star5", 1),
    }
    assert _matrix(NOV, network["GZ0102"]) == {("star1", "star1", 1)}
    movements = sorted(row.movement for row in TierMigration.objects.filter(month=NOV, outlet=network["GZ0101"]))
    assert movements == ["down", "lost", "new", "up", "up"]


def test_the_first_month_counts_everyone_as_new(network, population):
    tiering_run(month=OCT)

    assert _matrix(OCT, network["GZ0101"]) == {("", "star2", 1), ("", "star4", 1), ("", "star1", 1), ("", "private", 1)}


def test_tier_counts_become_facts_for_the_outlet_and_its_manager(network, population):
    tiering_run(month=OCT)
    tiering_run(month=NOV)

    facts = {
        (fact.unit.code, fact.staff.code if fact.staff else "", fact.metric.code): fact.value
        for fact in Fact.objects.filter(date=datetime.date(2026, 11, 30)).select_related("unit", "staff", "metric")
    }
    outlet = {metric: value for (unit, staff, metric), value in facts.items() if (unit, staff) == ("GZ0101", "")}
    assert outlet == {
        "customers_star1": 0,
        "customers_star2": 1,
        "customers_star3": 2,
        "customers_star4": 0,
        "customers_star5": 1,
        "customers_private": 0,
        "premium_customers": 3,
    }
    manager = {metric: value for (unit, staff, metric), value in facts.items() if (unit, staff) == ("GZ0101", "S1001")}
    assert manager == outlet
    assert facts[("GZ0102", "", "customers_star1")] == 1
    assert facts[("GZ0102", "", "premium_customers")] == 0
    assert not any(staff for (unit, staff, _metric) in facts if unit == "GZ0102")


def test_running_a_month_twice_changes_nothing(network, population):
    tiering_run(month=OCT)
    tiering_run(month=NOV)
    facts = Fact.objects.count()

    run = tiering_run(month=NOV)

    assert (run.status, run.progress, run.customers) == (TieringRun.Status.DONE, 100, 5)
    assert CustomerMonth.objects.filter(month=NOV).count() == 5
    assert _matrix(NOV, network["GZ0101"]) == {
        ("star2", "star3", 1),
        ("star4", "star3", 1),
        ("star1", "star2", 1),
        ("private", "", 1),
        ("", "star5", 1),
    }
    assert Fact.objects.count() == facts


def test_a_threshold_change_takes_effect_from_its_month(network, population):
    """From November 2026 HQ raises 三星 to 60,000: C1's 50,000 is 二星 again, October stays as it was."""
    default = TierScheme.objects.get()
    raised = TierScheme.objects.create(name="2026-11 起", effective_month=NOV)
    for tier in default.tiers.all():
        Tier.objects.create(
            scheme=raised,
            code=tier.code,
            name_zh=tier.name_zh,
            name_en=tier.name_en,
            rank=tier.rank,
            min_aum=Decimal("60000") if tier.code == "star3" else tier.min_aum,
            is_premium=tier.is_premium,
        )

    assert scheme_for(datetime.date(2026, 10, 31)) == default
    assert scheme_for(datetime.date(2026, 11, 15)) == raised
    tiering_run(month=OCT)
    tiering_run(month=NOV)
    assert _tiers(OCT)["C1"] == "star2"
    assert _tiers(NOV)["C1"] == "star2"
    assert ("star2", "star2", 1) in _matrix(NOV, network["GZ0101"])


@pytest.mark.django_db
def test_assign_tiers_takes_the_highest_threshold_reached():
    tiers = list(TierScheme.objects.get().tiers.order_by("min_aum"))

    index = assign_tiers(np.array([-1.0, 0.0, 9999.99, 10000.0, 5999999.99, 6000000.0, 1e12]), tiers)

    assert [tiers[i].code for i in index] == ["star1", "star1", "star1", "star2", "star5", "private", "private"]


@pytest.mark.django_db
def test_a_month_without_a_scheme_fails_and_says_why():
    TierScheme.objects.all().delete()

    with pytest.raises(ValueError, match="no tier scheme is in force in 2026-11"):
        tiering_run(month=NOV)
    assert TieringRun.objects.get().status == TieringRun.Status.FAILED
