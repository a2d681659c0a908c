"""Published scorecards over many days, for the trend charts and the metric history page.

`published_run(day)` is the day's published run, made once: several scorecards of one day must share it
(tests.kpi.scorecard_factories.published_day makes a new run on each call and points the day at it,
which would hide the scorecards written under the previous one).

    card = day_card(datetime.date(2026, 11, 24), unit=outlet)             # a month scorecard
    signups_line(card, actual=420, target=500)                               # time progress 24/30
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from kpi.models import RollupDay, RollupRun, Scorecard, ScorecardLine
from tests.kpi.scorecard_factories import (
    ScorecardFactory,
    ScorecardLineFactory,
    metric,
    published_day,
    time_progress,
)


def published_run(day: datetime.date) -> RollupRun:
    rollup_day = RollupDay.objects.published(on=day).select_related("published_run").first()
    return rollup_day.published_run if rollup_day else published_day(day).published_run


def day_card(day: datetime.date, *, period: str = "month", **who) -> Scorecard:
    """The scorecard of a unit (unit=…) or a staff member (staff=…) in the day's published run."""
    return ScorecardFactory(run=published_run(day), period=period, **who)


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def line(
    card: Scorecard, code: str, *, actual, target=None, attainment=None, pace_attainment=None, status=None
) -> ScorecardLine:
    """A line of `card` for metric `code` with the card's time progress; attainment, pace-adjusted
    attainment and status are the caller's arithmetic (the rollup's, in real life)."""
    return ScorecardLineFactory(
        scorecard=card,
        metric=metric(code),
        actual=Decimal(str(actual)),
        target=_decimal(target),
        time_progress=time_progress(card.period, card.date),
        attainment=_decimal(attainment),
        pace_attainment=_decimal(pace_attainment),
        status=status,
    )


def days_from(first: datetime.date, count: int) -> list[datetime.date]:
    return [first + datetime.timedelta(days=offset) for offset in range(count)]
