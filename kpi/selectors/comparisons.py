"""Comparisons and the forecast of scorecard lines, for the scorecard page, its downloads and the API
(issue 14).

The rollup writes each line's earlier values (kpi.services.mirrors): `previous_actual` (环比),
`last_year_actual` (同比), `year_start_actual` and `year_to_date_actual` (较年初). Here they become
changes, absolute and relative (kpi.formulas.change_rate: none when the base is 0 or of the other sign),
and each cumulative line (sum, change) of a week, month, quarter or year gets a forecast of the period's
end (kpi.formulas.projection):

- seasonal, when last year's same period is known to the same day (above 0) and to its end: this year
  keeps last year's shape, projected = actual × last year's full value / last year's value to the day;
- else the run rate: projected = actual / elapsed days × days in the period.

The days are those the line's time progress counts (DOMAIN.md §4): calendar days, or for a metric
counted in business days (TimeBasis.BUSINESS) the bank's business days (lib.periods.period_timing's
rule, the calendar read once), so that a forecast agrees with the pace beside it; the day the target is
reached is then that many business days on.

预计完成率 is the projected value's attainment; the day the target is reached comes from the pace the
projection implies for the remaining days (kpi.formulas.days_to_target): "reached" when it already is
(the day it was reached is not kept: it would take the history of every day), "on_track" with the
day, or "miss" (本期内无法完成). A lower-is-better line (an allowance of complaints) is "on_track" while
its projection stays within the allowance, "miss" otherwise, with no day.

Last year's full values are read from last year's period-end scorecards, which the retention rule keeps
whatever their age: one query for all the lines given, and none when no line has a value last year.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kpi import formulas
from kpi.models import CalendarDay, Direction, RollupDay, Scorecard, ScorecardLine, TimeBasis
from lib.periods import BusinessCalendar, PeriodKind, period_of, previous_period_day, same_day_last_year

SEASONAL, RUN_RATE = "seasonal", "run_rate"
REACHED, ON_TRACK, MISS = "reached", "on_track", "miss"
FORECAST_METHODS = {
    SEASONAL: _("Last year's seasonal curve"),
    RUN_RATE: _("Run rate so far"),
}
FORECAST_OUTCOMES = {
    REACHED: _("Target reached"),
    ON_TRACK: _("On track to reach the target"),
    MISS: _("Not reached within this period"),
}
_AMOUNT = Decimal("0.0001")
_FRACTION = Decimal("0.000001")


def _decimal(value: float, quantum: Decimal) -> Decimal | None:
    return None if value is None or np.isnan(value) else Decimal(repr(float(value))).quantize(quantum)


def _decimals(values, quantum: Decimal) -> list[Decimal | None]:
    """_decimal of each value of an array, converted to Python floats at once (a numpy scalar's isnan and
    float() a value at a time were most of a page's comparisons): the same Decimals, NaN as None."""
    return [None if value != value else Decimal(repr(value)).quantize(quantum) for value in values.tolist()]


def _rates(changes: list[tuple]) -> list[Decimal | None]:
    """The `rate` of each (earlier, current) pair, vectorised: what Change.rate gives for each."""
    if not changes:
        return []
    earlier = np.array([_number(pair[0]) for pair in changes])
    current = np.array([_number(pair[1]) for pair in changes])
    return _decimals(formulas.change_rate(current, earlier), _FRACTION)


_COMPUTED = object()  # Change.given_rate: not given, computed from the pair when read


# Change, Forecast and LineComparison are slotted, not frozen: a page of the API makes 6,000 of them, and a
# frozen dataclass's __init__ (object.__setattr__ per field) took three times as long. Nothing changes them.
@dataclass(slots=True)
class Change:
    """A value against an earlier one: `earlier` as of `as_of` (None: nothing to compare with).
    `given_rate`: the rate already worked out for a page of lines at once (lines_compare)."""

    earlier: Decimal | None
    current: Decimal | None
    as_of: datetime.date | None = None
    given_rate: Decimal | None = field(default=_COMPUTED, repr=False, compare=False)

    @property
    def change(self) -> Decimal | None:
        if self.earlier is None or self.current is None:
            return None
        return self.current - self.earlier

    @property
    def rate(self) -> Decimal | None:
        """The relative change as a fraction (0.125: +12.5 %); None on a base of 0 or of the other sign."""
        if self.given_rate is not _COMPUTED:
            return self.given_rate
        if self.earlier is None or self.current is None:
            return None
        return _decimal(float(formulas.change_rate(float(self.current), float(self.earlier))), _FRACTION)


@dataclass(slots=True)
class Forecast:
    method: str  # SEASONAL or RUN_RATE
    projected: Decimal
    attainment: Decimal | None  # 预计完成率, a fraction; None without a target
    outcome: str | None  # REACHED, ON_TRACK or MISS; None without a target
    reached_on: datetime.date | None  # ON_TRACK: the day the target is reached at this pace

    @property
    def method_label(self) -> str:
        return str(FORECAST_METHODS[self.method])

    @property
    def outcome_label(self) -> str:
        return str(FORECAST_OUTCOMES[self.outcome]) if self.outcome else ""


@dataclass(slots=True)
class LineComparison:
    previous: Change  # 环比
    last_year: Change  # 同比
    year_start: Change  # 较年初: the year-start value against the year-to-date value
    forecast: Forecast | None

    @property
    def changes(self) -> tuple[Change, Change, Change]:
        """环比, 同比 and 较年初, in the order the page shows them."""
        return (self.previous, self.last_year, self.year_start)


def comparison_days(scorecard: Scorecard) -> dict[str, datetime.date]:
    """The days a scorecard's lines are compared with: `previous` (环比) and `last_year` (同比)."""
    return {
        "previous": previous_period_day(scorecard.period, scorecard.date),
        "last_year": same_day_last_year(scorecard.period, scorecard.date),
    }


def last_year_end(period: str, day: datetime.date) -> datetime.date:
    """The last day of the period of this kind a year before the one of `day` (last year's full value)."""
    return period_of(period, same_day_last_year(period, day)).end


FullValueKey = tuple[str, datetime.date, int | None, int | None, int]


def last_year_full_values(keys: Iterable[FullValueKey]) -> dict[FullValueKey, Decimal | None]:
    """Last year's full-period values: for each (period kind, business day, unit id or None, staff id
    or None, metric id), the value of that entity's period of that kind a year before, as published on
    its last day (last_year_end). One query, whatever the number of keys (none without keys)."""
    keys = list(keys)
    if not keys:
        return {}
    ends = {(period, day): last_year_end(period, day) for period, day, *_rest in keys}
    which = Q()
    for period, end in {(period, end) for (period, _day), end in ends.items()}:
        which |= Q(scorecard__period=period, scorecard__date=end)
    units = {unit_id for _period, _day, unit_id, staff_id, _metric in keys if staff_id is None}
    staff = {staff_id for _period, _day, _unit, staff_id, _metric in keys if staff_id is not None}
    whose = Q(scorecard__unit_id__in=units, scorecard__staff=None) | Q(scorecard__staff_id__in=staff)
    rows = ScorecardLine.objects.filter(
        which,
        whose,
        date__in=set(ends.values()),
        scorecard__run__in=RollupDay.objects.published().filter(date__in=set(ends.values())).runs(),
        metric_id__in={metric_id for *_rest, metric_id in keys},
    ).values_list(
        "scorecard__period", "scorecard__date", "scorecard__unit_id", "scorecard__staff_id", "metric_id", "actual"
    )
    found = {
        (period, end, None if staff_id else unit_id, staff_id, metric_id): actual
        for period, end, unit_id, staff_id, metric_id, actual in rows
    }
    return {
        key: found.get((key[0], ends[(key[0], key[1])], key[2] if key[3] is None else None, key[3], key[4]))
        for key in keys
    }


def forecast(*, actual, target, elapsed_days, period_days, last_year_to_date, last_year_full, lower_is_better):
    """The forecast of the module's docstring, vectorised: (projected, seasonal, projected attainment,
    days from the business day until the target is reached: 0 if it is, NaN if not within the period)."""
    elapsed_days = np.asarray(elapsed_days, dtype=float)
    period_days = np.asarray(period_days, dtype=float)
    projected, seasonal = formulas.projection(
        actual, elapsed_days, period_days, last_year_to_date=last_year_to_date, last_year_full=last_year_full
    )
    attainment = formulas.attainment(projected, target, lower_is_better=lower_is_better)
    days = formulas.days_to_target(actual, projected, target, period_days - elapsed_days)
    return projected, seasonal, attainment, days


def counted_days(
    start: datetime.date, day: datetime.date, end: datetime.date, calendar: BusinessCalendar | None
) -> tuple[int, int, BusinessCalendar | None]:
    """(elapsed days, days in the period, the calendar they were counted on) of a forecast on `day` of the
    period start – end: business days on `calendar` (a metric counted in them), else calendar days. A
    period without a business day up to `day` (1–3 January) is counted in calendar days: nothing to run
    a rate on yet."""
    if calendar is not None:
        business = calendar.business_days(start, day)
        if business:
            return business, calendar.business_days(start, end), calendar
    return (day - start).days + 1, (end - start).days + 1, None


def _counted_days(pairs: list[tuple[Scorecard, ScorecardLine]]) -> list[tuple[int, int, BusinessCalendar | None]]:
    """counted_days of each line, the business calendar read once, only when a line counts in it."""
    calendar = None
    if any(line.metric.time_basis == TimeBasis.BUSINESS for _card, line in pairs):
        calendar = CalendarDay.objects.business_calendar()
    return [
        counted_days(
            card.period_start,
            card.date,
            card.period_end,
            calendar if line.metric.time_basis == TimeBasis.BUSINESS else None,
        )
        for card, line in pairs
    ]


def _full_value_key(card: Scorecard, line: ScorecardLine) -> FullValueKey:
    return (card.period, card.date, card.unit_id if card.staff_id is None else None, card.staff_id, line.metric_id)


def _number(value) -> float:
    return np.nan if value is None else float(value)


def _prefetched_lines(card: Scorecard):
    return card.lines.all()


def lines_compare(scorecards: Iterable[Scorecard], lines_of=None) -> None:
    """Give every (prefetched) line of these scorecards its `compared` (a LineComparison). One query at
    most, for last year's full-period values. `lines_of(card)`: the card's lines when they were not
    prefetched (the API's list reads them as rows: kpi.selectors.scorecards.page_lines)."""
    scorecards = list(scorecards)
    if lines_of is None:
        lines_of = _prefetched_lines
    pairs = [(card, line) for card in scorecards for line in lines_of(card)]
    if not pairs:
        return
    forecastable = [
        (card, line)
        for card, line in pairs
        if card.period != PeriodKind.DAY and line.metric.is_cumulative and line.actual is not None
    ]
    seasonal_candidates = [
        (card, line) for card, line in forecastable if line.last_year_actual is not None and line.last_year_actual > 0
    ]
    full = last_year_full_values(_full_value_key(card, line) for card, line in seasonal_candidates)

    # The forecasts, vectorised over the lines.
    forecasts: dict[int, Forecast] = {}
    if forecastable:
        target = np.array([_number(line.target) for _card, line in forecastable])
        lower = np.array([line.metric.direction == Direction.LOWER for _card, line in forecastable])
        counted = _counted_days(forecastable)
        projected, seasonal, attainment, days = forecast(
            actual=[_number(line.actual) for _card, line in forecastable],
            target=target,
            elapsed_days=[elapsed for elapsed, _total, _calendar in counted],
            period_days=[total for _elapsed, total, _calendar in counted],
            last_year_to_date=[_number(line.last_year_actual) for _card, line in forecastable],
            last_year_full=[_number(full.get(_full_value_key(card, line))) for card, line in forecastable],
            lower_is_better=lower,
        )
        projected_decimals = _decimals(np.asarray(projected, dtype=float), _AMOUNT)
        attainment_decimals = _decimals(np.asarray(attainment, dtype=float), _FRACTION)
        # As Python values: a numpy scalar read and compared an element at a time is several times slower.
        targets, lowers, attainments = target.tolist(), lower.tolist(), np.asarray(attainment, dtype=float).tolist()
        days, seasonals = np.asarray(days, dtype=float).tolist(), np.asarray(seasonal).tolist()
        for index, (card, line) in enumerate(forecastable):
            outcome, reached_on = None, None
            if targets[index] == targets[index]:  # not NaN: a target
                if lowers[index]:
                    outcome = ON_TRACK if attainments[index] >= 1 else MISS
                elif days[index] != days[index]:  # NaN: not within the period
                    outcome = MISS
                elif days[index] == 0:
                    outcome = REACHED
                else:
                    outcome, calendar = ON_TRACK, counted[index][2]
                    if calendar is None:
                        reached_on = card.date + datetime.timedelta(days=int(days[index]))
                    else:
                        reached_on = calendar.after(card.date, int(days[index]))
            forecasts[line.pk] = Forecast(
                method=SEASONAL if seasonals[index] else RUN_RATE,
                projected=projected_decimals[index],
                attainment=attainment_decimals[index],
                outcome=outcome,
                reached_on=reached_on,
            )

    # The three rates of every line at once (Change.rate a pair at a time was a numpy call per comparison).
    rates = _rates(
        [
            pair
            for _card, line in pairs
            for pair in (
                (line.previous_actual, line.actual),
                (line.last_year_actual, line.actual),
                (line.year_start_actual, line.year_to_date_actual),
            )
        ]
    )
    as_of: dict[tuple, tuple] = {}  # (period, date) → (previous period's day, last year's day): once each
    for index, (card, line) in enumerate(pairs):
        days = as_of.get((card.period, card.date))
        if days is None:
            days = as_of[card.period, card.date] = (
                previous_period_day(card.period, card.date),
                same_day_last_year(card.period, card.date),
            )
        line.compared = LineComparison(
            previous=Change(line.previous_actual, line.actual, days[0], rates[3 * index]),
            last_year=Change(line.last_year_actual, line.actual, days[1], rates[3 * index + 1]),
            year_start=Change(line.year_start_actual, line.year_to_date_actual, None, rates[3 * index + 2]),
            forecast=forecasts.get(line.pk),
        )
