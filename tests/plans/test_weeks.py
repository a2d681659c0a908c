"""The Monday meeting (plans.services.weeks): an outlet's ISO-week targets from what each remaining day of
the month must bring, worked out by hand for a week across a month end, 2026-W44: Monday 26 October to
Sunday 1 November 2026.

天河路网点 GZ0101's mobile-banking sign-ups (户): October's target 3,100, November's 3,100 (30 days), and
2,500 signed up by 25 October (one fact on the 10th); 50 more on Tuesday 27 October.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from kpi.models import Fact, Scorecard, ScorecardLine
from kpi.services.rollup import rollup_day
from kpi.services.targets import target_set
from lib.periods import parse_period
from plans.models import Plan, PlanCell, PlanStatus
from plans.selectors import Entity
from plans.services.cells import PlanExists
from plans.services.publish import plan_publish
from plans.services.weeks import plan_week_create, round_week_target, week_pace_targets
from tests.kpi.factories import metric

D = datetime.date
W44 = parse_period("2026-W44")
pytestmark = pytest.mark.django_db


@pytest.fixture
def signups(network):
    outlet = network["GZ0101"]
    for period in ("2026-10", "2026-11"):
        target_set(
            metric=metric("mobile_banking_signups"),
            period=parse_period(period),
            value=Decimal(3100),
            unit=outlet,
            source="admin",
        )
    Fact.objects.create(date=D(2026, 10, 10), unit=outlet, metric=metric("mobile_banking_signups"), value=2500)
    Fact.objects.create(date=D(2026, 10, 27), unit=outlet, metric=metric("mobile_banking_signups"), value=50)
    return outlet


def test_a_week_across_a_month_end_takes_each_day_from_its_own_month(signups):
    rollup_day(day=D(2026, 10, 25))

    values, notes = week_pace_targets(
        entities=[Entity(unit=signups)], metrics=[metric("mobile_banking_signups")], week=W44, as_of=D(2026, 10, 25)
    )

    # October: (3,100 − 2,500) / 6 days left (26–31) = 100 a day × 6 days of the week = 600;
    # November: 3,100 / 30 = 103.33… a day × 1 day (the 1st) = 103.33…; 703.33… → 704 sign-ups (up to whole).
    assert values[((signups.pk, None), metric("mobile_banking_signups").pk)] == Decimal(704)
    assert notes == []


def test_a_week_planned_midweek_counts_what_is_already_done(signups):
    rollup_day(day=D(2026, 10, 28))

    values, _notes = week_pace_targets(
        entities=[Entity(unit=signups)], metrics=[metric("mobile_banking_signups")], week=W44, as_of=D(2026, 10, 28)
    )

    # Done this week by Wednesday: 50. October after the 28th: (3,100 − 2,550) / 3 = 183.33… × 3 = 550;
    # November 1st: 103.33…; 50 + 550 + 103.33… = 703.33… → 704.
    assert values[((signups.pk, None), metric("mobile_banking_signups").pk)] == Decimal(704)


def test_a_month_without_a_target_brings_nothing_and_says_so(network, signups):
    rollup_day(day=D(2026, 10, 25))
    other = network["GZ0102"]

    values, notes = week_pace_targets(
        entities=[Entity(unit=signups), Entity(unit=other)],
        metrics=[metric("mobile_banking_signups")],
        week=W44,
        as_of=D(2026, 10, 25),
    )

    assert ((other.pk, None), metric("mobile_banking_signups").pk) not in values
    assert len(notes) == 1 and "GZ0102 2026-10" in notes[0] and "GZ0102 2026-11" in notes[0]


def test_money_is_rounded_half_up_to_the_cent_and_counts_up_to_a_whole():
    assert round_week_target(Decimal("12.345"), metric("deposit_growth")) == Decimal("12.35")
    assert round_week_target(Decimal("12.01"), metric("mobile_banking_signups")) == Decimal(13)


def test_the_unit_managers_week_is_prefilled_published_and_on_the_scorecards_the_same_day(
    signups, network, manager_scope, unit_manager, django_capture_on_commit_callbacks
):
    rollup_day(day=D(2026, 10, 27))
    rollup_day(day=D(2026, 10, 28))

    plan, _notes = plan_week_create(
        scope=manager_scope,
        unit=network["GZ01"],
        week=W44,
        metrics=[metric("mobile_banking_signups")],
        created_by=unit_manager,
        as_of=D(2026, 10, 28),
    )
    cell = PlanCell.objects.get(plan=plan, unit=signups)
    assert cell.value == Decimal(704) and cell.basis == "pace:2026-10-28"
    # 天河支行's own week: what its outlets' weeks add up to (珠江新城网点 has no month target, so nothing).
    own = PlanCell.objects.get(plan=plan, unit=network["GZ01"])
    assert (own.value, own.basis) == (Decimal(704), "sum")

    with django_capture_on_commit_callbacks(execute=True):
        plan_publish(scope=manager_scope, plan=plan, by=unit_manager)

    # The publication marked the week's days stale and queued the rollup: Wednesday's week scorecard
    # of the outlet now has the week's target.
    line = ScorecardLine.objects.get(
        scorecard__in=Scorecard.objects.published(on=D(2026, 10, 28)).filter(unit=signups, period="week"),
        metric=metric("mobile_banking_signups"),
    )
    assert line.target == Decimal(704) and line.actual == Decimal(50)


def test_prefilling_a_published_week_again_opens_it_and_makes_no_second_draft(
    signups, network, manager_scope, unit_manager
):
    rollup_day(day=D(2026, 10, 28))
    week = {"scope": manager_scope, "unit": network["GZ01"], "week": W44, "as_of": D(2026, 10, 28)}
    published, _notes = plan_week_create(**week, metrics=[metric("mobile_banking_signups")], created_by=unit_manager)
    plan_publish(scope=manager_scope, plan=published, by=unit_manager)

    # The Monday meeting's button pressed again for 2026-W44: the published plan, nothing new.
    with pytest.raises(PlanExists) as exists:
        plan_week_create(**week, metrics=[metric("mobile_banking_signups")], created_by=unit_manager)

    assert exists.value.plan == published and exists.value.plan.status == PlanStatus.PUBLISHED
    assert list(Plan.objects.values_list("pk", flat=True)) == [published.pk]
    # A revision asked for: one new draft, prefilled as the first was (704 sign-ups for 天河路网点).
    revision, _notes = plan_week_create(
        **week, metrics=[metric("mobile_banking_signups")], created_by=unit_manager, revise=True
    )
    assert revision.is_draft and PlanCell.objects.get(plan=revision, unit=signups).value == Decimal(704)


def test_prefilling_a_drafted_week_again_opens_the_draft_and_keeps_what_was_typed(
    signups, network, manager_scope, unit_manager
):
    rollup_day(day=D(2026, 10, 28))
    week = {"scope": manager_scope, "unit": network["GZ01"], "week": W44, "as_of": D(2026, 10, 28)}
    draft, _notes = plan_week_create(**week, metrics=[metric("mobile_banking_signups")], created_by=unit_manager)
    PlanCell.objects.filter(plan=draft, unit=signups).update(value=Decimal(650), basis="hand")

    with pytest.raises(PlanExists) as exists:
        plan_week_create(**week, metrics=[metric("mobile_banking_signups")], created_by=unit_manager, revise=True)

    assert exists.value.plan == draft
    assert Plan.objects.count() == 1
    # The 650 typed at the meeting stays; the prefill's 704 is not written over it.
    assert PlanCell.objects.get(plan=draft, unit=signups).value == Decimal(650)
