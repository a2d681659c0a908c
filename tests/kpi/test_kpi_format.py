"""How KPI figures and dates are written on pages (kpi/templatetags/kpi_format.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation

from kpi.templatetags.kpi_format import (
    amount_scale,
    kpi_bar,
    kpi_date,
    kpi_datetime,
    kpi_exact,
    kpi_gap,
    kpi_per_day,
    kpi_percent,
    kpi_scale,
    kpi_unit,
    kpi_value,
)

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
        (Decimal("85.1250"), PERCENT, "85.13"),
        (Decimal("12.5000"), MINUTES, "12.5"),
        (Decimal("-0.0010"), MONEY, "0.00"),  # never "-0.00"
        (Decimal("-1234.5"), COUNT, "-1,235"),
        (None, MONEY, "—"),
    ],
)
def test_a_value_has_the_decimals_of_its_unit_and_thousands_separators(value, metric, written):
    assert kpi_value(value, metric) == written


def test_a_gap_ahead_of_pace_is_written_with_a_plus():
    assert kpi_gap(Decimal("20"), COUNT) == "+20"
    assert kpi_gap(Decimal("-181.78"), COUNT) == "-182"
    assert kpi_gap(Decimal("0"), MONEY) == "0.00"
    assert kpi_gap(None, MONEY) == "—"


def test_required_per_day_of_a_count_keeps_one_decimal():
    assert kpi_per_day(Decimal("13.3333"), COUNT) == "13.3"
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


@pytest.mark.parametrize(
    ("actual", "target", "unit", "written"),
    [
        (Decimal("9999.99"), None, "万元", "9,999.99"),  # just under 1 亿
        (Decimal("9999.99"), Decimal("10000"), "亿元", "1.00"),  # the target reaches 1 亿: the whole line
        (Decimal("46123.45"), Decimal("50000"), "亿元", "4.61"),
        (Decimal("1234567.5"), None, "亿元", "123.46"),  # 123.4567 亿, half up
        (Decimal("-25000"), None, "亿元", "-2.50"),  # a net decrease is large too
        (None, None, "万元", "—"),
    ],
)
def test_money_of_a_line_reaching_one_yi_is_written_in_yi_yuan(actual, target, unit, written):
    line = _line(actual, target)

    assert kpi_unit(line) == unit
    assert kpi_value(actual, line) == written


def test_every_amount_of_a_line_in_yi_yuan_shares_the_scale():
    line = _line(Decimal("46123.45"), Decimal("50000"))

    assert kpi_gap(Decimal("-3876.55"), line) == "-0.39"
    assert kpi_per_day(Decimal("646.09"), line) == "0.06"
    assert kpi_exact(Decimal("46123.45"), MONEY) == "46,123.45 万元"
    assert kpi_exact(None, MONEY) == "—"


def test_only_money_changes_scale():
    line = _line(Decimal("123456"), Decimal("200000"), metric=COUNT)

    assert kpi_unit(line) == "户"
    assert kpi_value(Decimal("123456"), line) == "123,456"
    assert kpi_scale(line).scaled is False


def test_a_scale_is_chosen_for_a_whole_series_and_rounds_chart_figures_like_the_table():
    scale = amount_scale(MONEY, [Decimal("800"), None, Decimal("12000.4")])

    assert (scale.unit, scale.places, scale.scaled) == ("亿元", 2, True)
    assert scale.chart_value(Decimal("12000.4")) == 1.2
    assert scale.chart_value(Decimal("800")) == 0.08
    assert scale.chart_value(None) is None
    assert amount_scale(MONEY, [Decimal("800")]).chart_value(Decimal("800.125")) == 800.13
    assert amount_scale(COUNT, [383.3335]).chart_value(383.3335) == 383


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
