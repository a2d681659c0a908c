"""Factories for the rollup's results: runs, rolled-up days, scorecards and their lines.

The rollup fills these tables; tests of the reading side build them directly, with the figures worked
out by hand. Metrics come from the standard catalog (kpi/migrations/0002_standard_catalog.py):
take them with `metric("mobile_banking_signups")`.

    day = published_day(datetime.date(2026, 11, 24))
    card = ScorecardFactory(run=day.published_run, unit=outlet, period="month")
    ScorecardLineFactory(scorecard=card, metric=metric("deposit_balance"), actual="12345.67", ...)
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from kpi.models import Metric, RollupDay, RollupRun, Scorecard, ScorecardLine
from lib.periods import period_of

BUSINESS_DATE = datetime.date(2026, 11, 24)


def metric(code: str) -> Metric:
    return Metric.objects.get(code=code)


def time_progress(period: str, date: datetime.date) -> Decimal:
    """时间进度 as the rollup stores it: a fraction with six decimals."""
    progress = period_of(period, date).time_progress(date)
    return (Decimal(progress.numerator) / Decimal(progress.denominator)).quantize(Decimal("0.000001"))


class RollupRunFactory(DjangoModelFactory):
    class Meta:
        model = RollupRun

    date = BUSINESS_DATE
    status = RollupRun.Status.PUBLISHED
    progress = 100


def published_day(date: datetime.date = BUSINESS_DATE) -> RollupDay:
    """A business day with a published run (a new run each call; the day points at the latest)."""
    run = RollupRunFactory(date=date)
    rollup_day, _created = RollupDay.objects.update_or_create(
        date=date, defaults={"published_run": run, "published_at": datetime.datetime.now(datetime.UTC)}
    )
    return rollup_day


class ScorecardFactory(DjangoModelFactory):
    """A unit's scorecard by default (pass staff=… and unit=None for a staff member's); the period's
    start and end follow from `period` and the run's date."""

    class Meta:
        model = Scorecard

    run = factory.SubFactory(RollupRunFactory)
    date = factory.LazyAttribute(lambda card: card.run.date)
    period = "month"
    period_start = factory.LazyAttribute(lambda card: period_of(card.period, card.date).start)
    period_end = factory.LazyAttribute(lambda card: period_of(card.period, card.date).end)
    unit = None
    staff = None


class ScorecardLineFactory(DjangoModelFactory):
    """A line without a target unless given: only actual and time progress are filled in."""

    class Meta:
        model = ScorecardLine

    scorecard = factory.SubFactory(ScorecardFactory)
    date = factory.LazyAttribute(lambda line: line.scorecard.date)
    metric = factory.LazyFunction(lambda: metric("mobile_banking_signups"))
    actual = 0
    target = None
    attainment = None
    time_progress = factory.LazyAttribute(lambda line: time_progress(line.scorecard.period, line.scorecard.date))
    pace_attainment = None
    status = None
    gap_to_pace = None
    required_per_day = None
