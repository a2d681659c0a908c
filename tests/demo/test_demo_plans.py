"""The demo's target plans (demo/plans.py, issue 15) on the tiny network of tests/demo/test_demo_facts.py:
four outlets, ten days of facts to Tuesday 20 January 2026."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command

from kpi.models import Target
from plans.models import AcknowledgementStatus, Plan, PlanCell, PlanStatus
from staff.models import Role, User
from tests.shared_data import as_in_a_test, shared_data

pytestmark = pytest.mark.django_db

END = datetime.date(2026, 1, 20)


@pytest.fixture(autouse=True)
def _keep_daily_scorecards(settings):
    settings.SCORECARD_RETENTION_DAYS = 100_000


def seed(*flags: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--outlets=4", "--days=10", f"--end={END}", *flags, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker) -> str:
    """The tiny demo seeded once for the module (tests/shared_data.py; each test's own writes are undone
    after it): what seed_demo printed."""
    with shared_data(django_db_blocker):
        with as_in_a_test(SCORECARD_RETENTION_DAYS=100_000):
            output = seed()
        yield output


def test_hq_has_next_years_deposit_plan_as_a_draft_down_to_the_outlets_with_a_strong_first_quarter(seeded):
    plan = Plan.objects.get(name="2027 年度存款计划")
    assert plan.status == PlanStatus.DRAFT and plan.unit.parent_id is None and plan.period == "2027"
    cells = PlanCell.objects.filter(plan=plan, period="2027", metric__code="deposit_growth")
    assert {cell.unit.kind for cell in cells} == {"hq", "branch", "sub_branch", "outlet"}
    months = dict(
        PlanCell.objects.filter(
            plan=plan, unit=plan.unit, period_kind="month", metric__code="deposit_growth"
        ).values_list("period", "value")
    )
    year = cells.get(unit=plan.unit).value
    assert sum(months.values()) == year
    assert months["2027-01"] > months["2027-06"] > months["2027-12"]


def test_the_unit_managers_coming_week_is_published_and_waits_for_the_demo_outlet_head(seeded):
    output = seeded
    manager = User.objects.get(role=Role.UNIT_MANAGER)
    head = User.objects.get(username="outlet_head")  # the demo login (the heads of its sub-branch have logins too)
    # Seeded to Tuesday 20 January: this week is 2026-W04 (the demo's own targets), the coming one W05.
    plan = Plan.objects.get(unit=manager.unit, period="2026-W05")
    assert plan.status == PlanStatus.PUBLISHED and plan.published_by == manager
    assert "周发展目标" in plan.name and "published" in output

    answers = dict(plan.acknowledgements.values_list("unit__code", "status"))
    assert answers[head.unit.code] == AcknowledgementStatus.PENDING
    assert list(answers.values()).count(AcknowledgementStatus.REVIEW) == 1
    assert AcknowledgementStatus.ACKNOWLEDGED in answers.values()

    # Prefilled from the month's pace as of the 20th, published as the outlets' targets of the week.
    cell = PlanCell.objects.get(plan=plan, unit=head.unit, metric__code="mobile_banking_signups")
    assert cell.basis == "pace:2026-01-20" and cell.value is not None
    target = Target.objects.get(unit=head.unit, metric__code="mobile_banking_signups", period="2026-W05")
    assert target.value == cell.value
    assert target.changes.get().source == "plan"


def test_seeding_again_makes_no_second_plan(seeded):
    seed("--force")
    assert Plan.objects.count() == 2
