"""The comparisons and the forecast of scorecard lines as pages, downloads and the API read them
(kpi.selectors.comparisons), with the figures worked out by hand in the comments.

2026-11-10 is day 10 of November's 30: time progress 1/3.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from kpi.models import Metric, TimeBasis
from kpi.selectors.comparisons import MISS, ON_TRACK, REACHED, RUN_RATE, SEASONAL, Change, lines_compare
from kpi.selectors.scorecards import scorecard_get
from tests.factories import OrgUnitFactory
from tests.kpi.scorecard_factories import ScorecardFactory, ScorecardLineFactory, metric, published_day

D = datetime.date
DAY = D(2026, 11, 10)
pytestmark = pytest.mark.django_db


@pytest.fixture
def outlet():
    return OrgUnitFactory.outlet_of(OrgUnitFactory.head_office(code="HQ"), code="A")


def compared(outlet, code="mobile_banking_signups", period="month", day=DAY, **figures):
    """The line of `code` on a published scorecard of the outlet, as a page reads it (with its
    `compared`)."""
    card = ScorecardFactory(run=published_day(day).published_run, unit=outlet, period=period)
    ScorecardLineFactory(scorecard=card, metric=metric(code), **figures)
    scorecard = scorecard_get(date=day, period=period, unit=outlet)
    lines_compare([scorecard])
    return scorecard.lines.all()[0].compared


def last_year_published(outlet, end, actual, code="mobile_banking_signups", period="month"):
    card = ScorecardFactory(run=published_day(end).published_run, unit=outlet, period=period)
    ScorecardLineFactory(scorecard=card, metric=metric(code), actual=actual)


class TestRunRate:
    def test_300_after_10_of_30_days_projects_900_so_a_target_of_1000_is_missed_in_the_period(self, outlet):
        forecast = compared(outlet, actual="300", target="1000").forecast
        # 300 / 10 × 30 = 900: 90 % of 1,000. At 30 a day the 700 missing need 24 more days; 20 are left.
        assert (forecast.method, forecast.projected, forecast.attainment) == (RUN_RATE, Decimal("900"), Decimal("0.9"))
        assert (forecast.outcome, forecast.reached_on) == (MISS, None)
        with translation.override("en"):
            assert forecast.outcome_label == "Not reached within this period"  # 本期内无法完成

    def test_a_reachable_target_gives_the_day_it_is_reached_at_this_pace(self, outlet):
        forecast = compared(outlet, actual="300", target="800").forecast
        # 900 projected, 112.5 % of 800; the 500 missing at 30 a day take 16.7 days: the 17th day from
        # the 10th, 27 November.
        assert (forecast.projected, forecast.attainment) == (Decimal("900"), Decimal("1.125"))
        assert (forecast.outcome, forecast.reached_on) == (ON_TRACK, D(2026, 11, 27))

    def test_the_target_is_reached_on_the_last_day_exactly(self, outlet):
        # 900 = 300 + 20 days × 30: on the 30th, not "not in the period".
        forecast = compared(outlet, actual="300", target="900").forecast
        assert (forecast.outcome, forecast.reached_on) == (ON_TRACK, D(2026, 11, 30))

    def test_a_target_already_met_is_reached(self, outlet):
        forecast = compared(outlet, actual="1000", target="900").forecast
        assert (forecast.outcome, forecast.reached_on) == (REACHED, None)
        with translation.override("en"):
            assert forecast.outcome_label == "Target reached"  # 已完成

    def test_an_allowance_is_judged_by_the_projection_staying_within_it(self, outlet):
        # Complaints (lower is better): 2 in 10 days → 6 projected against an allowance of 5: 5 / 6.
        forecast = compared(outlet, code="complaints", actual="2", target="5").forecast
        assert (forecast.projected, forecast.attainment, forecast.outcome) == (Decimal("6"), Decimal("0.833333"), MISS)
        forecast = compared(outlet, code="complaints", actual="1", target="5").forecast
        assert (forecast.projected, forecast.outcome, forecast.reached_on) == (Decimal("3"), ON_TRACK, None)

    def test_without_a_target_there_is_a_projection_but_no_outcome(self, outlet):
        forecast = compared(outlet, actual="300").forecast
        assert (forecast.projected, forecast.attainment, forecast.outcome) == (Decimal("900"), None, None)

    def test_a_metric_counted_in_business_days_runs_its_rate_on_business_days_as_its_pace_does(self, outlet):
        Metric.objects.filter(code="mobile_banking_signups").update(time_basis=TimeBasis.BUSINESS)
        # Monday 9 November: 6 of November's 21 business days (2–6, 9), where the calendar counts 9 of 30.
        # 300 / 6 × 21 = 1,050 (calendar days: 300 / 9 × 30 = 1,000), 105 % of 1,000. At (1,050 − 300) / 15
        # = 50 a business day the 700 missing take 14 business days: 10–13, 16–20, 23–27 November.
        forecast = compared(outlet, actual="300", target="1000", day=D(2026, 11, 9)).forecast
        assert (forecast.projected, forecast.attainment) == (Decimal("1050"), Decimal("1.05"))
        assert (forecast.outcome, forecast.reached_on) == (ON_TRACK, D(2026, 11, 27))

    def test_levels_and_days_are_not_forecast(self, outlet):
        assert compared(outlet, code="deposit_balance", actual="5000", target="6000").forecast is None
        assert compared(outlet, period="day", actual="30", target="40").forecast is None


class TestSeasonal:
    def test_this_year_keeps_last_years_shape(self, outlet):
        # Last year: 200 by 10 November, 800 by its end (published on 2025-11-30). 300 × 800 / 200 = 1,200:
        # 120 % of 1,000; the rest of the month brings (1,200 − 300) / 20 = 45 a day, so the 700 missing
        # take 15.6 days: the 16th day from the 10th, 26 November.
        last_year_published(outlet, D(2025, 11, 30), "800")
        forecast = compared(outlet, actual="300", target="1000", last_year_actual="200").forecast
        assert (forecast.method, forecast.projected, forecast.attainment) == (SEASONAL, Decimal("1200"), Decimal("1.2"))
        assert (forecast.outcome, forecast.reached_on) == (ON_TRACK, D(2026, 11, 26))
        with translation.override("en"):
            assert forecast.method_label == "Last year's seasonal curve"  # 去年同期走势

    def test_nothing_or_less_than_nothing_last_year_falls_back_to_the_run_rate(self, outlet):
        last_year_published(outlet, D(2025, 11, 30), "800")
        assert compared(outlet, actual="300", target="1000", last_year_actual="0").forecast.method == RUN_RATE
        assert compared(outlet, actual="300", target="1000", last_year_actual="-5").forecast.projected == Decimal("900")

    def test_without_last_years_end_published_it_is_the_run_rate(self, outlet):
        forecast = compared(outlet, actual="300", target="1000", last_year_actual="200").forecast
        assert (forecast.method, forecast.projected) == (RUN_RATE, Decimal("900"))

    def test_a_quarter_takes_last_years_quarter_end(self, outlet):
        # Q4 to 11-10 is day 41 of 92. Last year's Q4: 100 by 2025-11-10, 460 by 12-31: 50 × 4.6 = 230.
        last_year_published(outlet, D(2025, 12, 31), "460", period="quarter")
        forecast = compared(outlet, period="quarter", actual="50", target="200", last_year_actual="100").forecast
        assert (forecast.method, forecast.projected, forecast.outcome) == (SEASONAL, Decimal("230"), ON_TRACK)


class TestChanges:
    def test_the_change_and_its_rate_beside_the_earlier_value(self, outlet):
        comparison = compared(
            outlet,
            actual="150",
            previous_actual="100",
            last_year_actual="200",
            year_start_actual="0",
            year_to_date_actual="1500",
        )
        assert (comparison.previous.change, comparison.previous.rate) == (Decimal("50"), Decimal("0.5"))
        assert (comparison.last_year.change, comparison.last_year.rate) == (Decimal("-50"), Decimal("-0.25"))
        # A flow's year starts at 0: the change is the year to date, with no rate.
        assert (comparison.year_start.change, comparison.year_start.rate) == (Decimal("1500"), None)
        assert comparison.previous.as_of == D(2026, 10, 10)
        assert comparison.last_year.as_of == D(2025, 11, 10)

    def test_no_rate_from_zero_or_across_zero_and_from_a_negative_base_by_its_size(self):
        assert Change(Decimal("0"), Decimal("5")).rate is None
        assert Change(Decimal("-20"), Decimal("30")).rate is None
        assert Change(Decimal("20"), Decimal("0")).rate == Decimal("-1")
        # From −100 to −50 is half the way back: +50 %.
        assert Change(Decimal("-100"), Decimal("-50")).rate == Decimal("0.5")
        assert Change(None, Decimal("5")).change is None

    def test_one_query_whatever_the_number_of_lines(self, outlet, django_assert_num_queries):
        card = ScorecardFactory(run=published_day(DAY).published_run, unit=outlet, period="month")
        for code in ("mobile_banking_signups", "customers_served", "wealth_sales", "deposit_growth"):
            ScorecardLineFactory(scorecard=card, metric=metric(code), actual="10", last_year_actual="5")
        scorecard = scorecard_get(date=DAY, period="month", unit=outlet)
        with django_assert_num_queries(1):
            lines_compare([scorecard])

    def test_no_query_when_no_line_has_a_value_last_year(self, outlet, django_assert_num_queries):
        card = ScorecardFactory(run=published_day(DAY).published_run, unit=outlet, period="month")
        ScorecardLineFactory(scorecard=card, metric=metric("mobile_banking_signups"), actual="10")
        scorecard = scorecard_get(date=DAY, period="month", unit=outlet)
        with django_assert_num_queries(0):
            lines_compare([scorecard])
