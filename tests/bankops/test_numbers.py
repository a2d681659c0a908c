"""lib/numbers.py: the grammar of a number on a page (the rule of units is kpi_format's, tested in
tests/kpi/test_kpi_format.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from lib.numbers import format_number, format_percent, nice_axis, plain_number, to_decimal


@pytest.mark.parametrize(
    ("value", "places", "signed", "written"),
    [
        (Decimal("1234567.505"), 2, False, "1,234,567.51"),  # half up, not banker's rounding
        (Decimal("2.5"), 0, False, "3"),
        (Decimal("-2.5"), 0, False, "-3"),  # half away from zero
        (Decimal("-0.004"), 2, False, "0.00"),  # never "-0.00"
        (Decimal("-0.004"), 2, True, "0.00"),  # and no sign for what reads as zero
        (Decimal("12.3"), 1, True, "+12.3"),
        (Decimal("-12.3"), 1, True, "-12.3"),  # the ASCII hyphen-minus, as in files and the API
        (0.1 + 0.2, 2, False, "0.30"),  # a float through its shortest text
        (12934, 2, False, "12,934.00"),
        (None, 2, False, "—"),
        ("", 2, False, "—"),
        ("not a number", 2, False, "—"),
        (float("nan"), 2, False, "—"),
        (float("inf"), 2, False, "—"),
    ],
)
def test_a_number_has_fixed_decimals_thousands_separators_and_a_plain_minus(value, places, signed, written):
    assert format_number(value, places, signed=signed) == written


def test_a_number_is_written_alike_in_every_language():
    # A figure copied from a page pastes into a spreadsheet as a number, whatever the reader's language.
    for language in ("zh-hans", "en", "de"):
        with translation.override(language):
            assert format_number(Decimal("12345.678"), 2) == "12,345.68"


def test_a_percentage_is_glued_to_its_figure():
    assert format_percent(Decimal("1.3845")) == "138.5%"
    assert format_percent(Decimal("-0.5123"), signed=True) == "-51.2%"
    assert format_percent(Decimal("0.123"), signed=True) == "+12.3%"
    assert format_percent(Decimal("0.5"), places=2) == "50.00%"
    assert format_percent(None) == "—"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (Decimal("2500.0000"), "2500"),
        (Decimal("100.0000"), "100"),  # not 1E+2
        (Decimal("12.5000"), "12.5"),
        (Decimal("0E-4"), "0"),
        (Decimal("-0.000100"), "-0.0001"),
        (None, "—"),
    ],
)
def test_a_stored_figure_without_a_unit_loses_its_columns_trailing_zeros(value, written):
    assert plain_number(value) == written


def test_to_decimal_reads_numbers_and_refuses_the_rest():
    assert to_decimal("12.50") == Decimal("12.50")
    assert to_decimal(True) is None  # a boolean is not a figure
    assert to_decimal(object()) is None


def test_an_axis_of_large_figures_takes_a_step_of_a_power_of_ten_times_one_two_or_five():
    axis = nice_axis([1_234_567, 9_876_543], places=2)

    # (9,876,543 − 1,234,567) / 4 = 2,160,494 → 5,000,000: 0, 5,000,000, 10,000,000.
    assert axis.interval == Decimal(5_000_000)
    assert axis.labels() == ["0.00", "5,000,000.00", "10,000,000.00"]
