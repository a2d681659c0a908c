"""The read vocabulary of the kpi models (kpi/models.py): `RollupDay.objects.published(on=…)`,
`Scorecard.objects.published(on=…)` and `MonthClose.objects.closed(day)`."""

from __future__ import annotations

import datetime

import pytest

from kpi.models import MonthClose, RollupDay, Scorecard
from tests.kpi.scorecard_factories import BUSINESS_DATE, RollupRunFactory, ScorecardFactory, published_day

D = datetime.date
NOV_23 = D(2026, 11, 23)

pytestmark = pytest.mark.django_db


def test_a_day_is_published_once_it_points_at_a_run():
    published_day(NOV_23)
    RollupDay.objects.create(date=BUSINESS_DATE, published_run=None)  # rolled up, not (yet) published

    assert list(RollupDay.objects.published().values_list("date", flat=True)) == [NOV_23]
    assert RollupDay.objects.published(on=NOV_23).exists()
    assert not RollupDay.objects.published(on=BUSINESS_DATE).exists()


def test_the_published_scorecards_of_a_day_are_those_of_its_own_published_run(network):
    outlet = network["GZ0101"]
    first = published_day(BUSINESS_DATE)
    ScorecardFactory(run=first.published_run, unit=outlet)  # superseded when the day is published again
    today = published_day(BUSINESS_DATE)
    current = ScorecardFactory(run=today.published_run, unit=outlet)
    ScorecardFactory(run=RollupRunFactory(date=BUSINESS_DATE, status="running"), unit=outlet)  # not published
    day_23 = published_day(NOV_23)
    yesterday = ScorecardFactory(run=day_23.published_run, date=NOV_23, unit=outlet)
    ScorecardFactory(run=day_23.published_run, date=BUSINESS_DATE, unit=outlet)  # the 23rd's run, dated the 24th

    assert list(Scorecard.objects.published(on=BUSINESS_DATE)) == [current]
    assert list(Scorecard.objects.published(on=NOV_23)) == [yesterday]
    # Without `on`: every day's published run (the 23rd's run holds two cards).
    assert Scorecard.objects.published().count() == 3


def test_a_month_is_closed_while_its_close_stands_and_not_once_reopened():
    MonthClose.objects.create(month=D(2026, 10, 1), is_closed=True)
    MonthClose.objects.create(month=D(2026, 9, 1), is_closed=False)  # closed, then reopened

    assert MonthClose.objects.closed(D(2026, 10, 31)).exists()
    assert MonthClose.objects.closed(D(2026, 10, 1)).exists()
    assert not MonthClose.objects.closed(D(2026, 9, 15)).exists()
    assert not MonthClose.objects.closed(D(2026, 11, 1)).exists()
    assert list(MonthClose.objects.closed().values_list("month", flat=True)) == [D(2026, 10, 1)]
