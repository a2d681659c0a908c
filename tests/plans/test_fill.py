"""Filling a plan's grid (plans.services.fill), every figure worked out by hand from tests/plans/conftest.py:
天河支行 GZ01 plans December 2026 over its outlets GZ0101, GZ0102, GZ0103 and GZ0101's staff."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from lib.periods import parse_period
from plans.models import PlanCell
from plans.services.cells import CellInput, PlanProblems, plan_cells_save, plan_create
from plans.services.fill import basis_choices, plan_fill, plan_fill_time
from tests.kpi.factories import metric

D = datetime.date
DECEMBER = parse_period("2026-12")
pytestmark = pytest.mark.django_db


def proposals(plan, period: str = "2026-12") -> dict[str, Decimal]:
    return {
        (cell.staff.code if cell.staff_id else cell.unit.code): cell.value
        for cell in PlanCell.objects.filter(plan=plan, period=period, metric__code=plan._metric)
    }


def bases(plan, period: str = "2026-12") -> dict[str, str]:
    return {
        (cell.staff.code if cell.staff_id else cell.unit.code): cell.basis
        for cell in PlanCell.objects.filter(plan=plan, period=period, metric__code=plan._metric)
    }


def december_plan(scope, unit, code="deposit_growth", total="1000", period=DECEMBER):
    plan = plan_create(scope=scope, unit=unit, period=period, metrics=[metric(code)])
    plan._metric = code
    if total is not None:
        plan_cells_save(
            scope=scope,
            plan=plan,
            cells=[CellInput(unit=unit, metric=metric(code), period=period, value=Decimal(total))],
        )
    return plan


def test_equal_shares_add_up_exactly_with_the_remainder_on_the_last_largest_part(october, network, hq_scope):
    plan = december_plan(hq_scope, network["GZ01"])

    plan_fill(scope=hq_scope, plan=plan, level=network["GZ01"], metrics=[metric("deposit_growth")], method="equal")

    # 1000 / 3 = 333.33…: 333.33 + 333.33 + 333.34 = 1000; the remainder 0.01 on the last of equal parts.
    assert proposals(plan) == {
        "GZ01": Decimal("1000"),
        "GZ0101": Decimal("333.33"),
        "GZ0102": Decimal("333.33"),
        "GZ0103": Decimal("333.34"),
    }
    assert bases(plan)["GZ0101"] == "equal"


def test_a_negative_basis_is_floored_at_zero_with_a_note_and_no_share(october, network, hq_scope):
    plan = december_plan(hq_scope, network["GZ01"])

    with translation.override("en"):
        result = plan_fill(
            scope=hq_scope,
            plan=plan,
            level=network["GZ01"],
            metrics=[metric("deposit_growth")],
            method="basis",
            basis_period=parse_period("2026-10"),
        )

    # October's growth +300, −50, +100: weights 300, 0, 100 → 1000 × 3/4 = 750, 0, 1000 × 1/4 = 250.
    assert proposals(plan)["GZ0101"] == Decimal("750.00")
    assert proposals(plan)["GZ0102"] == Decimal("0.00")
    assert proposals(plan)["GZ0103"] == Decimal("250.00")
    assert bases(plan)["GZ0102"] == "floored:2026-10"
    assert bases(plan)["GZ0101"] == "share:2026-10"
    assert any("Zhujiang New Town Outlet (-50)" in note and "counted as 0" in note for note in result.notes), (
        result.notes
    )


def test_a_negative_basis_can_make_the_whole_level_equal_instead(october, network, hq_scope):
    plan = december_plan(hq_scope, network["GZ01"])

    plan_fill(
        scope=hq_scope,
        plan=plan,
        level=network["GZ01"],
        metrics=[metric("deposit_growth")],
        method="basis",
        basis_period=parse_period("2026-10"),
        on_nonpositive="equal",
    )

    assert [proposals(plan)[code] for code in ("GZ0101", "GZ0102", "GZ0103")] == [
        Decimal("333.33"),
        Decimal("333.33"),
        Decimal("333.34"),
    ]
    assert set(bases(plan).values()) - {"hand"} == {"fallback:2026-10"}


def test_the_basis_must_be_a_complete_earlier_period(october, network, hq_scope):
    plan = december_plan(hq_scope, network["GZ01"])

    # Rolled up through 31 October: October is the newest complete month; November is not over.
    assert [period.code for period in basis_choices(plan)][:2] == ["2026-10", "2026-09"]
    with pytest.raises(PlanProblems) as refused:
        plan_fill(
            scope=hq_scope,
            plan=plan,
            level=network["GZ01"],
            metrics=[metric("deposit_growth")],
            method="basis",
            basis_period=parse_period("2026-11"),
        )
    assert refused.value.problems[0].where == "basis"


def test_a_proportional_split_of_sign_ups_follows_last_months_actuals_exactly(october, network, hq_scope):
    plan = december_plan(hq_scope, network["GZ01"], code="mobile_banking_signups", total="100")

    plan_fill(
        scope=hq_scope,
        plan=plan,
        level=network["GZ01"],
        metrics=[metric("mobile_banking_signups")],
        method="basis",
        basis_period=parse_period("2026-10"),
    )

    # 60 : 30 : 10 of 100 → 60, 30, 10 exactly.
    assert [proposals(plan)[code] for code in ("GZ0101", "GZ0102", "GZ0103")] == [
        Decimal("60.00"),
        Decimal("30.00"),
        Decimal("10.00"),
    ]


def test_copy_last_period_multiplies_its_targets_by_the_growth_factor(october, network, hq_scope):
    from kpi.services.targets import target_set

    for code, value in (("GZ0101", "200"), ("GZ0102", "150.50")):
        target_set(
            metric=metric("deposit_growth"),
            period=parse_period("2026-11"),
            value=Decimal(value),
            unit=network[code],
            source="admin",
        )
    plan = december_plan(hq_scope, network["GZ01"], total=None)

    with translation.override("en"):
        result = plan_fill(
            scope=hq_scope,
            plan=plan,
            level=network["GZ01"],
            metrics=[metric("deposit_growth")],
            method="copy",
            factor=Decimal("1.05"),
        )

    # 200 × 1.05 = 210.00; 150.50 × 1.05 = 158.025 → 158.03 (half up); GZ0103 had no November target.
    assert proposals(plan) == {"GZ0101": Decimal("210.00"), "GZ0102": Decimal("158.03")}
    assert any("GZ0103" in note for note in result.notes)


def test_a_cascade_fills_outlets_and_their_staff_in_one_go_and_leaves_out_outlet_only_metrics(
    october, network, hq_scope
):
    plan = plan_create(
        scope=hq_scope,
        unit=network["GZ01"],
        period=DECEMBER,
        metrics=[metric("mobile_banking_signups"), metric("deposit_growth")],
    )
    plan_cells_save(
        scope=hq_scope,
        plan=plan,
        cells=[
            CellInput(
                unit=network["GZ01"], metric=metric("mobile_banking_signups"), period=DECEMBER, value=Decimal(100)
            ),
            CellInput(unit=network["GZ01"], metric=metric("deposit_growth"), period=DECEMBER, value=Decimal(1000)),
        ],
    )

    plan_fill(
        scope=hq_scope,
        plan=plan,
        level=network["GZ01"],
        metrics=[metric("mobile_banking_signups"), metric("deposit_growth")],
        method="basis",
        basis_period=parse_period("2026-10"),
        cascade=True,
    )

    plan._metric = "mobile_banking_signups"
    # Outlets 60 / 30 / 10 as above; GZ0101's 60 over its staff by their October 20 : 30 : 0 → 24, 36, 0.
    assert proposals(plan) == {
        "GZ01": Decimal("100"),
        "GZ0101": Decimal("60.00"),
        "GZ0102": Decimal("30.00"),
        "GZ0103": Decimal("10.00"),
        "S1001": Decimal("24.00"),
        "S1002": Decimal("36.00"),
        "S1003": Decimal("0.00"),
    }
    # Deposit growth is not measured per staff member: no staff cell at all.
    assert not PlanCell.objects.filter(plan=plan, metric__code="deposit_growth", staff__isnull=False).exists()


def test_a_year_goes_into_months_by_seasonal_weights_adding_up_exactly(network, hq_scope):
    year = parse_period("2027")
    plan = december_plan(hq_scope, network["GZ01"], total="1200", period=year)
    weights = [Decimal(3), Decimal(2), *[Decimal(1)] * 10]

    plan_fill_time(
        scope=hq_scope,
        plan=plan,
        level=network["GZ01"],
        metrics=[metric("deposit_growth")],
        into="month",
        weights=weights,
    )

    months = {
        cell.period: cell.value
        for cell in PlanCell.objects.filter(plan=plan, unit=network["GZ01"], period_kind="month")
    }
    # Weights add up to 15: January 1200 × 3/15 = 240, February 160, the others 80 each; 240 + 160 + 10 × 80 = 1200.
    assert months["2027-01"] == Decimal("240.00")
    assert months["2027-02"] == Decimal("160.00")
    assert months["2027-12"] == Decimal("80.00")
    assert sum(months.values()) == Decimal("1200")


def test_equal_shares_of_sign_ups_are_whole_with_the_remainder_on_the_last_largest_part(october, network, hq_scope):
    plan = december_plan(hq_scope, network["GZ01"], code="mobile_banking_signups", total="100")

    plan_fill(
        scope=hq_scope, plan=plan, level=network["GZ01"], metrics=[metric("mobile_banking_signups")], method="equal"
    )

    # 100 户 / 3 = 33.33…: a sign-up is whole, so 33 + 33 + 34 = 100 (the remainder 1 on the last), not 33.33.
    assert [proposals(plan)[code] for code in ("GZ0101", "GZ0102", "GZ0103")] == [33, 33, 34]


def test_a_proportional_split_of_sign_ups_is_whole_and_adds_up(october, network, hq_scope):
    plan = december_plan(hq_scope, network["GZ01"], code="mobile_banking_signups", total="101")

    plan_fill(
        scope=hq_scope,
        plan=plan,
        level=network["GZ01"],
        metrics=[metric("mobile_banking_signups")],
        method="basis",
        basis_period=parse_period("2026-10"),
    )

    # 101 by October's 60 : 30 : 10 → 60.6, 30.3, 10.1 → 61, 30, 10 (half up), adding up to 101.
    assert [proposals(plan)[code] for code in ("GZ0101", "GZ0102", "GZ0103")] == [61, 30, 10]


def test_a_copy_of_last_months_sign_ups_is_rounded_half_up_to_a_whole(october, network, hq_scope):
    from kpi.services.targets import target_set

    for code, value in (("GZ0101", "25"), ("GZ0102", "30")):
        target_set(
            metric=metric("mobile_banking_signups"),
            period=parse_period("2026-11"),
            value=Decimal(value),
            unit=network[code],
            source="admin",
        )
    plan = december_plan(hq_scope, network["GZ01"], code="mobile_banking_signups", total=None)

    plan_fill(
        scope=hq_scope,
        plan=plan,
        level=network["GZ01"],
        metrics=[metric("mobile_banking_signups")],
        method="copy",
        factor=Decimal("1.05"),
    )

    # 25 × 1.05 = 26.25 → 26; 30 × 1.05 = 31.5 → 32 (half up).
    assert proposals(plan) == {"GZ0101": Decimal(26), "GZ0102": Decimal(32)}


def test_a_year_of_sign_ups_goes_into_whole_months(network, hq_scope):
    year = parse_period("2027")
    plan = december_plan(hq_scope, network["GZ01"], code="mobile_banking_signups", total="1000", period=year)

    plan_fill_time(
        scope=hq_scope, plan=plan, level=network["GZ01"], metrics=[metric("mobile_banking_signups")], into="month"
    )

    months = dict(
        PlanCell.objects.filter(plan=plan, unit=network["GZ01"], period_kind="month").values_list("period", "value")
    )
    # 1000 / 12 = 83.33…: 83 a month, and December, the last of equal parts, 83 + (1000 − 12 × 83) = 87.
    assert [months[f"2027-{month:02}"] for month in range(1, 12)] == [83] * 11
    assert months["2027-12"] == 87


def test_a_unit_manager_plans_only_the_weeks_of_their_own_subtree(network, manager_scope):
    with pytest.raises(PermissionDenied):
        plan_create(scope=manager_scope, unit=network["GZ01"], period=DECEMBER, metrics=[metric("deposit_growth")])
    with pytest.raises(PermissionDenied):
        plan_create(
            scope=manager_scope,
            unit=network["GZ02"],
            period=parse_period("2026-W50"),
            metrics=[metric("deposit_growth")],
        )
    week = plan_create(
        scope=manager_scope, unit=network["GZ01"], period=parse_period("2026-W50"), metrics=[metric("deposit_growth")]
    )
    assert week.period == "2026-W50"


def test_a_staff_cell_of_a_metric_not_measured_per_staff_member_is_refused_with_the_others(network, hq_scope, teller):
    from staff.models import StaffMember

    plan = december_plan(hq_scope, network["GZ01"], total=None)
    with translation.override("en"), pytest.raises(PlanProblems) as refused:
        plan_cells_save(
            scope=hq_scope,
            plan=plan,
            cells=[
                CellInput(
                    unit=network["GZ0101"],
                    staff=StaffMember.objects.get(code="S1001"),
                    metric=metric("deposit_growth"),
                    period=DECEMBER,
                    value=Decimal(5),
                    where="S1001",
                ),
                CellInput(
                    unit=network["GZ0102"],
                    metric=metric("deposit_growth"),
                    period=DECEMBER,
                    value=Decimal("-1"),
                    where="GZ0102",
                ),
            ],
        )
    messages = [str(problem) for problem in refused.value.problems]
    assert any(message.startswith("S1001") and "not measured per staff member" in message for message in messages)
    assert any(message.startswith("GZ0102") and "below 0" in message for message in messages)
    assert not PlanCell.objects.filter(plan=plan).exists()
