"""Time progress in business days (lib/periods.py: BusinessCalendar, period_timing).

The month used below is May 2026, counted by hand. 1 May is a Friday; the weekdays are Fri 1, Mon–Fri
4–8, 11–15, 18–22 and 25–29: 1 + 4 × 5 = 21. 劳动节 runs Friday 1 to Tuesday 5 May (the weekdays 1, 4 and 5
off: 21 − 3 = 18) and Saturday 9 May is worked (调休): 18 + 1 = 19 business days in May.

    business days through    Sat 9: 6, 7, 8, 9                 = 4
                             Sun 10: the same four             = 4
                             Mon 11: 6, 7, 8, 9, 11            = 5
"""

from __future__ import annotations

import datetime
from fractions import Fraction

import pytest

from lib.periods import BusinessCalendar, Timing, parse_period, period_timing

D = datetime.date

LABOUR_DAY = BusinessCalendar(
    holidays=frozenset({D(2026, 5, 1), D(2026, 5, 2), D(2026, 5, 3), D(2026, 5, 4), D(2026, 5, 5)}),
    workdays=frozenset({D(2026, 5, 9)}),
)
MAY = parse_period("2026-05")


def test_may_2026_has_19_business_days_with_labour_day_and_a_make_up_saturday():
    assert LABOUR_DAY.business_days(MAY.start, MAY.end) == 19


def test_without_holidays_a_month_counts_its_weekdays():
    assert BusinessCalendar().business_days(MAY.start, MAY.end) == 21


@pytest.mark.parametrize(
    ("day", "business"),
    [
        (D(2026, 5, 1), False),  # a Friday, a holiday
        (D(2026, 5, 6), True),  # a Wednesday
        (D(2026, 5, 9), True),  # a Saturday worked
        (D(2026, 5, 10), False),  # a Sunday
    ],
)
def test_a_business_day_is_a_weekday_not_a_holiday_or_a_make_up_working_day(day, business):
    assert LABOUR_DAY.is_business_day(day) is business


def test_on_monday_the_11th_five_of_19_business_days_are_gone_and_14_remain():
    assert period_timing(MAY, D(2026, 5, 11), calendar=LABOUR_DAY) == Timing(Fraction(5, 19), 14, True)


def test_a_day_that_is_not_a_business_day_counts_the_business_days_through_it():
    # Saturday the 9th is worked: 4 of 19; Sunday the 10th is not, and stands where Saturday stood.
    assert period_timing(MAY, D(2026, 5, 9), calendar=LABOUR_DAY) == Timing(Fraction(4, 19), 15, True)
    assert period_timing(MAY, D(2026, 5, 10), calendar=LABOUR_DAY) == Timing(Fraction(4, 19), 15, True)


def test_before_the_first_business_day_no_time_has_passed():
    assert period_timing(MAY, D(2026, 5, 3), calendar=LABOUR_DAY) == Timing(Fraction(0), 19, True)


def test_after_the_last_business_day_the_period_is_done_and_no_business_day_remains():
    # Friday the 29th is the last; Sunday the 31st is the last day of the month.
    assert period_timing(MAY, D(2026, 5, 29), calendar=LABOUR_DAY) == Timing(Fraction(1), 0, True)
    assert period_timing(MAY, D(2026, 5, 31), calendar=LABOUR_DAY) == Timing(Fraction(1), 0, True)


def test_without_a_calendar_time_progress_is_in_calendar_days_as_domain_4_has_it():
    assert period_timing(MAY, D(2026, 5, 11)) == Timing(Fraction(11, 31), 20, False)


def test_a_period_without_a_business_day_falls_back_to_calendar_days():
    labour_day = parse_period("2026-05-04")  # a Monday off
    assert period_timing(labour_day, D(2026, 5, 4), calendar=LABOUR_DAY) == Timing(Fraction(1), 0, False)
    # A week whose five weekdays are all holidays: Wednesday is 3 of its 7 calendar days.
    week = parse_period("2026-W41")
    off = BusinessCalendar(holidays=frozenset(D(2026, 10, day) for day in range(5, 10)))
    assert period_timing(week, D(2026, 10, 7), calendar=off) == Timing(Fraction(3, 7), 4, False)


def test_a_holiday_at_the_weekend_and_a_make_up_day_on_a_weekday_change_nothing():
    calendar = BusinessCalendar(holidays=frozenset({D(2026, 5, 16)}), workdays=frozenset({D(2026, 5, 20)}))
    assert calendar.business_days(MAY.start, MAY.end) == 21


def test_a_day_marked_both_holiday_and_make_up_day_is_worked():
    calendar = BusinessCalendar(holidays=frozenset({D(2026, 5, 9)}), workdays=frozenset({D(2026, 5, 9)}))
    assert calendar.is_business_day(D(2026, 5, 9))
    assert calendar.business_days(MAY.start, MAY.end) == 22


def test_a_day_outside_the_period_is_refused():
    with pytest.raises(ValueError):
        period_timing(MAY, D(2026, 6, 1), calendar=LABOUR_DAY)
