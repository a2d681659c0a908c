"""The demo's bank calendar (demo/calendar.py): China's 2025 and 2026 holidays and make-up working days,
and the out-of-branch business that follows them (demo.facts.business_factor).

Counted by hand from the State Council's notices: 2025 has 1 + 8 + 3 + 5 + 3 + 8 = 28 holiday days and 5
make-up working days; 2026 has 3 + 9 + 3 + 5 + 3 + 3 + 7 = 33 and 6.
"""

from __future__ import annotations

import datetime

import pytest

from demo import calendar as demo_calendar
from demo import facts as demo_facts
from kpi.models import CalendarDay, Metric

D = datetime.date


def test_the_calendar_holds_every_day_of_each_holiday_and_each_make_up_day():
    rows = demo_calendar.calendar_rows()
    kinds = [(row["date"][:4], row["kind"]) for row in rows]

    assert kinds.count(("2025", "holiday")) == 28
    assert kinds.count(("2025", "workday")) == 5
    assert kinds.count(("2026", "holiday")) == 33
    assert kinds.count(("2026", "workday")) == 6


def test_every_make_up_working_day_is_a_saturday_or_a_sunday():
    assert all(day.weekday() >= 5 for day, _name in demo_calendar.WORKDAYS)


@pytest.mark.parametrize(
    ("day", "business"),
    [
        (D(2026, 1, 2), False),  # 元旦, a Friday
        (D(2026, 1, 4), True),  # the Sunday worked for it
        (D(2026, 2, 23), False),  # 春节's last day, a Monday
        (D(2026, 2, 28), True),  # a Saturday worked
        (D(2026, 10, 7), False),  # 国庆节, a Wednesday
        (D(2026, 10, 10), True),  # a Saturday worked
        (D(2026, 11, 24), True),  # an ordinary Tuesday
    ],
)
def test_out_of_branch_business_happens_on_business_days_only(day, business):
    assert (demo_facts.business_factor(day) > 0) is business


@pytest.mark.django_db
def test_seeding_writes_the_calendar_and_counts_loans_and_visits_in_business_days_once():
    first = demo_calendar.seed_calendar()
    again = demo_calendar.seed_calendar()

    assert (first.days.created, first.metrics) == (72, 2)
    assert (again.days.created, again.days.updated, again.days.unchanged, again.metrics) == (0, 0, 72, 0)
    assert CalendarDay.objects.get(date=D(2026, 10, 10)).name == "国庆节调休"
    assert set(Metric.objects.filter(time_basis="business").values_list("code", flat=True)) == {
        "loan_disbursed",
        "customer_visits",
    }
