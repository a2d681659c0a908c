"""A staff member's goals for one day, set by an app above kpi, shown on their scorecard beside the actual.

At the 08:30 morning meeting (晨会) the outlet head sets each person's goal for the day on a few metrics
(meetings: 3 mobile-banking sign-ups today). The person reads it on their own scorecard, the page they
open that morning (DOMAIN.md §1): on the day view of that day, and on the view of a longer period that
holds today (the month to date), beside the figures. A day's goal is not a Target: it is never scored,
never in the target columns, the exports or the API, and it changes no status.

kpi may not import meetings (docs/architecture.md), so meetings registers here, in its AppConfig.ready(),
a function that answers a staff member's goals of a day as the reader may see them (the reader's Scope:
meetings decides who reads which goals), in a fixed number of queries:

    day_goals_register("meetings.morning_goals", goals_for)
    goals_for(*, scope, staff, day) -> list[DayGoal]

Registered by name, so a reloaded app replaces its entry.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from kpi.models import Metric
from lib.periods import Period, PeriodKind


@dataclass(frozen=True)
class DayGoal:
    """One metric's goal of a day, as the app that set it tells it."""

    metric: Metric
    day: datetime.date
    value: Decimal
    label: str  # what the reader calls it, in their language ("Today's goal at the morning meeting")
    actual: Decimal | None = None  # the day's actual once the day is published; None before
    met: bool | None = None  # None without an actual


DayGoals = Callable[..., list[DayGoal]]

_sources: dict[str, DayGoals] = {}


def day_goals_register(name: str, goals_for: DayGoals) -> None:
    _sources[name] = goals_for


def goal_day(
    *, period_kind: PeriodKind, day: datetime.date | None, period: Period | None, today: datetime.date
) -> datetime.date | None:
    """The day whose goals a scorecard page shows: the day view's own day; for a longer period, today,
    when the period shown holds today (this month's page, not last month's); None otherwise."""
    if day is None:
        return None
    if period_kind == PeriodKind.DAY:
        return day
    if period is not None and period.start <= today <= period.end:
        return today
    return None


def day_goals(*, scope, staff, day: datetime.date | None) -> list[DayGoal]:
    """Every registered app's goals of `staff` for `day`, as `scope` may read them; none without a day."""
    if day is None:
        return []
    found: list[DayGoal] = []
    for goals_for in list(_sources.values()):
        found.extend(goals_for(scope=scope, staff=staff, day=day))
    return found
