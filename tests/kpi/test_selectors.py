"""Reads of the rollup's results (kpi/selectors/scorecards.py): only the published run of a day is ever read."""

from __future__ import annotations

import datetime

import pytest

from kpi.models import Category, RollupDay, ScorecardLine
from kpi.selectors.scorecards import (
    behind_first,
    child_units,
    latest_rolled_up_date,
    scorecard_get,
    scorecard_sections,
    staff_assigned,
)
from tests.factories import AssignmentFactory, StaffMemberFactory
from tests.kpi.scorecard_factories import (
    BUSINESS_DATE,
    RollupRunFactory,
    ScorecardFactory,
    ScorecardLineFactory,
    metric,
    published_day,
)

# -- latest_rolled_up_date ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_there_is_no_latest_day_before_the_first_rollup():
    assert latest_rolled_up_date() is None


@pytest.mark.django_db
def test_the_latest_day_is_the_latest_one_with_a_published_run():
    published_day(datetime.date(2026, 11, 23))
    published_day(datetime.date(2026, 11, 24))
    # The 25th is being rolled up: its day row exists but nothing is published yet.
    RollupDay.objects.create(date=datetime.date(2026, 11, 25), published_run=None)

    assert latest_rolled_up_date() == datetime.date(2026, 11, 24)


# -- scorecard_get -----------------------------------------------------------------------------------


def test_it_returns_the_published_scorecard_with_lines_in_catalog_order(network, django_assert_num_queries):
    day = published_day()
    card = ScorecardFactory(run=day.published_run, unit=network["GZ0101"])
    # Written out of catalog order on purpose: sort_order is 10 × the catalog position.
    for code in ("complaints", "deposit_balance", "mobile_banking_signups"):
        ScorecardLineFactory(scorecard=card, metric=metric(code))

    with django_assert_num_queries(2):
        found = scorecard_get(date=BUSINESS_DATE, period="month", unit=network["GZ0101"])
        codes = [line.metric.code for line in found.lines.all()]

    assert found == card
    assert codes == ["deposit_balance", "mobile_banking_signups", "complaints"]


def test_it_ignores_a_run_that_is_not_the_published_one(network):
    published = published_day()
    running = RollupRunFactory(date=BUSINESS_DATE, status="running")
    ScorecardFactory(run=running, unit=network["GZ0101"])

    assert scorecard_get(date=BUSINESS_DATE, period="month", unit=network["GZ0101"]) is None

    visible = ScorecardFactory(run=published.published_run, unit=network["GZ0101"])
    assert scorecard_get(date=BUSINESS_DATE, period="month", unit=network["GZ0101"]) == visible


def test_it_reads_the_new_run_once_a_day_is_republished(network):
    first = published_day()
    ScorecardFactory(run=first.published_run, unit=network["GZ0101"])
    second = published_day()  # a corrected fact: the day is rolled up again and the new run published
    newer = ScorecardFactory(run=second.published_run, unit=network["GZ0101"])

    assert scorecard_get(date=BUSINESS_DATE, period="month", unit=network["GZ0101"]) == newer


def test_it_does_not_take_a_scorecard_of_another_days_run(network):
    """A run is published for its own day; a card dated the 24th under the 23rd's run is not the 24th's."""
    day_23 = published_day(datetime.date(2026, 11, 23))
    published_day(BUSINESS_DATE)
    ScorecardFactory(run=day_23.published_run, date=BUSINESS_DATE, unit=network["GZ0101"])

    assert scorecard_get(date=BUSINESS_DATE, period="month", unit=network["GZ0101"]) is None


def test_it_tells_the_periods_apart(network):
    day = published_day()
    month = ScorecardFactory(run=day.published_run, unit=network["GZ0101"], period="month")
    year = ScorecardFactory(run=day.published_run, unit=network["GZ0101"], period="year")

    assert scorecard_get(date=BUSINESS_DATE, period="month", unit=network["GZ0101"]) == month
    assert scorecard_get(date=BUSINESS_DATE, period="year", unit=network["GZ0101"]) == year
    assert scorecard_get(date=BUSINESS_DATE, period="week", unit=network["GZ0101"]) is None


def test_it_finds_a_staff_members_scorecard(network, teller):
    day = published_day()
    ScorecardFactory(run=day.published_run, unit=network["GZ0101"])
    mine = ScorecardFactory(run=day.published_run, staff=teller.staff_member)

    assert scorecard_get(date=BUSINESS_DATE, period="month", staff=teller.staff_member) == mine


def test_it_wants_exactly_one_of_unit_and_staff(network, teller):
    with pytest.raises(ValueError):
        scorecard_get(date=BUSINESS_DATE, period="month")
    with pytest.raises(ValueError):
        scorecard_get(date=BUSINESS_DATE, period="month", unit=network["GZ0101"], staff=teller.staff_member)


# -- grouping and drill-down -------------------------------------------------------------------------


def test_sections_group_the_lines_by_category_in_catalog_order(network):
    day = published_day()
    card = ScorecardFactory(run=day.published_run, unit=network["GZ0101"])
    for code in ("risk_events", "complaints", "mobile_banking_signups", "deposit_balance", "customers_served"):
        ScorecardLineFactory(scorecard=card, metric=metric(code))
    card = scorecard_get(date=BUSINESS_DATE, period="month", unit=network["GZ0101"])

    sections = scorecard_sections(scorecard=card)

    assert [(str(label), [line.metric.code for line in lines]) for label, lines in sections] == [
        (str(Category.DEPOSITS.label), ["deposit_balance"]),
        (str(Category.CHANNELS.label), ["mobile_banking_signups"]),
        (str(Category.SERVICE.label), ["customers_served", "complaints"]),
        (str(Category.COMPLIANCE.label), ["risk_events"]),
    ]


def test_behind_first_puts_each_categorys_red_then_amber_lines_first_and_the_rest_in_catalog_order():
    def lines(*statuses):
        return [ScorecardLine(status=status, actual=position) for position, status in enumerate(statuses)]

    deposits = lines("green", None, "amber", "red", "amber", "green")
    service = lines(None, "red")

    ordered = behind_first([("Deposits", deposits), ("Service", service)])

    # Categories keep their order; within each: red (3), amber in catalog order (2, 4), then the rest (0, 1, 5).
    assert [(label, [line.actual for line in group]) for label, group in ordered] == [
        ("Deposits", [3, 2, 4, 0, 1, 5]),
        ("Service", [1, 0]),
    ]
    assert [line.actual for line in deposits] == [0, 1, 2, 3, 4, 5]  # the table's sections are left as they were


def test_child_units_are_the_units_directly_below(network):
    assert [unit.code for unit in child_units(unit=network["GZ"])] == ["GZ01", "GZ02"]
    assert child_units(unit=network["GZ0101"]) == []


def test_staff_assigned_lists_each_person_once_with_their_posts_and_skips_those_who_left(
    network, teller, django_assert_num_queries
):
    outlet = network["GZ0101"]
    lobby = StaffMemberFactory(code="S1002", name="何静")
    AssignmentFactory(staff=lobby, post="lobby_manager", unit=outlet)
    AssignmentFactory(staff=lobby, post="service_specialist", unit=outlet)
    gone = StaffMemberFactory(code="S1009", name="离职")
    AssignmentFactory(staff=gone, unit=outlet, end=datetime.date(2026, 10, 31))

    with django_assert_num_queries(1):
        people = staff_assigned(unit=outlet, day=BUSINESS_DATE)

    assert [(person.code, len(posts)) for person, posts in people] == [("S1001", 1), ("S1002", 2)]
