"""The comparisons the rollup writes on each line (kpi.services.mirrors): 环比, 同比 and 较年初, with the
figures worked out by hand in the comments.

Calendar: 2026-12-10 is a Thursday (ISO week 50 runs Monday 12-07 to Sunday 12-13; the week before runs
11-30 to 12-06); 2025-12-10 is a Wednesday; Q4 2026 day 71 is 12-10 (31 + 30 + 10), and Q3's day 71 is
09-09 (31 + 31 + 9).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from kpi.models import RollupState
from kpi.services import mirrors, rollup
from lib.periods import days_between, previous_period_day, same_day_last_year
from tests.factories import OrgUnitFactory
from tests.kpi.test_rollup import fact, line
from tests.shared_data import as_in_a_test, shared_data

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    """HQ → SB1 (A, B), SB2 (C), as tests/kpi/test_rollup.py's."""
    return tree_of_the_tests()


def tree_of_the_tests() -> dict:
    """The `tree` fixture's units, made; for data a class shares (tests/shared_data.py) too."""
    hq = OrgUnitFactory.head_office(code="HQ")
    sb1 = OrgUnitFactory.sub_branch_of(hq, code="SB1")
    sb2 = OrgUnitFactory.sub_branch_of(hq, code="SB2")
    return {
        "HQ": hq,
        "SB1": sb1,
        "A": OrgUnitFactory.outlet_of(sb1, code="A"),
        "B": OrgUnitFactory.outlet_of(sb1, code="B"),
        "C": OrgUnitFactory.outlet_of(sb2, code="C"),
    }


def roll(first: datetime.date, last: datetime.date | None = None) -> None:
    """Roll the days up in order, as if the next morning (so the retention rule keeps their scorecards
    whenever the tests run)."""
    for day in days_between(first, last or first):
        rollup.rollup_day(day=day, today=day + datetime.timedelta(days=1))


def rows(day) -> tuple[bool, bool]:
    """Whether the day's published run still has its own running totals, and its mirror ones."""
    run = rollup.RollupDay.objects.get(date=day).published_run
    states = RollupState.objects.filter(run=run)
    return states.filter(as_of=None).exists(), states.exclude(as_of=None).exists()


def served(days, unit, value) -> None:
    for day in days:
        fact(day, unit, "customers_served", value)


class TestTheDays:
    def test_the_previous_period_is_taken_to_the_same_day_count(self):
        assert previous_period_day("month", D(2026, 12, 10)) == D(2026, 11, 10)
        assert previous_period_day("week", D(2026, 12, 10)) == D(2026, 12, 3)
        assert previous_period_day("day", D(2026, 12, 10)) == D(2026, 12, 9)
        assert previous_period_day("quarter", D(2026, 12, 10)) == D(2026, 9, 9)
        assert previous_period_day("year", D(2026, 12, 10)) == D(2025, 12, 10)

    def test_a_longer_period_is_clamped_to_the_previous_periods_length(self):
        # 31 December: November has 30 days. 31 March: February 2026 has 28.
        assert previous_period_day("month", D(2026, 12, 31)) == D(2026, 11, 30)
        assert previous_period_day("month", D(2026, 3, 31)) == D(2026, 2, 28)
        # Q4's day 92 (31 December) against Q3's 92 days: 30 September.
        assert previous_period_day("quarter", D(2026, 12, 31)) == D(2026, 9, 30)

    def test_last_year_is_the_same_date_and_for_a_week_52_weeks_earlier(self):
        assert same_day_last_year("month", D(2026, 12, 10)) == D(2025, 12, 10)
        assert same_day_last_year("month", D(2028, 2, 29)) == D(2027, 2, 28)
        # Thursday 2026-12-10 → Thursday 2025-12-11 (ISO week 50 of 2025 too).
        assert same_day_last_year("week", D(2026, 12, 10)) == D(2025, 12, 11)


class TestPreviousPeriod:
    def test_the_month_to_date_is_compared_with_the_same_days_of_last_month(self, tree):
        a = tree["A"]
        served(days_between(D(2026, 11, 1), D(2026, 11, 10)), a, 10)  # 100
        served(days_between(D(2026, 11, 11), D(2026, 11, 30)), a, 5)  # after the 10th: not compared
        served(days_between(D(2026, 12, 1), D(2026, 12, 10)), a, 15)  # 150
        roll(D(2026, 12, 10))

        month = line(D(2026, 12, 10), "month", "customers_served", unit=a)
        assert (month.actual, month.previous_actual) == (Decimal("150"), Decimal("100"))
        # Week 50 to Thursday: 4 × 15 = 60; the week before to Thursday (11-30 .. 12-03): 5 + 3 × 15 = 50.
        week = line(D(2026, 12, 10), "week", "customers_served", unit=a)
        assert (week.actual, week.previous_actual) == (Decimal("60"), Decimal("50"))
        day = line(D(2026, 12, 10), "day", "customers_served", unit=a)
        assert (day.actual, day.previous_actual) == (Decimal("15"), Decimal("15"))
        # Q3 to 09-09 had no facts at all: nothing to compare with (not a 0).
        assert line(D(2026, 12, 10), "quarter", "customers_served", unit=a).previous_actual is None

    def test_a_unit_compares_the_sum_of_its_outlets(self, tree):
        served(days_between(D(2026, 11, 1), D(2026, 11, 10)), tree["A"], 10)  # 100
        served(days_between(D(2026, 11, 1), D(2026, 11, 10)), tree["B"], 2)  # 20
        served(days_between(D(2026, 12, 1), D(2026, 12, 10)), tree["A"], 15)
        roll(D(2026, 12, 10))
        assert line(D(2026, 12, 10), "month", "customers_served", unit=tree["SB1"]).previous_actual == Decimal("120")
        assert line(D(2026, 12, 10), "month", "customers_served", unit=tree["HQ"]).previous_actual == Decimal("120")

    def test_a_balance_compares_its_value_on_the_earlier_day_and_an_average_its_average(self, tree):
        a = tree["A"]
        fact(D(2026, 10, 31), a, "deposit_balance", 1000)
        fact(D(2026, 11, 6), a, "deposit_balance", 1100)  # carried to 11-10
        fact(D(2026, 12, 1), a, "deposit_balance", 1200)
        roll(D(2026, 12, 10))
        assert line(D(2026, 12, 10), "month", "deposit_balance", unit=a).previous_actual == Decimal("1100")
        # November 1–10: five days of 1000, five of 1100 → 1050.
        assert line(D(2026, 12, 10), "month", "deposit_daily_avg", unit=a).previous_actual == Decimal("1050")
        # Net change of November to the 10th: 1100 − 1000 (10-31) = 100.
        assert line(D(2026, 12, 10), "month", "deposit_growth", unit=a).previous_actual == Decimal("100")

    def test_a_rate_is_recomputed_from_the_earlier_numerator_and_denominator(self, tree):
        a, b = tree["A"], tree["B"]
        fact(D(2026, 11, 3), a, "satisfaction_positive", 9)
        fact(D(2026, 11, 3), a, "satisfaction_responses", 10)
        fact(D(2026, 11, 3), b, "satisfaction_positive", 1)
        fact(D(2026, 11, 4), b, "satisfaction_responses", 30)
        fact(D(2026, 12, 3), a, "satisfaction_positive", 1)
        fact(D(2026, 12, 3), a, "satisfaction_responses", 1)
        roll(D(2026, 12, 10))
        assert line(D(2026, 12, 10), "month", "satisfaction_rate", unit=a).previous_actual == Decimal("90")
        # SB1 in November to the 10th: (9 + 1) / (10 + 30) = 25 %, not the mean of 90 % and 3.3 %.
        assert line(D(2026, 12, 10), "month", "satisfaction_rate", unit=tree["SB1"]).previous_actual == Decimal("25")


class TestLastYear:
    def test_the_same_period_last_year_is_taken_to_the_same_day(self, tree):
        a = tree["A"]
        served(days_between(D(2025, 12, 1), D(2025, 12, 12)), a, 8)  # 1–10 December: 80
        served(days_between(D(2025, 11, 1), D(2025, 11, 2)), a, 50)  # the quarter and year before December
        served(days_between(D(2026, 12, 1), D(2026, 12, 10)), a, 15)
        roll(D(2026, 12, 10))
        assert line(D(2026, 12, 10), "month", "customers_served", unit=a).last_year_actual == Decimal("80")
        # Q4 2025 and 2025 to 12-10: 100 + 80 = 180.
        assert line(D(2026, 12, 10), "quarter", "customers_served", unit=a).last_year_actual == Decimal("180")
        assert line(D(2026, 12, 10), "year", "customers_served", unit=a).last_year_actual == Decimal("180")
        # The year's 环比 is last year by its day count: the same day here (2026 is not a leap year).
        assert line(D(2026, 12, 10), "year", "customers_served", unit=a).previous_actual == Decimal("180")
        # Week 50 of 2025 to Thursday 12-11: 12-08 .. 12-11 = 4 × 8 = 32.
        assert line(D(2026, 12, 10), "week", "customers_served", unit=a).last_year_actual == Decimal("32")

    def test_without_facts_last_year_there_is_no_comparison(self, tree):
        served([D(2026, 12, 10)], tree["A"], 15)
        roll(D(2026, 12, 10))
        assert line(D(2026, 12, 10), "month", "customers_served", unit=tree["A"]).last_year_actual is None


class TestSinceTheStartOfTheYear:
    def test_a_balance_is_compared_with_the_last_day_of_last_year(self, tree):
        a = tree["A"]
        fact(D(2025, 12, 30), a, "deposit_balance", 1000)  # carried to 12-31
        fact(D(2026, 12, 5), a, "deposit_balance", 1300)
        roll(D(2026, 12, 10))
        for period in ("day", "month", "year"):
            balance = line(D(2026, 12, 10), period, "deposit_balance", unit=a)
            assert (balance.year_start_actual, balance.year_to_date_actual) == (Decimal("1000"), Decimal("1300"))
        # The net change already counts from there: 0 at the start, 300 to date (its year value).
        growth = line(D(2026, 12, 10), "month", "deposit_growth", unit=a)
        assert (growth.year_start_actual, growth.year_to_date_actual) == (Decimal("0"), Decimal("300"))
        # The daily average against the balance the year began with (年初余额).
        assert line(D(2026, 12, 10), "month", "deposit_daily_avg", unit=a).year_start_actual == Decimal("1000")

    def test_a_flow_starts_the_year_at_zero_so_its_change_is_the_year_to_date_amount(self, tree):
        a = tree["A"]
        served([D(2026, 1, 5), D(2026, 12, 10)], a, 7)
        roll(D(2026, 12, 10))
        month = line(D(2026, 12, 10), "month", "customers_served", unit=a)
        assert (month.actual, month.year_start_actual, month.year_to_date_actual) == (
            Decimal("7"),
            Decimal("0"),
            Decimal("14"),
        )

    def test_a_rate_of_balances_compares_with_the_end_of_last_year_and_a_rate_of_flows_has_none(self, tree):
        a = tree["A"]
        fact(D(2025, 12, 31), a, "npl_balance", 10)
        fact(D(2025, 12, 31), a, "loan_balance", 1000)
        fact(D(2026, 12, 1), a, "npl_balance", 15)
        fact(D(2026, 12, 1), a, "loan_balance", 1200)
        fact(D(2026, 12, 1), a, "satisfaction_positive", 9)
        fact(D(2026, 12, 1), a, "satisfaction_responses", 10)
        roll(D(2026, 12, 10))
        npl = line(D(2026, 12, 10), "month", "npl_ratio", unit=a)
        # 10 / 1000 = 1 % → 15 / 1200 = 1.25 %.
        assert (npl.year_start_actual, npl.year_to_date_actual) == (Decimal("1"), Decimal("1.25"))
        satisfaction = line(D(2026, 12, 10), "month", "satisfaction_rate", unit=a)
        assert (satisfaction.year_start_actual, satisfaction.year_to_date_actual) == (None, Decimal("90"))


class TestChaining:
    def test_day_by_day_the_comparisons_are_those_of_a_rollup_from_scratch(self, tree):
        a = tree["A"]
        fact(D(2025, 12, 31), a, "deposit_balance", 900)
        for offset, day in enumerate(days_between(D(2025, 11, 20), D(2025, 12, 12))):
            fact(day, a, "customers_served", offset)
        for offset, day in enumerate(days_between(D(2026, 11, 1), D(2026, 12, 10))):
            fact(day, a, "customers_served", 2 * offset)
            fact(day, a, "deposit_balance", 1000 + offset)
        roll(D(2026, 11, 25), D(2026, 12, 10))
        chained = {
            (found.scorecard.period, found.metric.code): [
                getattr(found, column) for column in mirrors.COMPARISON_COLUMNS
            ]
            for found in _lines(D(2026, 12, 10), a)
        }
        # Again, from scratch: only the day itself.
        rollup.RollupDay.objects.exclude(date=D(2026, 12, 10)).delete()
        roll(D(2026, 12, 10))
        scratch = {
            (found.scorecard.period, found.metric.code): [
                getattr(found, column) for column in mirrors.COMPARISON_COLUMNS
            ]
            for found in _lines(D(2026, 12, 10), a)
        }
        assert chained == scratch
        # Hand-checked: 1–10 November brought 2 × (0 + … + 9) = 90; 1–10 December 2 × (30 + … + 39) = 690.
        assert chained[("month", "customers_served")][0] == Decimal("90")
        # 2025-12-01 .. 12-10 were days 11 .. 20 of the count that began on 11-20: 155.
        assert chained[("month", "customers_served")][1] == Decimal("155")

    def test_a_run_keeps_the_running_totals_of_its_mirror_days_for_the_next(self, tree):
        served(days_between(D(2026, 11, 1), D(2026, 12, 10)), tree["A"], 1)
        roll(D(2026, 12, 9), D(2026, 12, 10))
        run = rollup.RollupDay.objects.get(date=D(2026, 12, 10)).published_run
        kept = set(RollupState.objects.filter(run=run).exclude(as_of=None).values_list("as_of", flat=True))
        # The week and month before, the quarter's day 71, and last year (nothing before 2026-11-01 exists,
        # but its running totals are those of an empty network: no rows); not the day before (12-09 is
        # the previous run's own).
        assert kept == {D(2026, 12, 3), D(2026, 11, 10)}

    def test_a_published_days_own_running_totals_and_a_day_next_to_a_kept_one_are_not_kept_again(self, tree):
        a = tree["A"]
        served(days_between(D(2025, 12, 1), D(2025, 12, 12)), a, 8)
        served(days_between(D(2026, 11, 1), D(2026, 12, 10)), a, 1)
        roll(D(2026, 12, 3), D(2026, 12, 10))
        run = rollup.RollupDay.objects.get(date=D(2026, 12, 10)).published_run
        kept = set(RollupState.objects.filter(run=run).exclude(as_of=None).values_list("as_of", flat=True))
        # 12-03 is a published day with its own running totals; 2025-12-11 (the week 52 weeks ago) is a day
        # after 2025-12-10 (last year's), which is kept. The month before (11-10) and the quarter's day 71
        # (09-09, the running totals of a flow known since last December) are kept.
        assert kept == {D(2026, 9, 9), D(2026, 11, 10), D(2025, 12, 10)}
        # The next day still compares its week with last year's from them: 2025-12-08 .. 12-12 = 5 × 8.
        roll(D(2026, 12, 11))
        assert line(D(2026, 12, 11), "week", "customers_served", unit=a).last_year_actual == Decimal("40")
        assert line(D(2026, 12, 11), "week", "customers_served", unit=a).previous_actual == Decimal("5")

    def test_nights_missed_are_made_up_every_day_past_the_horizon_not_only_the_week_that_just_aged(self, tree):
        served(days_between(D(2026, 11, 1), D(2026, 12, 10)), tree["A"], 1)
        roll(D(2026, 11, 16), D(2026, 12, 10))

        # No night ran since 11-16; the night of 12-10 prunes the mirrors of 11-16 to 12-02 (17 days).
        rollup.states_prune(today=D(2026, 12, 10))

        assert {rows(day) for day in days_between(D(2026, 11, 16), D(2026, 12, 2))} == {(True, False)}
        assert rows(D(2026, 12, 3)) == (True, True)

    def test_a_late_fact_of_last_month_changes_this_months_comparison(self, tree):
        a = tree["A"]
        served(days_between(D(2026, 11, 1), D(2026, 12, 10)), a, 1)
        roll(D(2026, 12, 8), D(2026, 12, 10))
        assert line(D(2026, 12, 10), "month", "customers_served", unit=a).previous_actual == Decimal("10")
        fact(D(2026, 11, 5), a, "customers_served", 11)
        assert rollup.days_mark_stale(dates=[D(2026, 11, 5)]) == 3
        roll(D(2026, 12, 8), D(2026, 12, 10))
        assert line(D(2026, 12, 10), "month", "customers_served", unit=a).previous_actual == Decimal("20")


@pytest.fixture(scope="class")
def rolled_from_the_28th(django_db_setup, django_db_blocker):
    """The tree, with 1 customer served a day at A from 11-01 to 12-10, rolled up 11-28 to 12-10: made once
    for the class (tests/shared_data.py), whose tests each prune it in a savepoint of their own; the
    thirteen days' rollup cost each of them seconds."""
    with shared_data(django_db_blocker), as_in_a_test():
        served(days_between(D(2026, 11, 1), D(2026, 12, 10)), tree_of_the_tests()["A"], 1)
        roll(D(2026, 11, 28), D(2026, 12, 10))
        yield


class TestTheNightlyPrune:
    def test_the_mirror_running_totals_of_a_run_go_at_the_nightly_prune_after_a_week_and_its_own_stay(
        self, rolled_from_the_28th
    ):
        # The publications delete nothing of earlier runs: 12-02's run still has its mirror running totals.
        assert rows(D(2026, 12, 2)) == (True, True)

        rollup.states_prune(today=D(2026, 12, 10))

        # The night of 12-10: a run published before 12-03 keeps its own, not its mirror ones.
        assert rows(D(2026, 12, 2)) == (True, False)
        assert rows(D(2026, 12, 3)) == (True, True)

    def test_the_own_running_totals_go_at_the_nightly_prune_after_rollup_state_days(
        self, rolled_from_the_28th, settings
    ):
        settings.ROLLUP_STATE_DAYS = 5  # read by the prune alone, not by the rollup

        deleted = rollup.states_prune(today=D(2026, 12, 10))

        # 12-10 less 5 days is 12-05: the runs of 11-28 to 12-04 lose everything, 12-05 keeps both kinds.
        assert [rows(day) for day in days_between(D(2026, 11, 28), D(2026, 12, 4))] == [(False, False)] * 7
        assert rows(D(2026, 12, 5)) == (True, True)
        # Run again the same night, it finds nothing more.
        assert deleted > 0
        assert rollup.states_prune(today=D(2026, 12, 10)) == 0


def _lines(day, unit):
    cards = rollup.Scorecard.objects.published().filter(date=day, unit=unit, staff=None)
    return rollup.ScorecardLine.objects.filter(scorecard__in=cards).select_related("scorecard", "metric")


def test_a_figure_is_looked_up_by_all_its_keys_and_is_empty_where_the_table_has_none():
    table = pd.DataFrame({"unit_id": [5, 5, 7], "metric_id": [1, 2, 1], "value": [10.0, 20.0, 30.0]})
    wanted = mirrors._Keys([np.array([7, 5, 5, 9]), np.array([1, 2, 3, 1])])

    found = mirrors._looked_up(table, ["unit_id", "metric_id"], "value", wanted)
    assert found[:2].tolist() == [30.0, 20.0]
    assert np.isnan(found[2:]).all()  # (5, 3) and (9, 1): no such row
    assert np.isnan(mirrors._looked_up(table.iloc[:0], ["unit_id", "metric_id"], "value", wanted)).all()


def test_keys_are_packed_one_integer_a_row_and_a_tables_key_that_no_row_has_is_minus_one():
    keys = mirrors._Keys([np.array([7, 5, 7, 5]), np.array([1, 1, 2, 1])])
    # Units numbered 7 → 0, 5 → 1; metrics 1 → 0, 2 → 1: unit × 2 + metric.
    assert keys.packed.tolist() == [0, 2, 1, 2]
    assert keys.of([np.array([5, 7, 9, 5]), np.array([2, 2, 1, 3])]).tolist() == [3, 1, -1, -1]
