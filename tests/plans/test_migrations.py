"""plans/migrations/0002_plan_duplicate_drafts.py: the drafts made twice for one unit and period before a
unit could have only one (0003, plan_one_draft_per_unit_period), on 天河支行 GZ01 and 从化支行 GZ02's
2026-W50."""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection

from lib.periods import parse_period
from plans.models import Plan, PlanCell, PlanStatus
from tests.kpi.factories import metric

W50 = parse_period("2026-W50")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="drops the constraint inside the test's transaction"),
]
duplicates = importlib.import_module("plans.migrations.0002_plan_duplicate_drafts")


@pytest.fixture
def without_the_constraint():
    """The table as it was before 0003 (the test's transaction puts the constraint back)."""
    [constraint] = [c for c in Plan._meta.constraints if c.name == "plan_one_draft_per_unit_period"]
    with connection.schema_editor() as editor:
        editor.remove_constraint(Plan, constraint)


def week(unit, *, status=PlanStatus.DRAFT, visits: dict | None = None) -> Plan:
    plan = Plan.objects.create(
        name=f"{unit.code} {W50.code}",
        unit=unit,
        period_kind="week",
        period_start=W50.start,
        period_end=W50.end,
        period=W50.code,
        status=status,
    )
    for outlet, value in (visits or {}).items():
        PlanCell.objects.create(
            plan=plan,
            unit=outlet,
            metric=metric("customer_visits"),
            period_kind="week",
            period_start=W50.start,
            period_end=W50.end,
            period=W50.code,
            value=Decimal(value),
        )
    return plan


def test_a_duplicate_draft_that_proposes_nothing_new_goes_and_the_published_plan_stays(network, without_the_constraint):
    published = week(network["GZ01"], status=PlanStatus.PUBLISHED, visits={network["GZ0101"]: 380})
    prefilled = week(network["GZ01"], visits={network["GZ0101"]: 400, network["GZ0102"]: 232})
    again = week(network["GZ01"], visits={network["GZ0101"]: 400})  # the same week prefilled twice
    empty = week(network["GZ01"])

    duplicates.duplicate_drafts_deleted(apps, None)

    assert set(Plan.objects.values_list("pk", flat=True)) == {published.pk, prefilled.pk}
    assert not Plan.objects.filter(pk__in=[again.pk, empty.pk]).exists()
    assert PlanCell.objects.filter(plan=prefilled).count() == 2


def test_drafts_that_propose_different_targets_stop_the_migration_with_their_ids(network, without_the_constraint):
    first = week(network["GZ02"], visits={network["GZ0201"]: 300})
    second = week(network["GZ02"], visits={network["GZ0201"]: 350})

    with pytest.raises(RuntimeError) as stopped:
        duplicates.duplicate_drafts_deleted(apps, None)

    assert f"GZ02 2026-W50: plans {second.pk} and {first.pk}" in str(stopped.value)
    assert Plan.objects.count() == 2
