"""How KPI figures and dates are written on pages (kpi/templatetags/kpi_format.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation

from kpi.templatetags.kpi_format import (
    YI_YUAN_THRESHOLD,
    amount_scale,
    column_scale,
    kpi_actual,
    kpi_amount,
    kpi_bar,
    kpi_count,
    kpi_date,
    kpi_datetime,
    kpi_exact,
    kpi_gap,
    kpi_per_day,
    kpi_percent,
    kpi_scale,
    kpi_unit,
    kpi_value,
    kpi_yuan,
)
from lib.numbers import nice_axis

MONEY = SimpleNamespace(unit="万元")
COUNT = SimpleNamespace(unit="户")
PERCENT = SimpleNamespace(unit="%")
MINUTES = SimpleNamespace(unit="分钟")


@pytest.mark.parametrize(
    ("value", "metric", "written"),
    [
        (Decimal("1234567.505"), MONEY, "1,234,567.51"),  # half up, not banker's rounding
        (Decimal("46123.4500"), MONEY, "46,123.45"),
        (Decimal("12345.5000"), COUNT, "12,346"),
        (Decimal("85.1250"), PERCENT, "85.1"),  # every percentage has one decimal, a metric in % too
        (Decimal("12.5000"), MINUTES, "12.5"),
        (Decimal("-0.0010"), MONEY, "0.00"),  # never "-0.00"
        (Decimal("-1234.5"), COUNT, "-1,235"),
        (None, MONEY, "—"),
    ],
)
def test_a_value_has_the_decimals_of_its_unit_and_thousands_separators(value, metric, written):
    assert kpi_value(value, metric) == written


def test_a_ratio_of_counts_keeps_two_decimals_where_a_count_has_none():
    visits_per_person = SimpleNamespace(unit="户", aggregation="ratio")

    assert kpi_value(Decimal("0.3507"), visits_per_person) == "0.35"  # was "0"
    assert kpi_gap(Decimal("0.1275"), visits_per_person) == "+0.13"
    assert kpi_value(Decimal("0.3507"), SimpleNamespace(unit="户", aggregation="sum")) == "0"


def test_a_counts_actual_credited_in_shares_keeps_its_decimals_where_its_target_and_gap_stay_whole():
    # 分润: a partner's 30 % of 3 sign-ups is 0.9; "1" would sit beside an attainment of 0.9 / 3 = 30.0 %.
    assert kpi_actual(Decimal("0.9000"), COUNT) == "0.9"
    assert kpi_actual(Decimal("2.1000"), COUNT) == "2.1"
    assert kpi_actual(Decimal("0.3333"), COUNT) == "0.33"  # a third of one: two decimals at most
    assert kpi_actual(Decimal("12345.0000"), COUNT) == "12,345"  # a whole count stays whole
    assert kpi_actual(Decimal("1234.5678"), MONEY) == "1,234.57"  # money has its own two
    assert kpi_actual(None, COUNT) == "—"
    assert kpi_value(Decimal("333.3333"), COUNT) == "333"  # a paced target of a count
    assert kpi_gap(Decimal("-2.1"), COUNT) == "-2"


def test_a_gap_ahead_of_pace_is_written_with_a_plus():
    assert kpi_gap(Decimal("20"), COUNT) == "+20"
    assert kpi_gap(Decimal("-181.78"), COUNT) == "-182"
    assert kpi_gap(Decimal("0"), MONEY) == "0.00"
    assert kpi_gap(None, MONEY) == "—"


def test_required_per_day_of_a_count_keeps_one_decimal():
    assert kpi_per_day(Decimal("13.3333"), COUNT) == "13.3"
    assert kpi_per_day(Decimal("0.037"), COUNT) == "0.04"  # was "0.0" beside a 落后
    assert kpi_per_day(Decimal("0.6667"), COUNT) == "0.7"
    assert kpi_per_day(Decimal("0"), COUNT) == "0.0"
    assert kpi_per_day(Decimal("1234.5678"), MONEY) == "1,234.57"


@pytest.mark.parametrize(
    ("fraction", "written"),
    [
        (Decimal("0.84"), "84.0%"),
        (Decimal("1.3845"), "138.5%"),
        (Decimal("6.53"), "653.0%"),  # never capped
        (Decimal("123.456"), "12,345.6%"),
        (Decimal("0"), "0.0%"),
        (None, "—"),
    ],
)
def test_a_fraction_is_a_percentage_with_one_decimal(fraction, written):
    assert kpi_percent(fraction) == written


@pytest.mark.parametrize(
    ("fraction", "length"),
    [
        (Decimal("0.16"), "16.0%"),
        (Decimal("0.83456"), "83.5%"),  # half up
        (Decimal("1"), "100.0%"),
        (Decimal("6.53"), "100.0%"),  # past the target the bar is full (the figure beside it is not capped)
        (Decimal("-0.4"), "0.0%"),  # a fall (a change metric) is an empty bar
        (None, "0%"),
    ],
)
def test_a_fraction_is_a_length_along_a_bar_that_ends_at_100_percent(fraction, length):
    assert kpi_bar(fraction) == length


def test_a_length_along_a_bar_is_written_with_a_dot_in_every_language():
    with translation.override("de"):
        assert kpi_bar(Decimal("0.805")) == "80.5%"


# -- 万元 and 亿元 -------------------------------------------------------------------------------------


def _line(actual, target, metric=MONEY):
    return SimpleNamespace(metric=metric, actual=actual, target=target)


def test_money_is_written_in_wan_yuan_with_its_unit_and_thousands_separators():
    assert kpi_amount(12934, MONEY) == "12,934.00 万元"
    assert kpi_amount(Decimal("12934.0000"), MONEY) == "12,934.00 万元"  # never the column's four decimals
    assert kpi_amount(Decimal("89.3313"), MONEY) == "89.33 万元"
    assert kpi_amount(None, MONEY) == "—"  # nothing, and no unit after it


def test_a_count_is_whole_with_thousands_separators():
    assert kpi_count(4889) == "4,889"
    assert kpi_count(Decimal("4889.0000")) == "4,889"
    assert kpi_amount(4889, COUNT) == "4,889 户"
    assert kpi_count(None) == "—"


def test_a_percentage_has_its_sign_glued_and_a_change_has_a_sign():
    assert kpi_percent(Decimal("-0.5123"), "signed") == "-51.2%"
    assert kpi_percent(Decimal("0.123"), "signed") == "+12.3%"
    assert kpi_percent(Decimal("0"), "signed") == "0.0%"  # no sign for no change
    assert kpi_percent(Decimal("-0.00001"), "signed") == "0.0%"  # never "-0.0%"
    assert kpi_percent(Decimal("-62"), "signed") == "-6,200.0%"
    assert kpi_percent(Decimal("-0.5123")) == "-51.2%"  # a fall is negative unsigned too
    assert kpi_amount(Decimal("85.125"), PERCENT) == "85.1%"  # a metric in %: no space before the sign


def test_a_column_reaching_one_yi_is_written_in_yi_yuan_every_figure_of_it():
    scale = column_scale([Decimal("8500"), Decimal("23000")])

    # 23,000 万元 ≥ YI_YUAN_THRESHOLD (10,000 万元 = 1 亿): the whole column in 亿元, the header says so.
    assert Decimal(10_000) == YI_YUAN_THRESHOLD
    assert (scale.unit, scale.places, scale.scaled) == ("亿元", 2, True)
    assert kpi_unit(scale) == "亿元"
    assert [kpi_value(value, scale) for value in (8500, 23000)] == ["0.85", "2.30"]
    assert kpi_exact(8500, MONEY) == "8,500.00 万元"  # the exact amount, for the cell's title


@pytest.mark.parametrize(
    ("values", "unit", "written"),
    [
        ([Decimal("9999.99"), Decimal("800")], "万元", ["9,999.99", "800.00"]),  # just under 1 亿
        ([Decimal("9999.99"), Decimal("10000")], "亿元", ["1.00", "1.00"]),  # exactly 1 亿: the whole column
        ([Decimal("1234567.5"), None], "亿元", ["123.46", "—"]),  # 123.4567 亿, half up; a gap stays a gap
        ([Decimal("-25000"), Decimal("70")], "亿元", ["-2.50", "0.01"]),  # a large fall counts too
        ([None, None], "万元", ["—", "—"]),
    ],
)
def test_a_column_is_in_yi_yuan_or_wan_yuan_as_a_whole(values, unit, written):
    scale = amount_scale(MONEY, values)

    assert scale.unit == unit
    assert [kpi_value(value, scale) for value in values] == written


def test_a_scorecard_line_stays_in_its_metrics_unit_however_large():
    # A 4.6 亿 balance 70 万 short of its pace: the gap is "-70.00" 万元, not "-0.01" or "0.00" 亿元, and
    # the line does not change unit when the period (and so the size of a flow) changes.
    line = _line(Decimal("46123.45"), Decimal("50000"))

    assert kpi_unit(line) == "万元"
    assert kpi_scale(line).scaled is False
    assert kpi_value(Decimal("46123.45"), line) == "46,123.45"
    assert kpi_gap(Decimal("-70"), line) == "-70.00"
    assert kpi_amount(Decimal("-70"), line) == "-70.00 万元"
    assert kpi_gap(Decimal("70"), line) == "+70.00"
    assert kpi_per_day(Decimal("646.09"), line) == "646.09"
    assert kpi_gap(Decimal("-1234567.5"), line) == "-1,234,567.50"
    assert kpi_exact(None, MONEY) == "—"


def test_only_money_changes_scale():
    scale = amount_scale(COUNT, [Decimal("123456"), Decimal("200000")])

    assert (scale.unit, scale.scaled) == ("户", False)
    assert kpi_value(Decimal("123456"), scale) == "123,456"
    assert column_scale([Decimal("1E8")], unit="分钟").unit == "分钟"


def test_a_scale_is_chosen_for_a_whole_series_and_rounds_chart_figures_like_the_table():
    scale = amount_scale(MONEY, [Decimal("800"), None, Decimal("12000.4")])

    assert (scale.unit, scale.places, scale.scaled) == ("亿元", 2, True)
    assert scale.chart_value(Decimal("12000.4")) == 1.2
    assert scale.chart_value(Decimal("800")) == 0.08
    assert scale.chart_value(None) is None
    assert amount_scale(MONEY, [Decimal("800")]).chart_value(Decimal("800.125")) == 800.13
    assert amount_scale(COUNT, [383.3335]).chart_value(383.3335) == 383


def test_a_charts_actual_of_a_count_credited_in_shares_keeps_the_decimals_the_table_writes():
    # 分润: 30 % of 3 sign-ups is 0.9 (the table's "0.9"); a third of one is 0.33; a pace stays whole.
    scale = amount_scale(COUNT, [Decimal("0.9"), Decimal("3")])

    assert scale.chart_value(Decimal("0.9000"), actual=True) == 0.9
    assert scale.chart_value(Decimal("0.3333"), actual=True) == 0.33
    assert scale.chart_value(Decimal("12.0000"), actual=True) == 12
    assert scale.chart_value(Decimal("0.9000")) == 1  # a pace of 0.9 sign-ups: whole, as the table writes it
    assert amount_scale(MONEY, [Decimal("800")]).chart_value(Decimal("800.125"), actual=True) == 800.13


def test_a_customers_aum_kept_in_yuan_is_written_in_wan_yuan():
    assert kpi_yuan(Decimal("1234567.89")) == "123.46"
    assert kpi_yuan(Decimal("49999.99")) == "5.00"
    assert kpi_yuan(Decimal("2000000000")) == "200,000.00"  # a list of customers is never in 亿元
    assert kpi_yuan(None) == "—"


# -- a chart's value axis ------------------------------------------------------------------------------


def test_an_axis_of_figures_closer_than_its_decimals_still_has_distinct_ticks():
    # A balance of about 2.46 亿 that moves by a few 万 a day: with two decimals a free axis would read
    # 2.46, 2.46, 2.46; the ticks are whole hundredths instead.
    axis = nice_axis([Decimal("2.4601"), Decimal("2.4612"), Decimal("2.4649")], places=2)

    assert (axis.min, axis.max, axis.interval) == (Decimal("2.46"), Decimal("2.47"), Decimal("0.01"))
    assert axis.labels() == ["2.46", "2.47"]


@pytest.mark.parametrize(
    ("values", "places", "labels"),
    [
        # 420 … 500 sign-ups: a step of 20 (80 / 4 = 20 is a nice step already).
        ([420, 480, 500], 0, ["420", "440", "460", "480", "500"]),
        # 46,123.45 … 50,000 万元: 3,876.55 / 4 = 969 → a step of 1,000.
        ([Decimal("46123.45"), Decimal("50000")], 2, ["46,000.00", "47,000.00", "48,000.00", "49,000.00", "50,000.00"]),
        # A flat line gets one step either side: 7.00 points.
        ([7, 7, 7], 2, ["6.99", "7.00", "7.01"]),
        # Counts of 0 to 3: never a step below 1, so never 0, 1, 1, 2, 2, 3.
        ([0, 1, 3], 0, ["0", "1", "2", "3"]),
        # A fall below zero: -1.2 … 0.4 with one decimal → a step of 0.5.
        ([Decimal("-1.2"), Decimal("0.4")], 1, ["-1.5", "-1.0", "-0.5", "0.0", "0.5"]),
    ],
)
def test_an_axis_has_nice_ticks_that_never_read_alike(values, places, labels):
    axis = nice_axis(values, places)

    assert axis.labels() == labels
    assert len(set(axis.labels())) == len(axis.labels())
    assert axis.min <= min(Decimal(str(value)) for value in values)
    assert axis.max >= max(Decimal(str(value)) for value in values)


def test_an_axis_without_figures_is_left_to_the_chart():
    assert nice_axis([None, None], 2) is None
    assert column_scale([None]).axis([None]) is None


def test_a_scales_axis_is_computed_on_the_scaled_figures_for_the_charts_payload():
    scale = amount_scale(MONEY, [Decimal("24601"), Decimal("24649")])

    assert scale.axis([Decimal("24601"), Decimal("24649")]) == {
        "min": 2.46,
        "max": 2.47,
        "interval": 0.01,
        "places": 2,
    }


# -- dates in the reader's language ------------------------------------------------------------------

DAY = datetime.date(2026, 11, 24)  # a Tuesday


@pytest.mark.parametrize(
    ("language", "style", "written"),
    [
        ("zh-hans", "default", "2026年11月24日"),
        ("zh-hans", "weekday", "2026年11月24日 星期二"),
        ("zh-hans", "short", "11月24日"),
        ("en", "default", "24 Nov 2026"),
        ("en", "weekday", "Tue 24 Nov 2026"),
        ("en", "short", "24 Nov"),
    ],
)
def test_a_date_is_written_in_the_readers_language(language, style, written):
    with translation.override(language):
        assert kpi_date(DAY, style) == written


def test_a_moment_is_written_in_the_banks_time_zone(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    late_evening_utc = datetime.datetime(2026, 11, 24, 22, 12, tzinfo=datetime.UTC)

    with translation.override("zh-hans"):
        assert kpi_datetime(late_evening_utc) == "2026年11月25日 06:12"
        assert kpi_date(late_evening_utc) == "2026年11月25日"
    with translation.override("en"):
        assert kpi_datetime(late_evening_utc) == "25 Nov 2026 06:12"
    assert kpi_datetime(None) == "—"
    assert kpi_date(None) == "—"
