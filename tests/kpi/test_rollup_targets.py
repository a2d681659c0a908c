"""Targets of units above outlets taken from the units under them (kpi.services.rollup.targets_from_children).

A unit above outlets without a target of its own for a cumulative metric (sum, change) is measured against
the sum of its children's targets, marked `target_from_children`. The tree:

    HQ → BR (a branch) → SB1 (outlets A, B), SB2 (outlet C);  HQ → SB3 (outlet D)

Business day Sunday 2026-11-15: half of November gone (15/30 = 0.5).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from kpi.models import Fact, Metric, Scorecard, ScorecardLine, Target
from kpi.services import rollup
from tests.factories import OrgUnitFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 15)
MONTH = (datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))


@pytest.fixture
def tree():
    hq = OrgUnitFactory.head_office(code="HQ")
    branch = OrgUnitFactory.branch_of(hq, code="BR")
    sb1 = OrgUnitFactory.sub_branch_of(branch, code="SB1")
    sb2 = OrgUnitFactory.sub_branch_of(branch, code="SB2")
    sb3 = OrgUnitFactory.sub_branch_of(hq, code="SB3")
    return {
        "HQ": hq,
        "BR": branch,
        "SB1": sb1,
        "SB2": sb2,
        "SB3": sb3,
        "A": OrgUnitFactory.outlet_of(sb1, code="A"),
        "B": OrgUnitFactory.outlet_of(sb1, code="B"),
        "C": OrgUnitFactory.outlet_of(sb2, code="C"),
        "D": OrgUnitFactory.outlet_of(sb3, code="D"),
    }


def target(code: str, value, *, unit=None, staff=None, kind="month", start=MONTH[0], end=MONTH[1]) -> None:
    Target.objects.create(
        unit=unit,
        staff=staff,
        metric=Metric.objects.get(code=code),
        period_kind=kind,
        period_start=start,
        period_end=end,
        period=f"{start:%Y-%m}" if kind == "month" else str(start.year),
        value=Decimal(str(value)),
    )


def fact(unit, code: str, value, day: datetime.date = datetime.date(2026, 11, 2)) -> None:
    Fact.objects.create(date=day, unit=unit, metric=Metric.objects.get(code=code), value=Decimal(str(value)))


def line(unit, code: str, period: str = "month") -> ScorecardLine | None:
    cards = Scorecard.objects.published().filter(date=DAY, period=period, unit=unit, staff=None)
    return ScorecardLine.objects.filter(scorecard__in=cards, metric__code=code).first()


def targets(tree, code: str, period: str = "month") -> dict[str, tuple[Decimal | None, bool] | None]:
    """Unit code → (target, from children) of its line, None without a line."""
    found = {}
    for name, unit in tree.items():
        figures = line(unit, code, period)
        found[name] = None if figures is None else (figures.target, figures.target_from_children)
    return found


def test_a_sub_branch_without_a_target_takes_the_sum_of_its_outlets_targets(tree):
    target("mobile_banking_signups", 300, unit=tree["A"])
    target("mobile_banking_signups", 200, unit=tree["B"])
    fact(tree["A"], "mobile_banking_signups", 150)
    fact(tree["B"], "mobile_banking_signups", 100)

    rollup.rollup_day(day=DAY)

    sub_branch = line(tree["SB1"], "mobile_banking_signups")
    # 300 + 200 = 500, marked; 150 + 100 = 250 of 500 = 0.5 at time progress 0.5: on pace, gap
    # 250 − 500 × 0.5 = 0, and the 15 days left must bring (500 − 250) / 15 = 16.6667 a day.
    assert (sub_branch.target, sub_branch.target_from_children) == (Decimal("500"), True)
    assert (sub_branch.actual, sub_branch.attainment, sub_branch.pace_attainment) == (
        Decimal("250"),
        Decimal("0.5"),
        Decimal("1"),
    )
    assert (sub_branch.status, sub_branch.gap_to_pace, sub_branch.required_per_day) == (
        "green",
        Decimal("0"),
        Decimal("16.6667"),
    )
    # The outlets' own targets are not marked; the branch and HQ above inherit the same 500 (SB2's
    # outlet has no target and adds nothing; SB3's neither).
    assert targets(tree, "mobile_banking_signups") == {
        "HQ": (Decimal("500"), True),
        "BR": (Decimal("500"), True),
        "SB1": (Decimal("500"), True),
        "SB2": None,
        "SB3": None,
        "A": (Decimal("300"), False),
        "B": (Decimal("200"), False),
        "C": None,
        "D": None,
    }


def test_a_unit_with_a_target_of_its_own_keeps_it_and_its_parent_counts_it_once(tree):
    target("mobile_banking_signups", 300, unit=tree["A"])
    target("mobile_banking_signups", 200, unit=tree["B"])
    target("mobile_banking_signups", 100, unit=tree["C"])
    target("mobile_banking_signups", 40, unit=tree["D"])
    target("mobile_banking_signups", 450, unit=tree["SB1"])  # its own, below its outlets' 500
    target("mobile_banking_signups", 1000, unit=tree["BR"])  # its own, above its children's

    rollup.rollup_day(day=DAY)

    # SB1 keeps 450; SB2 inherits C's 100; BR keeps 1,000 (not 450 + 100); HQ adds its children as
    # they stand: BR's own 1,000 and SB3's inherited 40, so 1,040, with none of the outlets counted twice.
    assert targets(tree, "mobile_banking_signups") == {
        "HQ": (Decimal("1040"), True),
        "BR": (Decimal("1000"), False),
        "SB1": (Decimal("450"), False),
        "SB2": (Decimal("100"), True),
        "SB3": (Decimal("40"), True),
        "A": (Decimal("300"), False),
        "B": (Decimal("200"), False),
        "C": (Decimal("100"), False),
        "D": (Decimal("40"), False),
    }


def test_a_branch_whose_sub_branches_have_no_target_adds_up_the_outlets_below_them(tree):
    target("deposit_growth", 3000, unit=tree["A"])
    target("deposit_growth", 2000, unit=tree["C"])

    rollup.rollup_day(day=DAY)

    # SB1 3,000 (A), SB2 2,000 (C), so BR 5,000: a net increase (a change) is cumulative too.
    found = targets(tree, "deposit_growth")
    assert (found["SB1"], found["SB2"], found["BR"], found["HQ"]) == (
        (Decimal("3000"), True),
        (Decimal("2000"), True),
        (Decimal("5000"), True),
        (Decimal("5000"), True),
    )


def test_levels_are_never_summed(tree):
    # A balance to hold, a daily average and a rate are a unit's own policy.
    for outlet in ("A", "B"):
        target("deposit_balance", 50000, unit=tree[outlet])
        target("deposit_daily_avg", 48000, unit=tree[outlet])
        target("satisfaction_rate", 90, unit=tree[outlet])
        fact(tree[outlet], "deposit_balance", 40000)

    rollup.rollup_day(day=DAY)

    for code in ("deposit_balance", "deposit_daily_avg"):
        assert line(tree["SB1"], code).target is None
        assert line(tree["A"], code).target == Decimal({"deposit_balance": 50000, "deposit_daily_avg": 48000}[code])
    assert line(tree["SB1"], "satisfaction_rate") is None


def test_each_period_kind_adds_up_its_own_targets_and_staff_targets_are_left_out(tree):
    teller = StaffMemberFactory(code="T1")
    target("wealth_sales", 1200, unit=tree["A"], kind="year", start=datetime.date(2026, 1, 1))
    target("wealth_sales", 100, unit=tree["B"])
    target("wealth_sales", 70, staff=teller)
    fact(tree["A"], "wealth_sales", 10)

    rollup.rollup_day(day=DAY)

    # The year: A's 1,200 only; the month: B's 100 only (the teller's 70 is theirs, not a unit's).
    assert (line(tree["SB1"], "wealth_sales", "year").target, line(tree["SB1"], "wealth_sales").target) == (
        Decimal("1200"),
        Decimal("100"),
    )
    assert line(tree["SB1"], "wealth_sales", "quarter").target is None


def test_the_tree_is_read_in_one_query_however_many_units(tree, django_assert_max_num_queries):
    for number in range(30):
        outlet = OrgUnitFactory.outlet_of(tree["SB2"], code=f"X{number:02d}")
        target("customers_served", 10, unit=outlet)
    frame = rollup._targets(DAY)
    catalog = rollup.Catalog.load()

    with django_assert_max_num_queries(1):
        resolved = rollup.targets_from_children(frame, catalog)

    by_unit = resolved[resolved["target_from_children"]].set_index("unit_id")["target"]
    # SB2: 30 outlets × 10 = 300; BR and HQ inherit the same.
    assert {unit: by_unit[tree[unit].pk] for unit in ("SB2", "BR", "HQ")} == {"SB2": 300, "BR": 300, "HQ": 300}
