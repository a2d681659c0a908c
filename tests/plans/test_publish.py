"""The preview and the one transaction that publishes a plan (plans.services.publish)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from kpi.models import MonthClose, RollupDay, Target, TargetChange
from kpi.services.targets import target_set
from lib.periods import parse_period
from plans.models import PlanStatus, TargetAcknowledgement
from plans.services.cells import CellInput, PlanProblems, plan_cells_save, plan_create
from plans.services.publish import PlanChanged, plan_preview, plan_publish
from tests.factories import AssignmentFactory
from tests.kpi.factories import metric

D = datetime.date
DECEMBER = parse_period("2026-12")
pytestmark = pytest.mark.django_db


def _plan(scope, network, values: dict, *, code="deposit_growth", period=DECEMBER, staff=None):
    plan = plan_create(scope=scope, unit=network["GZ01"], period=period, metrics=[metric(code)])
    cells = [
        CellInput(unit=network[unit], metric=metric(code), period=period, value=Decimal(value))
        for unit, value in values.items()
    ]
    for (unit, person), value in (staff or {}).items():
        cells.append(
            CellInput(unit=network[unit], staff=person, metric=metric(code), period=period, value=Decimal(value))
        )
    plan_cells_save(scope=scope, plan=plan, cells=cells)
    return plan


def test_the_preview_shows_old_and_new_values_and_whether_the_parts_add_up(network, hq_scope):
    target_set(
        metric=metric("deposit_growth"), period=DECEMBER, value=Decimal(400), unit=network["GZ0101"], source="admin"
    )
    plan = _plan(hq_scope, network, {"GZ01": "1000", "GZ0101": "600", "GZ0102": "399.99"})

    preview = plan_preview(plan)

    changes = {change.entity.code: (change.old, change.new) for change in preview.changes}
    assert changes == {
        "GZ01": (None, Decimal("1000")),
        "GZ0101": (Decimal("400"), Decimal("600")),
        "GZ0102": (None, Decimal("399.99")),
    }
    # 600 + 399.99 = 999.99: typed by hand, one cent short of 天河支行's 1,000.
    [total] = preview.sums
    assert (total.parent.code, total.parent_value, total.parts_total, total.difference) == (
        "GZ01",
        Decimal("1000"),
        Decimal("999.99"),
        Decimal("-0.01"),
    )
    assert preview.problems == []


def test_publishing_writes_every_target_in_one_go_with_who_when_and_the_plan(network, hq_scope, hq_admin):
    RollupDay.objects.create(date=D(2026, 12, 1), published_at=datetime.datetime(2026, 12, 2, tzinfo=datetime.UTC))
    plan = _plan(hq_scope, network, {"GZ01": "1000", "GZ0101": "600", "GZ0102": "400"})

    published = plan_publish(scope=hq_scope, plan=plan, by=hq_admin, fingerprint=plan_preview(plan).fingerprint())

    assert (published.created, published.updated, published.unchanged) == (3, 0, 0)
    assert dict(Target.objects.filter(period="2026-12").values_list("unit__code", "value")) == {
        "GZ01": Decimal("1000"),
        "GZ0101": Decimal("600"),
        "GZ0102": Decimal("400"),
    }
    changes = TargetChange.objects.filter(period="2026-12")
    assert {(change.source, change.changed_by_id, change.reference) for change in changes} == {
        ("plan", hq_admin.pk, f"plan {plan.pk} {plan.name}")
    }
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PUBLISHED and plan.published_by == hq_admin
    # The scorecards of December's days are to be recomputed.
    assert RollupDay.objects.get(date=D(2026, 12, 1)).stale_since is not None
    assert published.acknowledgements == 3


def test_a_published_plan_changes_no_more(network, hq_scope, hq_admin):
    plan = _plan(hq_scope, network, {"GZ0101": "600"})
    plan_publish(scope=hq_scope, plan=plan, by=hq_admin)
    with pytest.raises(PermissionDenied):
        plan_publish(scope=hq_scope, plan=plan, by=hq_admin)
    with pytest.raises(PermissionDenied):
        plan_cells_save(
            scope=hq_scope,
            plan=plan,
            cells=[
                CellInput(unit=network["GZ0101"], metric=metric("deposit_growth"), period=DECEMBER, value=Decimal(1))
            ],
        )


def test_a_closed_month_stops_the_whole_publication(network, hq_scope, hq_admin):
    october = parse_period("2026-10")
    plan = plan_create(
        scope=hq_scope, unit=network["GZ01"], period=parse_period("2026-Q4"), metrics=[metric("deposit_growth")]
    )
    plan_cells_save(
        scope=hq_scope,
        plan=plan,
        cells=[
            CellInput(unit=network["GZ0101"], metric=metric("deposit_growth"), period=october, value=Decimal(10)),
            CellInput(unit=network["GZ0101"], metric=metric("deposit_growth"), period=DECEMBER, value=Decimal(10)),
        ],
    )
    MonthClose.objects.create(month=D(2026, 10, 1), is_closed=True)

    with translation.override("en"), pytest.raises(PlanProblems) as refused:
        plan_publish(scope=hq_scope, plan=plan, by=hq_admin)

    assert [problem.where for problem in refused.value.problems] == ["2026-10"]
    assert "closed month" in refused.value.problems[0].message
    assert not Target.objects.exists()


def test_a_person_planned_under_two_outlets_with_two_values_stops_it(network, hq_scope, hq_admin, teller):
    from staff.models import StaffMember

    huang = StaffMember.objects.get(code="S1001")
    AssignmentFactory(staff=huang, unit=network["GZ0102"], post="teller")
    plan = _plan(
        hq_scope,
        network,
        {},
        code="mobile_banking_signups",
        staff={("GZ0101", huang): "10", ("GZ0102", huang): "12"},
    )
    with translation.override("en"), pytest.raises(PlanProblems) as refused:
        plan_publish(scope=hq_scope, plan=plan, by=hq_admin)
    assert "S1001 is planned under GZ0101, GZ0102 with different targets" in refused.value.problems[0].message


def test_a_changed_proposal_after_the_preview_is_not_published(network, hq_scope, hq_admin):
    plan = _plan(hq_scope, network, {"GZ0101": "600"})
    seen = plan_preview(plan).fingerprint()
    plan_cells_save(
        scope=hq_scope,
        plan=plan,
        cells=[CellInput(unit=network["GZ0101"], metric=metric("deposit_growth"), period=DECEMBER, value=Decimal(601))],
    )
    with pytest.raises(PlanChanged):
        plan_publish(scope=hq_scope, plan=plan, by=hq_admin, fingerprint=seen)
    assert not Target.objects.exists()


def test_the_unit_manager_who_publishes_the_week_is_not_asked_to_acknowledge_it(network, manager_scope, unit_manager):
    week = parse_period("2026-W50")
    plan = plan_create(
        scope=manager_scope, unit=network["GZ01"], period=week, metrics=[metric("mobile_banking_signups")]
    )
    plan_cells_save(
        scope=manager_scope,
        plan=plan,
        cells=[
            CellInput(unit=network[code], metric=metric("mobile_banking_signups"), period=week, value=Decimal(value))
            for code, value in (("GZ01", "100"), ("GZ0101", "60"), ("GZ0102", "40"))
        ],
    )
    plan_publish(scope=manager_scope, plan=plan, by=unit_manager)
    assert sorted(TargetAcknowledgement.objects.values_list("unit__code", flat=True)) == ["GZ0101", "GZ0102"]
