"""How KPI figures are written on pages (kpi/templatetags/kpi_format.py)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from kpi.templatetags.kpi_format import kpi_gap, kpi_per_day, kpi_percent, kpi_value

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
