"""A plan's proposals (plans.services.cells): what a value may be, every problem said at once, and a unit's
own figure that is the sum of its rows following them. Figures worked out by hand on the network of
tests/conftest.py, with 体育西网点 GZ0103 of tests/plans/conftest.py: 天河支行 GZ01 over GZ0101, GZ0102,
GZ0103; 广州分行 GZ over GZ01 and 从化支行 GZ02 (GZ0201)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from branches.models import OrgUnit
from kpi.models import Target
from lib.periods import parse_period
from plans.models import Plan, PlanCell, PlanStatus
from plans.services import cells
from plans.services.cells import CellInput, PlanExists, PlanProblems, plan_cells_save, plan_create
from plans.services.publish import plan_preview, plan_publish
from tests.kpi.factories import metric

DECEMBER = parse_period("2026-12")
W50 = parse_period("2026-W50")
pytestmark = pytest.mark.django_db


def save(scope, plan, values: dict, *, code="mobile_banking_signups", period=None, basis="hand"):
    """Proposals by unit code: {"GZ0101": "300"}; a value None clears one."""
    units = {unit.code: unit for unit in OrgUnit.objects.subtree(plan.unit)}
    return plan_cells_save(
        scope=scope,
        plan=plan,
        cells=[
            CellInput(
                unit=units[code_],
                metric=metric(code),
                period=period or plan.period_obj,
                value=None if value is None else Decimal(value),
                basis=basis,
                where=code_,
            )
            for code_, value in values.items()
        ],
    )


def proposals(plan, code="mobile_banking_signups") -> dict[str, tuple[Decimal | None, str]]:
    return {
        cell.unit.code: (cell.value, cell.basis)
        for cell in PlanCell.objects.filter(plan=plan, metric__code=code, staff__isnull=True).select_related("unit")
    }


# -- what a value may be ---------------------------------------------------------------------------------


@pytest.fixture
def december(network, gz0103, hq_scope):
    return plan_create(
        scope=hq_scope,
        unit=network["GZ01"],
        period=DECEMBER,
        metrics=[metric("deposit_growth"), metric("mobile_banking_signups")],
    )


def test_a_count_refuses_half_a_sign_up_where_money_and_a_ratio_of_counts_keep_their_decimals(december, hq_scope):
    with translation.override("en"), pytest.raises(PlanProblems) as refused:
        save(hq_scope, december, {"GZ0101": "1.5"})

    # The page writes 户 with no decimals: 1.5 would have been shown, and published, as "2".
    [problem] = refused.value.problems
    assert (problem.where, problem.message) == (
        "GZ0101",
        "Mobile banking sign-ups is counted in whole 户 (accounts): give a whole number.",
    )
    assert not PlanCell.objects.exists()

    save(hq_scope, december, {"GZ0101": "1.5"}, code="deposit_growth")
    assert proposals(december, "deposit_growth") == {"GZ0101": (Decimal("1.5"), "hand")}
    # 人均走访数 is 户 per person: 0.35 visits per person is a target, not "0".
    december.metrics.add(metric("outreach_visits_per_person"))
    save(hq_scope, december, {"GZ0101": "0.35"}, code="outreach_visits_per_person")
    assert proposals(december, "outreach_visits_per_person") == {"GZ0101": (Decimal("0.35"), "hand")}


def test_a_target_of_ten_billion_or_more_is_refused_and_one_less_is_taken(december, hq_scope):
    with translation.override("en"), pytest.raises(PlanProblems) as refused:
        save(hq_scope, december, {"GZ0101": "99999999999", "GZ0102": "10000000000"})

    assert [(problem.where, problem.message) for problem in refused.value.problems] == [
        ("GZ0101", "99999999999 is too large (less than 10,000,000,000 is expected)"),
        ("GZ0102", "10000000000 is too large (less than 10,000,000,000 is expected)"),
    ]

    save(hq_scope, december, {"GZ0101": "9999999999"})
    assert proposals(december) == {"GZ0101": (Decimal("9999999999"), "hand")}


def test_every_wrong_cell_is_named_in_one_answer_and_nothing_is_written(december, hq_scope):
    with translation.override("en"), pytest.raises(PlanProblems) as refused:
        save(hq_scope, december, {"GZ01": "100", "GZ0101": "-5", "GZ0102": "1.5", "GZ0103": "99999999999"})

    assert [(problem.where, problem.message) for problem in refused.value.problems] == [
        ("GZ0101", "-5 is below 0: a target is 0 or more."),
        ("GZ0102", "Mobile banking sign-ups is counted in whole 户 (accounts): give a whole number."),
        ("GZ0103", "99999999999 is too large (less than 10,000,000,000 is expected)"),
    ]
    assert not PlanCell.objects.exists()


def test_a_fractional_count_saved_before_the_rule_stops_the_publication(december, hq_scope, network):
    PlanCell.objects.create(
        plan=december,
        unit=network["GZ0101"],
        metric=metric("mobile_banking_signups"),
        period_kind="month",
        period_start=DECEMBER.start,
        period_end=DECEMBER.end,
        period="2026-12",
        value=Decimal("1.5"),
        basis="hand",
    )

    with translation.override("en"):
        problems = plan_preview(december).problems

    assert [str(problem) for problem in problems] == [
        "GZ0101 mobile_banking_signups 2026-12: Mobile banking sign-ups is counted in whole 户 (accounts): "
        "give a whole number."
    ]


# -- a unit's own figure that is the sum of its rows ------------------------------------------------------


@pytest.fixture
def week(network, gz0103, manager_scope):
    """天河支行's Monday meeting of 2026-W50 as plan_week_create leaves it: each outlet's week of sign-ups
    from the month's pace (300, 200, 132) and 天河支行's own week, their sum: 300 + 200 + 132 = 632."""
    plan = plan_create(
        scope=manager_scope, unit=network["GZ01"], period=W50, metrics=[metric("mobile_banking_signups")]
    )
    save(manager_scope, plan, {"GZ0101": "300", "GZ0102": "200", "GZ0103": "132"}, basis="pace:2026-12-04")
    save(manager_scope, plan, {"GZ01": "632"}, basis="sum")
    return plan


def test_a_units_week_that_is_the_sum_of_its_outlets_follows_a_changed_outlet(week, manager_scope, unit_manager):
    # The reviewer's slip: 珠江新城网点 lowered by 35 (200 → 165). The rows now add up to 300 + 165 + 132
    # = 597, and 天河支行's "sum of the rows below" is 597 too, not the 632 it was (差额 −35).
    result = save(manager_scope, week, {"GZ0102": "165"})

    assert proposals(week)["GZ01"] == (Decimal(597), "sum")
    assert result.summed == 1
    [total] = plan_preview(week).sums
    assert (total.parent.code, total.parent_value, total.parts_total, total.difference) == (
        "GZ01",
        Decimal(597),
        Decimal(597),
        Decimal(0),
    )

    plan_publish(scope=manager_scope, plan=week, by=unit_manager)
    published = Target.objects.get(unit__code="GZ01", metric__code="mobile_banking_signups", period="2026-W50")
    assert published.value == Decimal(597)


def test_clearing_an_outlet_takes_it_out_of_the_sum_and_clearing_them_all_clears_the_sum(week, manager_scope):
    save(manager_scope, week, {"GZ0103": None})
    # 300 + 200 = 500: the cleared outlet keeps the target it has, and is no part of the plan's sum.
    assert proposals(week)["GZ01"] == (Decimal(500), "sum")

    save(manager_scope, week, {"GZ0101": None, "GZ0102": None})
    assert proposals(week)["GZ01"] == (None, "")


def test_a_sum_typed_over_by_hand_no_longer_follows_and_the_preview_shows_the_difference(week, manager_scope):
    save(manager_scope, week, {"GZ0102": "165"})
    assert proposals(week)["GZ01"] == (Decimal(597), "sum")

    save(manager_scope, week, {"GZ01": "700"})
    save(manager_scope, week, {"GZ0103": "100"})

    # 天河支行's 700 is the manager's own figure now; the rows add up to 300 + 165 + 100 = 565, 135 short.
    assert proposals(week)["GZ01"] == (Decimal(700), "hand")
    [total] = plan_preview(week).sums
    assert total.difference == Decimal(-135)


def test_a_sum_above_a_sum_follows_too(network, gz0103, hq_scope):
    plan = plan_create(scope=hq_scope, unit=network["GZ"], period=DECEMBER, metrics=[metric("mobile_banking_signups")])
    save(hq_scope, plan, {"GZ0101": "300", "GZ0102": "200", "GZ0103": "132", "GZ0201": "100"})
    save(hq_scope, plan, {"GZ01": "632", "GZ02": "100"}, basis="sum")
    save(hq_scope, plan, {"GZ": "732"}, basis="sum")

    save(hq_scope, plan, {"GZ0101": "265"})

    # GZ01: 265 + 200 + 132 = 597; GZ: 597 + 100 = 697.
    assert {code: value for code, (value, _basis) in proposals(plan).items() if code in ("GZ", "GZ01", "GZ02")} == {
        "GZ": Decimal(697),
        "GZ01": Decimal(597),
        "GZ02": Decimal(100),
    }
    assert all(total.exact for total in plan_preview(plan).sums)


# -- one draft per unit and period -----------------------------------------------------------------------


def _week_published(scope, unit_manager, network) -> Plan:
    """天河支行's 2026-W50, 400 visits for 天河路网点, published by 陈志强 at 09:30 on Monday 7 December."""
    week = plan_create(scope=scope, unit=network["GZ01"], period=W50, metrics=[metric("customer_visits")])
    save(scope, week, {"GZ0101": "400"}, code="customer_visits")
    plan_publish(scope=scope, plan=week, by=unit_manager)
    Plan.objects.filter(pk=week.pk).update(published_at=datetime.datetime(2026, 12, 7, 1, 30, tzinfo=datetime.UTC))
    week.refresh_from_db()
    return week


def test_a_second_plan_of_a_unit_and_period_opens_its_draft_and_makes_nothing(december, hq_scope, network):
    Plan.objects.filter(pk=december.pk).update(created_at=datetime.datetime(2026, 11, 20, 2, 0, tzinfo=datetime.UTC))

    with translation.override("en"), pytest.raises(PlanExists) as exists:
        plan_create(scope=hq_scope, unit=network["GZ01"], period=DECEMBER, metrics=[metric("customer_visits")])

    assert exists.value.plan == december
    assert str(exists.value.problems[0]) == (
        "period: Tianhe Sub-branch already has a draft plan for 2026-12, “天河支行 2026-12 目标计划”, "
        "made on 20 Nov 2026."
    )
    assert list(Plan.objects.values_list("pk", flat=True)) == [december.pk]
    # Another unit, or another period of the same unit, gets its own draft.
    assert plan_create(scope=hq_scope, unit=network["GZ02"], period=DECEMBER, metrics=[metric("deposit_growth")])
    assert plan_create(
        scope=hq_scope, unit=network["GZ01"], period=parse_period("2027-01"), metrics=[metric("deposit_growth")]
    )


def test_a_published_week_is_opened_rather_than_planned_twice_unless_a_revision_is_asked_for(
    network, manager_scope, unit_manager
):
    published = _week_published(manager_scope, unit_manager, network)

    with translation.override("en"), pytest.raises(PlanExists) as exists:
        plan_create(scope=manager_scope, unit=network["GZ01"], period=W50, metrics=[metric("customer_visits")])

    assert exists.value.plan == published
    assert exists.value.problems[0].message == (
        "Tianhe Sub-branch's targets for 2026-W50 were published on 7 Dec 2026 by 陈志强 (“天河支行 2026-W50 周目标”)."
    )
    assert Plan.objects.count() == 1
    # Asked for, the revision is a new draft beside the published plan: one, opened when asked for again.
    revision = plan_create(
        scope=manager_scope, unit=network["GZ01"], period=W50, metrics=[metric("customer_visits")], revise=True
    )
    assert revision.is_draft and revision.pk != published.pk
    with pytest.raises(PlanExists) as again:
        plan_create(
            scope=manager_scope, unit=network["GZ01"], period=W50, metrics=[metric("customer_visits")], revise=True
        )
    assert again.value.plan == revision
    assert Plan.objects.filter(status=PlanStatus.DRAFT).count() == 1


def test_a_draft_made_by_someone_else_a_moment_ago_is_opened_not_doubled(december, hq_scope, network, monkeypatch):
    # Two people press the button at once: both found no draft, and the database keeps the first one.
    monkeypatch.setattr("plans.services.cells.plan_existing", _nothing_the_first_time(cells.plan_existing))

    with pytest.raises(PlanExists) as exists:
        plan_create(scope=hq_scope, unit=network["GZ01"], period=DECEMBER, metrics=[metric("deposit_growth")])

    assert exists.value.plan == december
    assert Plan.objects.count() == 1


def _nothing_the_first_time(lookup):
    calls = []

    def lookup_after_the_first(**kwargs):
        calls.append(kwargs)
        return None if len(calls) == 1 else lookup(**kwargs)

    return lookup_after_the_first


def test_the_database_keeps_one_draft_per_unit_and_period(december, network):
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.create(
            name="第二个草稿",
            unit=network["GZ01"],
            period_kind="month",
            period_start=DECEMBER.start,
            period_end=DECEMBER.end,
            period="2026-12",
        )
