"""The demo's bank calendar: China's public holidays and make-up working days (调休) of 2025 and 2026, as
the State Council's notices set them (国务院办公厅关于2025年部分节假日安排的通知, 国办发明电〔2024〕12号,
of 12 November 2024; 关于2026年部分节假日安排的通知, of 4 November 2025).

Every day of a holiday block is listed as a holiday, its weekend days too, under the holiday's name; the
make-up working days are the Saturdays and Sundays worked in exchange. The same calendar drives the
demo's out-of-branch business (demo.facts.business_factor: loans, visits, merchants happen on business
days), so the metrics the demo counts in business days (BUSINESS_DAY_METRICS) pace as they are planned.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cache

from kpi.models import CalendarDay, TimeBasis
from kpi.services.calendar import calendar_days_import, metrics_time_basis_set
from lib.csvimport import CsvRow, ImportResult
from lib.periods import BusinessCalendar, days_between

D = datetime.date

# (first day, last day, name) of each holiday block.
HOLIDAYS = (
    (D(2025, 1, 1), D(2025, 1, 1), "元旦"),
    (D(2025, 1, 28), D(2025, 2, 4), "春节"),
    (D(2025, 4, 4), D(2025, 4, 6), "清明节"),
    (D(2025, 5, 1), D(2025, 5, 5), "劳动节"),
    (D(2025, 5, 31), D(2025, 6, 2), "端午节"),
    (D(2025, 10, 1), D(2025, 10, 8), "国庆节、中秋节"),
    (D(2026, 1, 1), D(2026, 1, 3), "元旦"),
    (D(2026, 2, 15), D(2026, 2, 23), "春节"),
    (D(2026, 4, 4), D(2026, 4, 6), "清明节"),
    (D(2026, 5, 1), D(2026, 5, 5), "劳动节"),
    (D(2026, 6, 19), D(2026, 6, 21), "端午节"),
    (D(2026, 9, 25), D(2026, 9, 27), "中秋节"),
    (D(2026, 10, 1), D(2026, 10, 7), "国庆节"),
)

# The weekend days worked (调休上班), each with the holiday it pays for.
WORKDAYS = (
    (D(2025, 1, 26), "春节调休"),
    (D(2025, 2, 8), "春节调休"),
    (D(2025, 4, 27), "劳动节调休"),
    (D(2025, 9, 28), "国庆节调休"),
    (D(2025, 10, 11), "国庆节调休"),
    (D(2026, 1, 4), "元旦调休"),
    (D(2026, 2, 14), "春节调休"),
    (D(2026, 2, 28), "春节调休"),
    (D(2026, 5, 9), "劳动节调休"),
    (D(2026, 9, 20), "国庆节调休"),
    (D(2026, 10, 10), "国庆节调休"),
)

# Counted in business days (Metric.time_basis): out-of-branch business, done on working days only, so
# its plan and its pace follow them. The counter's and the lobby's flows, open at weekends, stay on
# calendar days.
BUSINESS_DAY_METRICS = ("loan_disbursed", "customer_visits")


def calendar_rows() -> list[CsvRow]:
    """The demo calendar as the rows of a calendar file (kpi.services.calendar.CALENDAR_COLUMNS)."""
    days = [
        (day, CalendarDay.Kind.HOLIDAY, name) for first, last, name in HOLIDAYS for day in days_between(first, last)
    ]
    days += [(day, CalendarDay.Kind.WORKDAY, name) for day, name in WORKDAYS]
    return [
        CsvRow(line=line, values={"date": day.isoformat(), "kind": kind.value, "name": name})
        for line, (day, kind, name) in enumerate(sorted(days), start=2)
    ]


@cache
def business_calendar() -> BusinessCalendar:
    """The same days as lib.periods takes them (no database: the demo's facts are drawn from it)."""
    return BusinessCalendar(
        holidays=frozenset(day for first, last, _name in HOLIDAYS for day in days_between(first, last)),
        workdays=frozenset(day for day, _name in WORKDAYS),
    )


@dataclass
class SeededCalendar:
    days: ImportResult
    metrics: int

    def __str__(self) -> str:
        basis = ", ".join(BUSINESS_DAY_METRICS)
        return f"Calendar 2025–2026: {self.days}; time progress in business days: {basis} ({self.metrics} changed)"


def seed_calendar() -> SeededCalendar:
    """Write the calendar (calendar_days_import, a keyed upsert: a second run changes nothing) and count
    BUSINESS_DAY_METRICS in business days."""
    days = calendar_days_import(rows=calendar_rows())
    metrics = metrics_time_basis_set(codes=BUSINESS_DAY_METRICS, time_basis=TimeBasis.BUSINESS)
    return SeededCalendar(days=days, metrics=metrics)
