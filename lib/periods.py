"""Period arithmetic: the one home for years, quarters, months, ISO weeks, days and time progress.

A period is written as in files and the API: `2026`, `2026-Q4`, `2026-11`, `2026-W48` (ISO week, Monday
start; its year is the ISO year, so 2026-W01 starts on Monday 2025-12-29) or `2026-11-24` for a day.

Parsed here and nowhere else: `parse_period` (any code, or only some kinds), `parse_month` (YYYY-MM),
`parse_date` (YYYY-MM-DD), and `read_period_params`, the lenient reader of a page's `?date=&period=`.
Dates and periods are taken from FIRST_DAY to LAST_DAY (years 1900 to 2100) only: no bank data is
older, no plan runs longer, and a day near 0001-01-01 or 9999-12-31 would overflow the arithmetic
around it (the day before, the end of its week). Digits are ASCII (0-9) only.
The form fields are in lib/periods_forms.py and the API's in lib/api_fields.py; both call these.

Time progress (时间进度) is computed here too, in calendar days (`Period.time_progress`, DOMAIN.md §4's
default) or in business days (`period_timing` with a `BusinessCalendar`: the bank's holidays and
make-up working days, which kpi reads from its calendar and passes in; lib reads no table).

The parsers' messages are English (the API's, the CSV imports' and the commands' language); a message
a page or a form shows in the reader's language is marked with gettext_noop here and translated by
the caller (the form fields), so each message has one text.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from django.utils.translation import gettext, gettext_lazy, gettext_noop


class PeriodKind(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


# From the shortest to the longest: the order scorecards and the period switch (日 周 月 季 年) use.
PERIOD_KINDS: tuple[PeriodKind, ...] = (
    PeriodKind.DAY,
    PeriodKind.WEEK,
    PeriodKind.MONTH,
    PeriodKind.QUARTER,
    PeriodKind.YEAR,
)


@dataclass(frozen=True, order=True)
class Period:
    start: datetime.date
    end: datetime.date
    kind: PeriodKind

    @property
    def code(self) -> str:
        if self.kind == PeriodKind.DAY:
            return self.start.isoformat()
        if self.kind == PeriodKind.WEEK:
            iso_year, iso_week, _ = self.start.isocalendar()
            return f"{iso_year}-W{iso_week:02d}"
        if self.kind == PeriodKind.MONTH:
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return self.code

    def elapsed_days(self, as_of: datetime.date) -> int:
        """Days from the start up to and including `as_of` (which must lie in the period)."""
        self._check(as_of)
        return (as_of - self.start).days + 1

    def remaining_days(self, as_of: datetime.date) -> int:
        """Days after `as_of` up to and including the end: 0 on the last day."""
        self._check(as_of)
        return (self.end - as_of).days

    def time_progress(self, as_of: datetime.date) -> Fraction:
        """时间进度 = (d − start + 1) / (end − start + 1), exact."""
        return Fraction(self.elapsed_days(as_of), self.days)

    def previous(self) -> Period:
        return period_of(self.kind, self.start - datetime.timedelta(days=1))

    def _check(self, as_of: datetime.date) -> None:
        if as_of not in self:
            raise ValueError(f"{as_of} is not in period {self.code} ({self.start} – {self.end})")


@dataclass(frozen=True)
class BusinessCalendar:
    """Which days are business days (工作日): Monday to Friday, except holidays, plus the make-up
    working days (调休上班: a Saturday or Sunday worked in exchange for a holiday). A day in both sets
    is a working day."""

    holidays: frozenset[datetime.date] = frozenset()
    workdays: frozenset[datetime.date] = frozenset()  # make-up working days

    def is_business_day(self, day: datetime.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def business_days(self, first: datetime.date, last: datetime.date) -> int:
        """Business days from first to last, both included (0 when last is before first)."""
        if last < first:
            return 0
        weeks, rest = divmod((last - first).days + 1, 7)
        weekdays = weeks * 5 + sum(1 for offset in range(rest) if (first.weekday() + offset) % 7 < 5)
        off = sum(1 for day in self.holidays if first <= day <= last and day.weekday() < 5 and day not in self.workdays)
        worked = sum(1 for day in self.workdays if first <= day <= last and day.weekday() >= 5)
        return weekdays - off + worked

    def after(self, day: datetime.date, count: int) -> datetime.date:
        """The count-th business day after `day` (`day` itself when count is 0)."""
        while count > 0:
            day += datetime.timedelta(days=1)
            count -= self.is_business_day(day)
        return day


@dataclass(frozen=True)
class Timing:
    """Where a day stands in its period: the time progress (a fraction), the days still to come after it
    (what required-per-day divides by) and whether they are counted in business days."""

    time_progress: Fraction
    remaining_days: int
    business_days: bool


def period_timing(period: Period, as_of: datetime.date, *, calendar: BusinessCalendar | None = None) -> Timing:
    """Time progress and remaining days of `period` on `as_of`: the one rule for both bases.

    - Calendar days (no `calendar`, DOMAIN.md §4's default): (d − start + 1) / (end − start + 1); the
      days after d up to the end remain.
    - Business days (with `calendar`): business days from the start through d / business days in the
      period; the business days after d up to the end remain. A day that is not a business day itself
      (a Saturday, a holiday) counts the business days through it all the same, so it stands where the
      business day before it stood; before the period's first business day (1–3 January) the time
      progress is 0, and nothing was due yet. A period without a single business day (a day period on a
      holiday, a week of 国庆) falls back to calendar days, and says so (`business_days` false).
    """
    calendar_days = Timing(period.time_progress(as_of), period.remaining_days(as_of), False)  # refuses a day outside
    total = calendar.business_days(period.start, period.end) if calendar is not None else 0
    if not total:
        return calendar_days
    elapsed = calendar.business_days(period.start, as_of)
    return Timing(Fraction(elapsed, total), total - elapsed, True)


def period_of(kind: PeriodKind | str, day: datetime.date) -> Period:
    """The period of this kind that contains `day`."""
    kind = PeriodKind(kind)
    if kind == PeriodKind.DAY:
        return Period(day, day, kind)
    if kind == PeriodKind.WEEK:
        start = day - datetime.timedelta(days=day.weekday())
        return Period(start, start + datetime.timedelta(days=6), kind)
    if kind == PeriodKind.MONTH:
        return Period(day.replace(day=1), _month_end(day.year, day.month), kind)
    if kind == PeriodKind.QUARTER:
        first_month = (day.month - 1) // 3 * 3 + 1
        return Period(datetime.date(day.year, first_month, 1), _month_end(day.year, first_month + 2), kind)
    return Period(datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 31), kind)


# The period switch of the pages and the words of the alerts: 日 周 月 季 年.
PERIOD_LABELS = {
    PeriodKind.DAY: gettext_lazy("Day"),
    PeriodKind.WEEK: gettext_lazy("Week"),
    PeriodKind.MONTH: gettext_lazy("Month"),
    PeriodKind.QUARTER: gettext_lazy("Quarter"),
    PeriodKind.YEAR: gettext_lazy("Year"),
}


def periods_of(day: datetime.date) -> dict[PeriodKind, Period]:
    return {kind: period_of(kind, day) for kind in PERIOD_KINDS}


# -- the days a period-to-date figure is compared with (环比, 同比) -----------------------------------


def previous_period_day(kind: PeriodKind | str, day: datetime.date) -> datetime.date:
    """环比: the day of the previous period of this kind with as many days elapsed as `day` has in its own,
    clamped to the previous period's length. On 2026-12-10 the month is compared to 2026-11-10 (1–10
    December with 1–10 November), 2026-12-31 to 2026-11-30; a week to the same weekday of the week
    before (D − 7); a day to the day before; a quarter by its day count (day 62 of Q4, 1 December, with
    day 62 of Q3, 31 August); a year by its day count as well."""
    period = period_of(kind, day)
    previous = period.previous()
    return previous.start + datetime.timedelta(days=min(period.elapsed_days(day), previous.days) - 1)


def same_day_last_year(kind: PeriodKind | str, day: datetime.date) -> datetime.date:
    """同比: the day a year earlier that ends the same period of last year. A week: 52 weeks earlier (the
    same weekday of the week with, as a rule, the same ISO number); any other kind: the same date one
    year earlier, 29 February taken as 28 February."""
    if PeriodKind(kind) == PeriodKind.WEEK:
        return day - datetime.timedelta(weeks=52)
    if day.month == 2 and day.day == 29:
        return datetime.date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


# The supported range of every date and period (see the module's docstring), defined here once.
FIRST_YEAR, LAST_YEAR = 1900, 2100
FIRST_DAY, LAST_DAY = datetime.date(FIRST_YEAR, 1, 1), datetime.date(LAST_YEAR, 12, 31)

_PATTERNS = (
    (re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$"), PeriodKind.DAY),
    (re.compile(r"^([0-9]{4})-W([0-9]{2})$"), PeriodKind.WEEK),
    (re.compile(r"^([0-9]{4})-Q([1-4])$"), PeriodKind.QUARTER),
    (re.compile(r"^([0-9]{4})-([0-9]{2})$"), PeriodKind.MONTH),
    (re.compile(r"^([0-9]{4})$"), PeriodKind.YEAR),
)

PERIOD_FORMATS = "2026, 2026-Q4, 2026-11, 2026-W48 or 2026-11-24"
# The same, for a form's help text in the reader's language.
PERIOD_FORMATS_TEXT = gettext_lazy("2026, 2026-Q4, 2026-11, 2026-W48 or 2026-11-24")


class PeriodKindError(ValueError):
    """A good period code of a kind the caller does not take (a day where a month is wanted)."""


class OutOfRangeError(ValueError):
    """A well-formed date or period outside FIRST_DAY – LAST_DAY (0001-W01, 9999-12-31)."""


def parse_period(code: str, *, kinds: Collection[PeriodKind] | None = None) -> Period:
    """Parse a period code; ValueError says what was expected. With `kinds`, a code of another kind is
    refused too, as a PeriodKindError with the same words (a caller that narrows the kinds says which
    it takes in its own)."""
    period = _parse_period(code)
    if period is None:
        raise ValueError(f"'{code}' is not a period (expected {PERIOD_FORMATS})")
    if kinds is not None and period.kind not in kinds:
        raise PeriodKindError(f"'{code}' is not a period (expected {PERIOD_FORMATS})")
    # The code's own year (a week's is its ISO year: 2100-W52 ends on 2101-01-02 and is taken).
    if not FIRST_YEAR <= int(code.strip()[:4]) <= LAST_YEAR:
        raise OutOfRangeError(f"'{code}' is outside the supported range (years {FIRST_YEAR} to {LAST_YEAR})")
    return period


def _parse_period(code: str) -> Period | None:
    text = (code or "").strip()
    for pattern, kind in _PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        numbers = [int(group) for group in match.groups()]
        try:
            if kind == PeriodKind.DAY:
                return period_of(kind, datetime.date(*numbers))
            if kind == PeriodKind.WEEK:
                return period_of(kind, datetime.date.fromisocalendar(numbers[0], numbers[1], 1))
            if kind == PeriodKind.QUARTER:
                return period_of(kind, datetime.date(numbers[0], numbers[1] * 3, 1))
            if kind == PeriodKind.MONTH:
                return period_of(kind, datetime.date(numbers[0], numbers[1], 1))
            return period_of(kind, datetime.date(numbers[0], 1, 1))
        except (ValueError, OverflowError):  # 2026-02-30; 9999-W52 ends past the last date there is
            break
    return None


_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_MONTH_OR_FIRST_DAY = re.compile(r"^([0-9]{4})-([0-9]{2})(?:-01)?$")
_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
# As Chinese Excel writes a date in a CSV file: 2026/12/01, or 2026/12/1.
_SLASHED_DATE = re.compile(r"^([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})$")

# Months from 1900 on: the month before must still be a date, and no bank data is older.
FIRST_MONTH = FIRST_DAY

# One message for every door that takes a month (API, pages, admin, CSV imports, commands, tasks).
NOT_A_MONTH = gettext_noop("'%(text)s' is not a month (expected YYYY-MM, such as 2026-11)")


def parse_month(text: str, *, first_day: bool = False) -> datetime.date:
    """'2026-11' → 2026-11-01, the date a month is stored as; ValueError says what was expected.

    `first_day` also takes the stored form itself ('2026-11-01'): the tiering's Celery task is queued
    with it. Spaces around are ignored; a month before 1900 is refused."""
    match = (_MONTH_OR_FIRST_DAY if first_day else _MONTH).match((text or "").strip())
    if match and int(match[1]) >= FIRST_MONTH.year and 1 <= int(match[2]) <= 12:
        return datetime.date(int(match[1]), int(match[2]), 1)
    raise ValueError(NOT_A_MONTH % {"text": text})


def parse_date(text: str, *, slashes: bool = False) -> datetime.date:
    """A YYYY-MM-DD date from FIRST_DAY to LAST_DAY; ValueError says what was expected (OutOfRangeError
    for a good date outside the range). Nothing else is a date: not 2026-1-5, not the ISO week date
    2026-W01-1 (which datetime.date.fromisoformat reads), not 20261201.

    `slashes` also takes YYYY/MM/DD (and YYYY/M/D), as Chinese Excel writes dates in CSV files."""
    match = _DATE.match(text or "") or (_SLASHED_DATE.match(text or "") if slashes else None)
    try:
        day = datetime.date(*(int(part) for part in match.groups())) if match else None
    except ValueError:  # 2026-02-30
        day = None
    if day is None:
        raise ValueError(f"'{text}' is not a date as YYYY-MM-DD")
    if not FIRST_DAY <= day <= LAST_DAY:
        raise OutOfRangeError(f"'{text}' is outside the supported range ({FIRST_DAY} to {LAST_DAY})")
    return day


NOT_A_PAGE_PERIOD = gettext_noop("“%(value)s” is not a period; choose day, week, month, quarter or year.")
NOT_A_PAGE_DATE = gettext_noop("“%(value)s” is not a date; pick one as YYYY-MM-DD.")


@dataclass(frozen=True)
class PeriodParams:
    """A page's `?period=` (a kind) and `?date=` (a business day), read leniently: a bad value is
    reported in `errors` (in the reader's language) and replaced by the default, so the page still
    shows something useful."""

    kind: PeriodKind
    day: datetime.date | None
    errors: tuple[str, ...] = ()

    @property
    def period(self) -> Period | None:
        return period_of(self.kind, self.day) if self.day else None


def read_period_params(
    query: Mapping[str, str],
    *,
    latest: datetime.date | None,
    default_kind: PeriodKind = PeriodKind.MONTH,
    dated: bool = True,
) -> PeriodParams:
    """The one reader of the pages' `?period=&date=`.

    1. `period` is a kind (day … year); missing: `default_kind`; anything else is reported and the
       default shown.
    2. `date` is YYYY-MM-DD; missing or bad (reported): `latest`, the latest rolled-up day. A page
       that always shows the latest day (the overview) passes `dated=False` and `date` is not read.
    """
    errors: list[str] = []
    kind_text = query.get("period") or default_kind.value
    try:
        kind = PeriodKind(kind_text)
    except ValueError:
        errors.append(gettext(NOT_A_PAGE_PERIOD) % {"value": kind_text})
        kind = default_kind
    day = latest
    date_text = (query.get("date") or "") if dated else ""
    if date_text:
        try:
            day = parse_date(date_text)
        except ValueError:
            errors.append(gettext(NOT_A_PAGE_DATE) % {"value": date_text})
    return PeriodParams(kind=kind, day=day, errors=tuple(errors))


def days_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """Every day from first to last, inclusive."""
    return [first + datetime.timedelta(days=offset) for offset in range((last - first).days + 1)]


def _month_end(year: int, month: int) -> datetime.date:
    if month == 12:
        return datetime.date(year, 12, 31)
    return datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)
