"""Targets, decomposed (指标分解, DOMAIN.md §4), with every figure worked out by hand in the comments.

The network of tests/conftest.py: GZ 广州分行 has the sub-branches GZ01 (outlets GZ0101, GZ0102) and
GZ02 (outlet GZ0201). Tests that need more children add GZ03 and a closed GZ04.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.utils import translation

from branches.models import UnitStatus
from kpi.models import Fact, RollupDay, Target, TargetChange
from kpi.services.decomposition import (
    SplitProblem,
    child_actuals,
    decomposition_apply,
    plan_over_children,
    plan_over_staff,
    plan_over_time,
    split_exact,
)
from kpi.services.targets import target_set
from lib.periods import parse_period
from staff.models import Role
from tests.factories import AssignmentFactory, OrgUnitFactory, StaffMemberFactory, UserFactory
from tests.kpi.factories import RollupDayFactory, metric

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """The services' messages are read here in English (they speak the reader's language: in zh-hans they
    are Chinese once the catalog translates them, as test_the_split_speaks_the_readers_language checks)."""
    with translation.override("en"):
        yield


def dec(*values) -> list[Decimal]:
    return [Decimal(str(value)) for value in values]


def set_target(code: str, period: str, value, *, unit=None, staff=None) -> Target:
    target, _created = target_set(
        metric=metric(code),
        period=parse_period(period),
        value=Decimal(str(value)),
        unit=unit,
        staff=staff,
        source="csv",
    )
    return target


def fact(day, unit, code, value, staff=None) -> None:
    Fact.objects.create(date=day, unit=unit, staff=staff, metric=metric(code), value=Decimal(str(value)))


def values(plan) -> dict[tuple[str, str], Decimal | None]:
    return {(part.code, part.period.code): part.value for part in plan}


def stored(code: str, period: str) -> dict[str, Decimal]:
    """The stored targets of a metric and period, by unit or staff code."""
    found = Target.objects.filter(metric__code=code, period=period).select_related("unit", "staff")
    return {(target.staff or target.unit).code: target.value for target in found}


@pytest.fixture
def gz(network):
    """GZ with a third active sub-branch GZ03 and a closed GZ04 (closed units get no share)."""
    OrgUnitFactory.sub_branch_of(network["GZ"], code="GZ03")
    OrgUnitFactory.sub_branch_of(network["GZ"], code="GZ04", status=UnitStatus.CLOSED)
    return network["GZ"]


# -- split_exact ---------------------------------------------------------------------------------------


class TestSplitExact:
    def test_equal_parts_give_the_rounding_remainder_to_the_last_of_the_largest(self):
        # 100 / 3 = 33.333… → 33.33 each = 99.99; the remaining 0.01 goes to the last equal part.
        assert split_exact(Decimal(100), dec(1, 1, 1)) == dec("33.33", "33.33", "33.34")

    def test_proportional_parts_add_up_exactly(self):
        # 1000 × 1/6 = 166.666… → 166.67; × 2/6 = 333.33; × 3/6 = 500.00; 166.67 + 333.33 + 500 = 1000.
        parts = split_exact(Decimal(1000), dec(1, 2, 3))
        assert parts == dec("166.67", "333.33", "500.00")
        assert sum(parts) == Decimal(1000)

    def test_a_negative_remainder_is_taken_from_the_largest_part(self):
        # 10 / 6 = 1.666… → 1.67 three times, 10 × 3/6 = 5.00: 10.01 in all, so the largest gives 0.01 back.
        assert split_exact(Decimal(10), dec(1, 1, 1, 3)) == dec("1.67", "1.67", "1.67", "4.99")

    def test_a_zero_weight_gets_nothing(self):
        assert split_exact(Decimal(50), dec(0, 1)) == dec(0, 50)

    def test_other_places(self):
        assert split_exact(Decimal(100), dec(1, 1, 1), places=0) == dec(33, 33, 34)

    def test_a_total_with_more_decimals_keeps_them_in_the_remainder(self):
        assert split_exact(Decimal("100.0001"), dec(1, 1, 1)) == dec("33.33", "33.33", "33.3401")

    @pytest.mark.parametrize(
        ("weights", "message"),
        [
            ([], "no weights"),
            (dec(0, 0), "add up to 0"),
            (dec(-1, 2), "0 or more"),
            ([Decimal("NaN")], "0 or more"),
        ],
    )
    def test_bad_weights_are_refused_with_what_is_expected(self, weights, message):
        with pytest.raises(ValueError, match=message):
            split_exact(Decimal(100), weights)


# -- over child units ------------------------------------------------------------------------------------


class TestOverChildren:
    def test_equally_over_the_active_children(self, gz):
        target = set_target("mobile_banking_signups", "2026", 100, unit=gz)
        plan = plan_over_children(target, method="equal")
        # GZ04 is closed: three parts, the remainder to the last.
        assert values(plan) == {
            ("GZ01", "2026"): Decimal("33.33"),
            ("GZ02", "2026"): Decimal("33.33"),
            ("GZ03", "2026"): Decimal("33.34"),
        }
        assert [part.share for part in plan] == dec("33.33", "33.33", "33.34")
        assert plan.total == Decimal(100)

    def test_in_proportion_to_the_childrens_flow_in_the_basis_period(self, network):
        gz = network["GZ"]
        # 2025: GZ01's outlets sold 60 + 40 + 100 = 200, GZ02's 100. Not counted: a 2026 fact, and a
        # staff fact (an outlet's value is its own fact).
        fact(D(2025, 3, 1), network["GZ0101"], "mobile_banking_signups", 60)
        fact(D(2025, 9, 1), network["GZ0101"], "mobile_banking_signups", 40)
        fact(D(2025, 6, 1), network["GZ0102"], "mobile_banking_signups", 100)
        fact(D(2025, 5, 1), network["GZ0201"], "mobile_banking_signups", 100)
        fact(D(2026, 1, 5), network["GZ0201"], "mobile_banking_signups", 999)
        teller = StaffMemberFactory()
        AssignmentFactory(staff=teller, unit=network["GZ0201"], start=D(2025, 1, 1))
        fact(D(2025, 5, 1), network["GZ0201"], "mobile_banking_signups", 500, staff=teller)
        target = set_target("mobile_banking_signups", "2026", 1000, unit=gz)

        plan = plan_over_children(target, method="proportional", basis_period=parse_period("2025"))

        # 1000 × 200/300 = 666.666… → 666.67; × 100/300 = 333.33; together 1000.
        assert values(plan) == {("GZ01", "2026"): Decimal("666.67"), ("GZ02", "2026"): Decimal("333.33")}
        assert [part.weight for part in plan] == dec(200, 100)

    def test_the_basis_period_defaults_to_the_period_before(self, network):
        fact(D(2025, 12, 31), network["GZ0101"], "mobile_banking_signups", 3)
        fact(D(2025, 12, 31), network["GZ0201"], "mobile_banking_signups", 1)
        target = set_target("mobile_banking_signups", "2026-01", 40, unit=network["GZ"])
        plan = plan_over_children(target, method="proportional")
        assert values(plan) == {("GZ01", "2026-01"): Decimal(30), ("GZ02", "2026-01"): Decimal(10)}

    def test_a_balance_is_split_in_proportion_to_the_balances_at_the_basis_periods_end(self, network):
        # GZ0101's latest 2025 balance is 1200; GZ0102 reported nothing in 2025, so its 2024 balance of
        # 800 carries forward; GZ01 holds 2000 and GZ02 1000. A balance adds up over units: 20000 / 10000.
        fact(D(2025, 6, 30), network["GZ0101"], "deposit_balance", 1000)
        fact(D(2025, 12, 20), network["GZ0101"], "deposit_balance", 1200)
        fact(D(2024, 12, 31), network["GZ0102"], "deposit_balance", 800)
        fact(D(2025, 12, 31), network["GZ0201"], "deposit_balance", 1000)
        target = set_target("deposit_balance", "2026", 30000, unit=network["GZ"])
        plan = plan_over_children(target, method="proportional", basis_period=parse_period("2025"))
        assert values(plan) == {("GZ01", "2026"): Decimal(20000), ("GZ02", "2026"): Decimal(10000)}

    def test_daily_averages_and_net_changes_of_a_basis_month(self, network):
        # November 2025 (30 days). GZ0101: 100 carried in from 10-31, 200 from 11-11: 10 × 100 + 20 × 200
        # = 5000, / 30 = 166.6667; net change 200 − 100 = 100. GZ0102: nothing before 11-21, then 300:
        # 10 × 300 / 30 = 100, and no net change without an opening balance. GZ0201: nothing at all.
        fact(D(2025, 10, 31), network["GZ0101"], "deposit_balance", 100)
        fact(D(2025, 11, 11), network["GZ0101"], "deposit_balance", 200)
        fact(D(2025, 11, 21), network["GZ0102"], "deposit_balance", 300)
        children = [network["GZ01"], network["GZ02"]]
        november = parse_period("2025-11")
        average = child_actuals(
            metric=metric("deposit_daily_avg"), parent=network["GZ"], children=children, period=november
        )
        change = child_actuals(
            metric=metric("deposit_growth"), parent=network["GZ"], children=children, period=november
        )
        assert average == {network["GZ01"].pk: Decimal("266.6667")}
        assert change == {network["GZ01"].pk: Decimal(100)}

    def test_a_child_without_any_basis_gets_no_share(self, gz, network):
        fact(
            D(2025, 3, 1), OrgUnitFactory.outlet_of(gz.children.get(code="GZ03"), code="GZ0301"), "customer_visits", 10
        )
        fact(D(2025, 3, 1), network["GZ0101"], "customer_visits", 30)
        target = set_target("customer_visits", "2026", 100, unit=gz)
        plan = plan_over_children(target, method="proportional", basis_period=parse_period("2025"))
        # GZ01 30, GZ03 10, GZ02 nothing: 75 / 25, and GZ02 is said to get no share.
        assert values(plan) == {("GZ01", "2026"): Decimal(75), ("GZ03", "2026"): Decimal(25)}
        assert any("GZ02" in note and "no share" in note for note in plan.notes)

    def test_no_basis_at_all_is_an_error(self, network):
        target = set_target("customer_visits", "2026", 100, unit=network["GZ"])
        with pytest.raises(SplitProblem, match="no child unit of GZ has an actual above 0 for customer_visits in 2025"):
            plan_over_children(target, method="proportional")

    def test_by_hand_the_parts_must_add_up_to_the_whole(self, network):
        target = set_target("mobile_banking_signups", "2026", 1000, unit=network["GZ"])
        plan = plan_over_children(target, method="manual", manual={"GZ01": Decimal(700), "GZ02": Decimal(300)})
        assert values(plan) == {("GZ01", "2026"): Decimal(700), ("GZ02", "2026"): Decimal(300)}
        with pytest.raises(SplitProblem, match=r"add up to 900, not to the target 1000 \(difference -100\)"):
            plan_over_children(target, method="manual", manual={"GZ01": Decimal(600), "GZ02": Decimal(300)})

    def test_by_hand_an_unknown_child_is_named(self, network):
        target = set_target("mobile_banking_signups", "2026", 1000, unit=network["GZ"])
        with pytest.raises(SplitProblem, match="SZ01: not an active child unit of GZ"):
            plan_over_children(target, method="manual", manual={"GZ01": Decimal(1000), "SZ01": Decimal(0)})

    def test_a_ratio_is_a_level_every_child_gets(self, network):
        target = set_target("satisfaction_rate", "2026", 85, unit=network["GZ"])
        plan = plan_over_children(target, method="equal")
        assert values(plan) == {("GZ01", "2026"): Decimal(85), ("GZ02", "2026"): Decimal(85)}
        assert not plan.adds_up and [part.share for part in plan] == [None, None]
        # By hand each child may get its own level; nothing has to add up.
        plan = plan_over_children(target, method="manual", manual={"GZ01": Decimal(88), "GZ02": Decimal(82)})
        assert values(plan) == {("GZ01", "2026"): Decimal(88), ("GZ02", "2026"): Decimal(82)}

    def test_an_outlet_has_no_children_and_a_staff_target_none_at_all(self, network, teller):
        outlet_target = set_target("mobile_banking_signups", "2026", 10, unit=network["GZ0101"])
        with pytest.raises(SplitProblem, match="unit GZ0101 has no active child units"):
            plan_over_children(outlet_target)
        staff_target = set_target("mobile_banking_signups", "2026", 10, staff=teller.staff_member)
        with pytest.raises(SplitProblem, match="staff member's target"):
            plan_over_children(staff_target)

    def test_the_plan_shows_old_values_and_writes_nothing(self, network):
        set_target("mobile_banking_signups", "2026", 400, unit=network["GZ01"])
        target = set_target("mobile_banking_signups", "2026", 1000, unit=network["GZ"])
        changes = TargetChange.objects.count()
        plan = plan_over_children(target, method="equal")
        assert [(part.code, part.old_value, part.value) for part in plan] == [
            ("GZ01", Decimal(400), Decimal(500)),
            ("GZ02", None, Decimal(500)),
        ]
        assert stored("mobile_banking_signups", "2026") == {"GZ": Decimal(1000), "GZ01": Decimal(400)}
        assert TargetChange.objects.count() == changes


# -- over time -------------------------------------------------------------------------------------------


class TestOverTime:
    def test_a_year_into_equal_months_puts_the_remainder_in_december(self, network):
        target = set_target("mobile_banking_signups", "2026", 100, unit=network["GZ0101"])
        plan = plan_over_time(target, into="month")
        # 100 / 12 = 8.333… → 8.33 × 12 = 99.96: December takes 8.33 + 0.04 = 8.37.
        assert [part.period.code for part in plan] == [f"2026-{month:02d}" for month in range(1, 13)]
        assert [part.value for part in plan] == dec(*["8.33"] * 11, "8.37")
        assert plan.total == Decimal(100)

    def test_a_year_into_quarters_by_seasonal_weights(self, network):
        target = set_target("insurance_premium", "2026", 1000, unit=network["GZ0101"])
        plan = plan_over_time(target, into="quarter", weights=dec(1, 2, 3, 4))
        assert values(plan) == {
            ("GZ0101", "2026-Q1"): Decimal(100),
            ("GZ0101", "2026-Q2"): Decimal(200),
            ("GZ0101", "2026-Q3"): Decimal(300),
            ("GZ0101", "2026-Q4"): Decimal(400),
        }

    def test_a_quarter_into_months_and_a_month_weighted_zero_gets_no_target(self, network):
        target = set_target("insurance_premium", "2026-Q4", 90, unit=network["GZ0101"])
        plan = plan_over_time(target, into="month", weights=dec(1, 2, 0))
        assert values(plan) == {("GZ0101", "2026-10"): Decimal(30), ("GZ0101", "2026-11"): Decimal(60)}

    def test_a_staff_members_year_splits_too(self, teller):
        target = set_target("mobile_banking_signups", "2026", 40, staff=teller.staff_member)
        plan = plan_over_time(target, into="quarter")
        assert values(plan) == {("S1001", f"2026-Q{quarter}"): Decimal(10) for quarter in range(1, 5)}

    def test_a_level_is_the_same_in_every_quarter(self, network):
        target = set_target("deposit_balance", "2026", 50000, unit=network["GZ0101"])
        plan = plan_over_time(target, into="quarter", weights=dec(1, 1, 1, 2))
        assert [part.value for part in plan] == dec(50000, 50000, 50000, 50000)
        assert not plan.adds_up

    def test_the_number_of_weights_must_match(self, network):
        target = set_target("insurance_premium", "2026", 1200, unit=network["GZ0101"])
        with pytest.raises(SplitProblem, match="12 weights are needed, one per month of 2026 in calendar order; got 4"):
            plan_over_time(target, into="month", weights=dec(1, 1, 1, 1))
        with pytest.raises(SplitProblem, match="0 or more"):
            plan_over_time(target, into="quarter", weights=dec(1, 1, -1, 1))

    def test_only_years_and_quarters_split_over_time(self, network):
        target = set_target("insurance_premium", "2026-11", 100, unit=network["GZ0101"])
        with pytest.raises(SplitProblem, match="a month target \\(2026-11\\) cannot be split into months"):
            plan_over_time(target, into="month")
        year = set_target("insurance_premium", "2026", 100, unit=network["GZ0101"])
        with pytest.raises(
            SplitProblem, match="cannot be split into weeks; a year target splits into quarters or months"
        ):
            plan_over_time(year, into="week")
        with pytest.raises(SplitProblem, match="'fortnight' is not a period kind to split into"):
            plan_over_time(year, into="fortnight")


# -- over staff --------------------------------------------------------------------------------------------


@pytest.fixture
def outlet_staff(network):
    """GZ0101 in November 2026: 王 a wealth manager all month, 李 a teller all month, 张 a teller from the
    16th, 赵 the lobby manager; 钱 left in October; 孙 works at GZ0102."""
    outlet = network["GZ0101"]
    people = {}
    for name, post, start, end, unit in [
        ("WANG", "wealth_manager", D(2026, 1, 1), None, outlet),
        ("LI", "teller", D(2026, 1, 1), None, outlet),
        ("ZHANG", "teller", D(2026, 11, 16), None, outlet),
        ("ZHAO", "lobby_manager", D(2026, 1, 1), None, outlet),
        ("QIAN", "teller", D(2026, 1, 1), D(2026, 10, 31), outlet),
        ("SUN", "teller", D(2026, 1, 1), None, network["GZ0102"]),
    ]:
        people[name] = StaffMemberFactory(code=name)
        AssignmentFactory(staff=people[name], post=post, unit=unit, start=start, end=end)
    return people


WEIGHTS = {"wealth_manager": Decimal(2), "teller": Decimal(1), "lobby_manager": Decimal(0)}


class TestOverStaff:
    def test_by_post_weight_and_days_assigned(self, network, outlet_staff):
        target = set_target("mobile_banking_signups", "2026-11", 100, unit=network["GZ0101"])
        plan = plan_over_staff(target, post_weights=WEIGHTS)
        # Weighted days: 王 2 × 30 = 60, 李 1 × 30 = 30, 张 1 × 15 = 15; 105 in all. 赵's post weighs 0.
        # 100 × 60/105 = 57.142… → 57.14; × 30/105 = 28.571… → 28.57; × 15/105 = 14.285… → 14.29; = 100.
        assert values(plan) == {
            ("LI", "2026-11"): Decimal("28.57"),
            ("WANG", "2026-11"): Decimal("57.14"),
            ("ZHANG", "2026-11"): Decimal("14.29"),
        }
        assert {part.code: part.weight for part in plan} == {"LI": 30, "WANG": 60, "ZHANG": 15}
        assert "15 of 30 days" in next(part.basis for part in plan if part.code == "ZHANG")

    def test_every_post_held_needs_a_weight(self, network, outlet_staff):
        target = set_target("mobile_banking_signups", "2026-11", 100, unit=network["GZ0101"])
        with pytest.raises(SplitProblem, match=r"lobby_manager \(held by ZHAO\)"):
            plan_over_staff(target, post_weights={"wealth_manager": Decimal(1), "teller": Decimal(1)})
        with pytest.raises(SplitProblem, match="unknown post cashier"):
            plan_over_staff(target, post_weights={**WEIGHTS, "cashier": Decimal(1)})

    def test_a_metric_not_measured_per_staff_member_is_refused(self, network, outlet_staff):
        target = set_target("deposit_balance", "2026-11", 100, unit=network["GZ0101"])
        with pytest.raises(SplitProblem, match="'deposit_balance' is not measured per staff member"):
            plan_over_staff(target, post_weights=WEIGHTS)

    def test_an_outlet_without_staff_is_an_error(self, network):
        target = set_target("mobile_banking_signups", "2026-11", 100, unit=network["SZ0101"])
        with pytest.raises(SplitProblem, match="nobody is assigned to outlet SZ0101 during 2026-11"):
            plan_over_staff(target, post_weights=WEIGHTS)

    def test_only_an_outlets_target_splits_over_staff(self, network):
        target = set_target("mobile_banking_signups", "2026-11", 100, unit=network["GZ01"])
        with pytest.raises(SplitProblem, match="only an outlet's target is split over its staff"):
            plan_over_staff(target, post_weights=WEIGHTS)


# -- writing -----------------------------------------------------------------------------------------------


class TestApply:
    def test_every_part_is_written_through_the_audit_trail_as_a_split(self, gz, hq_admin):
        RollupDayFactory(date=D(2026, 3, 1))
        target = set_target("mobile_banking_signups", "2026", 100, unit=gz)
        result = decomposition_apply(plan=plan_over_children(target), changed_by=hq_admin)

        assert (result.created, result.updated, result.unchanged, result.removed) == (3, 0, 0, 0)
        assert stored("mobile_banking_signups", "2026") == {
            "GZ": Decimal(100),
            "GZ01": Decimal("33.33"),
            "GZ02": Decimal("33.33"),
            "GZ03": Decimal("33.34"),
        }
        changes = TargetChange.objects.filter(source="split").order_by("entity_code")
        assert [(c.entity_code, c.old_value, c.new_value, c.changed_by) for c in changes] == [
            ("GZ01", None, Decimal("33.33"), hq_admin),
            ("GZ02", None, Decimal("33.33"), hq_admin),
            ("GZ03", None, Decimal("33.34"), hq_admin),
        ]
        assert set(target.parts.values_list("unit__code", flat=True)) == {"GZ01", "GZ02", "GZ03"}
        # Scorecards of 2026 showed the old targets: the rollup must run again.
        assert RollupDay.objects.get(date=D(2026, 3, 1)).stale_since is not None

    def test_a_resplit_replaces_the_earlier_split_and_removes_a_part_it_no_longer_covers(self, gz, hq_admin):
        target = set_target("mobile_banking_signups", "2026", 100, unit=gz)
        decomposition_apply(plan=plan_over_children(target), changed_by=hq_admin)

        manual = {"GZ01": Decimal(60), "GZ02": Decimal(40)}
        plan = plan_over_children(target, method="manual", manual=manual)
        # The preview says GZ03's part goes.
        assert [(part.code, part.old_value, part.value) for part in plan] == [
            ("GZ01", Decimal("33.33"), Decimal(60)),
            ("GZ02", Decimal("33.33"), Decimal(40)),
            ("GZ03", Decimal("33.34"), None),
        ]
        result = decomposition_apply(plan=plan, changed_by=hq_admin)

        assert (result.created, result.updated, result.removed) == (0, 2, 1)
        assert stored("mobile_banking_signups", "2026") == {
            "GZ": Decimal(100),
            "GZ01": Decimal(60),
            "GZ02": Decimal(40),
        }
        removal = TargetChange.objects.get(entity_code="GZ03", new_value=None)
        assert (removal.old_value, removal.source, removal.changed_by) == (Decimal("33.34"), "split", hq_admin)

    def test_a_resplit_leaves_a_target_set_by_hand_alone(self, network, hq_admin):
        set_target("customer_visits", "2026", 5, unit=network["GZ02"])
        fact(D(2025, 3, 1), network["GZ0101"], "customer_visits", 10)
        target = set_target("customer_visits", "2026", 100, unit=network["GZ"])
        decomposition_apply(plan=plan_over_children(target, method="proportional"), changed_by=hq_admin)
        # GZ02 had no actual in 2025, so no share; its own target was not part of any split and stays.
        assert stored("customer_visits", "2026") == {"GZ": Decimal(100), "GZ01": Decimal(100), "GZ02": Decimal(5)}

    def test_a_resplit_over_staff_removes_those_no_longer_in_it(self, network, outlet_staff, hq_admin):
        target = set_target("mobile_banking_signups", "2026-11", 100, unit=network["GZ0101"])
        decomposition_apply(plan=plan_over_staff(target, post_weights=WEIGHTS), changed_by=hq_admin)
        assert set(stored("mobile_banking_signups", "2026-11")) == {"GZ0101", "WANG", "LI", "ZHANG"}

        # Tellers left out: 王 alone carries the outlet's 100; 李 and 张 lose theirs.
        plan = plan_over_staff(target, post_weights={**WEIGHTS, "teller": Decimal(0)})
        assert [(part.code, part.value) for part in plan.removals] == [("LI", None), ("ZHANG", None)]
        result = decomposition_apply(plan=plan, changed_by=hq_admin)

        assert (result.updated, result.removed) == (1, 2)
        assert stored("mobile_banking_signups", "2026-11") == {"GZ0101": Decimal(100), "WANG": Decimal(100)}
        removed = TargetChange.objects.filter(source="split", new_value=None)
        assert set(removed.values_list("entity_code", flat=True)) == {"LI", "ZHANG"}

    def test_months_replace_months_and_leave_the_quarters_alone(self, network, hq_admin):
        target = set_target("insurance_premium", "2026", 1200, unit=network["GZ0101"])
        decomposition_apply(plan=plan_over_time(target, into="quarter"), changed_by=hq_admin)
        decomposition_apply(plan=plan_over_time(target, into="month"), changed_by=hq_admin)
        again = decomposition_apply(
            plan=plan_over_time(target, into="month", weights=dec(*[1] * 11, 0)), changed_by=hq_admin
        )
        # 1200 over 11 months: 109.0909… → 109.09 × 11 = 1199.99, November takes 109.10; December goes.
        assert (again.updated, again.removed) == (11, 1)
        quarters = Target.objects.filter(metric__code="insurance_premium", period_kind="quarter")
        assert sorted(quarters.values_list("value", flat=True)) == dec(300, 300, 300, 300)
        months = dict(
            Target.objects.filter(metric__code="insurance_premium", period_kind="month").values_list("period", "value")
        )
        assert len(months) == 11 and "2026-12" not in months
        assert months["2026-11"] == Decimal("109.10") and months["2026-01"] == Decimal("109.09")
        assert sum(months.values()) == Decimal(1200)

    def test_the_same_split_again_changes_nothing(self, network, hq_admin):
        target = set_target("insurance_premium", "2026", 1200, unit=network["GZ0101"])
        decomposition_apply(plan=plan_over_time(target, into="quarter"), changed_by=hq_admin)
        changes = TargetChange.objects.count()
        result = decomposition_apply(plan=plan_over_time(target, into="quarter"), changed_by=hq_admin)
        assert (result.created, result.updated, result.unchanged, result.removed) == (0, 0, 4, 0)
        assert TargetChange.objects.count() == changes

    def test_a_plan_made_before_the_target_changed_is_refused(self, network, hq_admin):
        target = set_target("insurance_premium", "2026", 1200, unit=network["GZ0101"])
        plan = plan_over_time(target, into="quarter")
        set_target("insurance_premium", "2026", 1000, unit=network["GZ0101"])
        with pytest.raises(ValidationError, match="changed since this split was planned"):
            decomposition_apply(plan=plan, changed_by=hq_admin)
        assert not Target.objects.filter(period_kind="quarter").exists()

    def test_a_part_of_another_split_is_taken_over_and_said_so(self, network, outlet_staff, hq_admin):
        # 孙 also serves GZ0101 from November: the split of GZ0102's target gave him 50; GZ0101's split
        # takes his one November target over.
        AssignmentFactory(staff=outlet_staff["SUN"], post="teller", unit=network["GZ0101"], start=D(2026, 11, 1))
        other = set_target("mobile_banking_signups", "2026-11", 50, unit=network["GZ0102"])
        decomposition_apply(plan=plan_over_staff(other, post_weights={"teller": Decimal(1)}), changed_by=hq_admin)
        target = set_target("mobile_banking_signups", "2026-11", 135, unit=network["GZ0101"])
        plan = plan_over_staff(target, post_weights=WEIGHTS)
        sun = next(part for part in plan if part.code == "SUN")
        assert sun.old_value == Decimal(50) and "now a part of the split of 2026-11 GZ0102" in sun.note
        decomposition_apply(plan=plan, changed_by=hq_admin)
        assert Target.objects.get(staff=outlet_staff["SUN"]).split_from == target


# -- the admin page ------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(username="zhang.guodong", first_name="张国栋", is_staff=True, is_superuser=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def split_url(target: Target) -> str:
    return f"/admin/kpi/target/{target.pk}/split/"


class TestAdminSplitPage:
    def test_the_change_page_links_to_the_split(self, admin_client, network):
        target = set_target("mobile_banking_signups", "2026", 1000, unit=network["GZ"])
        response = admin_client.get(f"/admin/kpi/target/{target.pk}/change/")
        assert split_url(target) in response.content.decode()

    def test_the_form_offers_the_ways_that_fit_the_target(self, admin_client, network):
        target = set_target("mobile_banking_signups", "2026", 1000, unit=network["GZ"])
        response = admin_client.get(split_url(target))
        assert response.status_code == 200
        choices = [value for value, _label in response.context["form"].fields["how"].choices]
        assert choices == ["children_equal", "children_proportional", "children_manual", "quarter", "month"]
        outlet_month = set_target("mobile_banking_signups", "2026-11", 10, unit=network["GZ0101"])
        choices = [
            value for value, _label in admin_client.get(split_url(outlet_month)).context["form"].fields["how"].choices
        ]
        assert choices == ["staff"]

    def test_the_preview_shows_every_part_and_saves_nothing(self, admin_client, network):
        set_target("mobile_banking_signups", "2026", 400, unit=network["GZ01"])
        target = set_target("mobile_banking_signups", "2026", 1000, unit=network["GZ"])
        changes = TargetChange.objects.count()

        response = admin_client.post(split_url(target), {"how": "children_equal", "_preview": "Preview"})

        assert response.status_code == 200
        page = response.content.decode()
        assert "GZ01 Tianhe Sub-branch" in page and "GZ02 Conghua Sub-branch" in page
        assert [(part.code, part.old_value, part.value) for part in response.context["plan"]] == [
            ("GZ01", Decimal(400), Decimal(500)),
            ("GZ02", None, Decimal(500)),
        ]
        assert 'name="_confirm"' in page
        assert stored("mobile_banking_signups", "2026") == {"GZ": Decimal(1000), "GZ01": Decimal(400)}
        assert TargetChange.objects.count() == changes

    def test_confirming_the_preview_saves_it(self, admin_client, network):
        target = set_target("mobile_banking_signups", "2026", 1000, unit=network["GZ"])
        form = {"how": "children_manual", "part_GZ01": "700", "part_GZ02": "300"}
        preview = admin_client.post(split_url(target), {**form, "_preview": "Preview"})

        response = admin_client.post(
            split_url(target), {**form, "fingerprint": preview.context["fingerprint"], "_confirm": "Save"}
        )

        assert response.status_code == 302
        assert stored("mobile_banking_signups", "2026") == {"GZ": 1000, "GZ01": 700, "GZ02": 300}
        assert TargetChange.objects.filter(source="split").count() == 2

    def test_a_confirmation_of_a_different_preview_is_shown_again_not_saved(self, admin_client, network):
        target = set_target("mobile_banking_signups", "2026", 1000, unit=network["GZ"])
        form = {"how": "children_manual", "part_GZ01": "700", "part_GZ02": "300", "fingerprint": "GZ01:2026:500"}
        response = admin_client.post(split_url(target), {**form, "_confirm": "Save"})
        assert response.status_code == 200
        assert "The parts changed since the preview" in response.content.decode()
        assert set(stored("mobile_banking_signups", "2026")) == {"GZ"}

    def test_manual_parts_that_do_not_add_up_are_shown_on_the_form(self, admin_client, network):
        target = set_target("mobile_banking_signups", "2026", 1000, unit=network["GZ"])
        response = admin_client.post(
            split_url(target), {"how": "children_manual", "part_GZ01": "600", "part_GZ02": "300", "_preview": "1"}
        )
        assert response.status_code == 200
        assert "the parts add up to 900, not to the target 1000" in response.content.decode()
        assert response.context["plan"] is None

    def test_bad_weights_are_shown_on_the_form(self, admin_client, network):
        target = set_target("insurance_premium", "2026", 1000, unit=network["GZ0101"])
        response = admin_client.post(split_url(target), {"how": "month", "weights": "1 2 x", "_preview": "1"})
        assert "Weights are numbers separated by spaces or commas" in response.content.decode()
        response = admin_client.post(split_url(target), {"how": "month", "weights": "1 2 3", "_preview": "1"})
        assert "12 weights are needed" in response.content.decode()

    def test_the_list_action_leads_to_the_split_of_one_target(self, admin_client, network):
        target = set_target("mobile_banking_signups", "2026", 1000, unit=network["GZ"])
        response = admin_client.post("/admin/kpi/target/", {"action": "split_target", "_selected_action": [target.pk]})
        assert response.status_code == 302 and response["Location"].endswith(split_url(target))

    def test_only_who_may_change_targets_can_split(self, client, network):
        viewer = UserFactory(is_staff=True, role=Role.HQ_ADMIN, unit=network["HQ"])
        viewer.user_permissions.add(Permission.objects.get(codename="view_target"))
        client.force_login(viewer)
        target = set_target("mobile_banking_signups", "2026", 1000, unit=network["GZ"])
        assert client.get(split_url(target)).status_code == 403

    def test_a_unit_manager_splits_inside_their_subtree_only(self, client, network, unit_manager):
        unit_manager.is_staff = True
        unit_manager.save()
        unit_manager.user_permissions.add(*Permission.objects.filter(codename__in=["view_target", "change_target"]))
        client.force_login(unit_manager)
        own = set_target("mobile_banking_signups", "2026", 100, unit=network["GZ01"])
        above = set_target("mobile_banking_signups", "2026", 1000, unit=network["GZ"])
        assert client.get(split_url(own)).status_code == 200
        assert client.get(split_url(above)).status_code == 404


def test_the_split_speaks_the_readers_language(network, monkeypatch):
    """Every message, basis and note of a split goes through gettext (issue 14: the admin showed them in
    English on Chinese pages); with a catalog that translates them, they read in Chinese."""
    from kpi.services import decomposition

    chinese = {
        "equal": "平均分配",
        "the weights add up to 0: give at least one weight above 0": "权重合计为 0：请至少给出一个大于 0 的权重",
        "unit %(unit)s has no active child units to split its target over": "%(unit)s 没有可分解的在用下级机构",
    }
    monkeypatch.setattr(decomposition, "gettext", lambda msgid: chinese.get(msgid, msgid))
    target = set_target("mobile_banking_signups", "2026", 1000, unit=network["GZ"])
    leaf = set_target("mobile_banking_signups", "2026", 10, unit=network["GZ0101"])

    plan = plan_over_children(target, method="equal")
    with pytest.raises(SplitProblem) as no_weight:
        split_exact(Decimal(100), dec(0, 0))
    with pytest.raises(SplitProblem) as no_children:
        plan_over_children(leaf, method="equal")

    assert {part.basis for part in plan} == {"平均分配"}
    assert str(no_weight.value) == "权重合计为 0：请至少给出一个大于 0 的权重"
    assert str(no_children.value) == "GZ0101 没有可分解的在用下级机构"
