"""Periods (lib/periods.py, lib/periods_forms.py, lib/api_fields.py): the periods of a day, period codes,
months, 时间进度, the pages' ?period=&date= and the form and API fields.

Calendar facts used below, worked out by hand: 2026-01-01 is a Thursday, so 2026 has 53 ISO weeks and
its week 1 starts on Monday 2025-12-29; 2026-11-24 is a Tuesday, day 328 of the year.
"""

from __future__ import annotations

import datetime
import re
from fractions import Fraction

import pytest
from django import forms
from django.utils import translation
from rest_framework.exceptions import ValidationError

from lib import api_fields
from lib.periods import (
    PERIOD_FORMATS,
    OutOfRangeError,
    Period,
    PeriodKind,
    PeriodKindError,
    parse_date,
    parse_month,
    parse_period,
    period_of,
    periods_of,
    read_period_params,
)
from lib.periods_forms import MonthField, PeriodField

D = datetime.date
TUESDAY = D(2026, 11, 24)


# -- the periods of a day ----------------------------------------------------------------------------


def test_the_day_of_a_day_is_itself():
    day = period_of("day", TUESDAY)

    assert (day.start, day.end, day.days, day.code) == (TUESDAY, TUESDAY, 1, "2026-11-24")


def test_the_week_of_a_tuesday_runs_from_monday_to_sunday_and_is_named_by_its_iso_week():
    week = period_of("week", TUESDAY)

    assert (week.start, week.end, week.days, week.code) == (D(2026, 11, 23), D(2026, 11, 29), 7, "2026-W48")


def test_the_week_of_a_monday_and_of_a_sunday_is_the_same_week():
    assert period_of("week", D(2026, 11, 23)) == period_of("week", D(2026, 11, 29)) == period_of("week", TUESDAY)


def test_the_month_of_a_day_is_the_calendar_month():
    month = period_of("month", TUESDAY)

    assert (month.start, month.end, month.days, month.code) == (D(2026, 11, 1), D(2026, 11, 30), 30, "2026-11")


def test_february_has_28_days_in_2026_and_29_in_the_leap_year_2024():
    assert period_of("month", D(2026, 2, 10)).days == 28
    assert period_of("month", D(2024, 2, 10)).end == D(2024, 2, 29)


def test_the_fourth_quarter_runs_from_october_to_december_and_has_92_days():
    quarter = period_of("quarter", TUESDAY)

    assert (quarter.start, quarter.end, quarter.days, quarter.code) == (D(2026, 10, 1), D(2026, 12, 31), 92, "2026-Q4")


def test_the_first_quarter_has_90_days_and_91_in_a_leap_year():
    assert period_of("quarter", D(2026, 3, 31)).days == 31 + 28 + 31
    assert period_of("quarter", D(2024, 1, 1)).days == 31 + 29 + 31


def test_the_year_2026_has_365_days_and_the_leap_year_2024_has_366():
    year = period_of("year", TUESDAY)

    assert (year.start, year.end, year.days, year.code) == (D(2026, 1, 1), D(2026, 12, 31), 365, "2026")
    assert period_of("year", D(2024, 7, 1)).days == 366


def test_periods_of_a_day_gives_every_kind_from_the_day_to_the_year():
    periods = periods_of(TUESDAY)

    assert list(periods) == [PeriodKind.DAY, PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR]
    assert [period.code for period in periods.values()] == ["2026-11-24", "2026-W48", "2026-11", "2026-Q4", "2026"]


def test_a_period_contains_its_first_and_last_day_and_not_the_days_around_it():
    month = period_of("month", TUESDAY)

    assert D(2026, 11, 1) in month
    assert D(2026, 11, 30) in month
    assert D(2026, 10, 31) not in month
    assert D(2026, 12, 1) not in month


# -- ISO weeks across a year boundary ----------------------------------------------------------------


def test_the_last_days_of_2025_belong_to_week_1_of_2026():
    week = period_of("week", D(2025, 12, 31))

    assert (week.start, week.end, week.code) == (D(2025, 12, 29), D(2026, 1, 4), "2026-W01")


def test_new_years_day_2027_belongs_to_week_53_of_2026():
    week = period_of("week", D(2027, 1, 1))

    assert (week.start, week.end, week.code) == (D(2026, 12, 28), D(2027, 1, 3), "2026-W53")


def test_2026_has_a_week_53_but_2025_does_not():
    assert parse_period("2026-W53").start == D(2026, 12, 28)
    with pytest.raises(ValueError, match="'2025-W53' is not a period"):
        parse_period("2025-W53")


def test_the_week_before_week_1_of_2026_is_week_52_of_2025():
    previous = parse_period("2026-W01").previous()

    assert (previous.code, previous.start, previous.end) == ("2025-W52", D(2025, 12, 22), D(2025, 12, 28))


def test_the_period_before_january_is_december_of_the_year_before():
    assert parse_period("2026-01").previous().code == "2025-12"
    assert parse_period("2026-Q1").previous().code == "2025-Q4"
    assert parse_period("2026").previous().code == "2025"


# -- period codes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind", "start", "end"),
    [
        ("2026", PeriodKind.YEAR, D(2026, 1, 1), D(2026, 12, 31)),
        ("2026-Q4", PeriodKind.QUARTER, D(2026, 10, 1), D(2026, 12, 31)),
        ("2026-Q1", PeriodKind.QUARTER, D(2026, 1, 1), D(2026, 3, 31)),
        ("2026-11", PeriodKind.MONTH, D(2026, 11, 1), D(2026, 11, 30)),
        ("2026-W48", PeriodKind.WEEK, D(2026, 11, 23), D(2026, 11, 29)),
        ("2026-W01", PeriodKind.WEEK, D(2025, 12, 29), D(2026, 1, 4)),
        ("2026-11-24", PeriodKind.DAY, D(2026, 11, 24), D(2026, 11, 24)),
    ],
)
def test_a_period_code_parses_to_its_dates_and_writes_back_the_same_code(code, kind, start, end):
    period = parse_period(code)

    assert period == Period(start, end, kind)
    assert period.code == str(period) == code


def test_spaces_around_a_period_code_are_ignored():
    assert parse_period(" 2026-11 ").code == "2026-11"


@pytest.mark.parametrize(
    "code", ["2026-13", "2026-00", "2026-Q5", "2026-Q0", "2026-W54", "2026-W00", "2026-02-30", "9999-W52"]
)
def test_a_period_code_out_of_range_is_refused_naming_the_expected_formats(code):
    with pytest.raises(ValueError) as caught:
        parse_period(code)

    assert str(caught.value) == f"'{code}' is not a period (expected {PERIOD_FORMATS})"


@pytest.mark.parametrize("code", ["", "November", "26-11", "2026/11", "2026-w48", "2026-11-5", "2026Q4"])
def test_garbage_is_not_a_period(code):
    expected = r"is not a period \(expected 2026, 2026-Q4, 2026-11, 2026-W48 or 2026-11-24\)"

    with pytest.raises(ValueError, match=expected):
        parse_period(code)


# -- the supported range: years 1900 to 2100 ----------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "start"),
    [
        ("1900", D(1900, 1, 1)),
        ("1900-W01", D(1900, 1, 1)),
        ("2100-12-31", D(2100, 12, 31)),
        ("2100-Q4", D(2100, 10, 1)),
    ],
)
def test_periods_from_1900_to_2100_are_taken(code, start):
    # 1 January 1900 was a Monday: week 1 of 1900 starts on it.
    assert parse_period(code).start == start


@pytest.mark.parametrize("code", ["0001-W01", "9999-12-31", "1899-12", "2101", "0001-01-01", "2101-Q1"])
def test_a_well_formed_period_outside_1900_to_2100_is_refused_saying_so(code):
    with pytest.raises(OutOfRangeError) as caught:
        parse_period(code)

    assert str(caught.value) == f"'{code}' is outside the supported range (years 1900 to 2100)"


def test_a_date_is_yyyy_mm_dd_exactly_from_1900_to_2100():
    assert parse_date("1900-01-01") == D(1900, 1, 1)
    assert parse_date("2100-12-31") == D(2100, 12, 31)
    for text in ("2026-W01-1", "2026W011", "20261124", "2026-11-24T00:00", "２０２６-１１-２４", "2026/11/24"):
        with pytest.raises(ValueError, match=re.escape(f"'{text}' is not a date as YYYY-MM-DD")):
            parse_date(text)
    for text in ("0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31"):
        with pytest.raises(OutOfRangeError, match=re.escape(f"'{text}' is outside the supported range")):
            parse_date(text)


def test_a_csv_reader_may_also_take_yyyy_slash_mm_slash_dd():
    assert parse_date("2026/11/24", slashes=True) == parse_date("2026/11/24".replace("/", "-"))
    assert parse_date("2026/1/5", slashes=True) == D(2026, 1, 5)


# -- time progress (时间进度) and remaining days --------------------------------------------------------


def test_time_progress_of_november_on_the_24th_is_24_of_30_days():
    assert parse_period("2026-11").time_progress(TUESDAY) == Fraction(24, 30)


def test_time_progress_of_a_week_on_its_wednesday_is_3_of_7_days():
    assert parse_period("2026-W48").time_progress(D(2026, 11, 25)) == Fraction(3, 7)


def test_time_progress_of_the_fourth_quarter_on_november_24th_is_55_of_92_days():
    # October's 31 days and 24 of November's.
    assert parse_period("2026-Q4").time_progress(TUESDAY) == Fraction(55, 92)


def test_time_progress_of_2026_on_november_24th_is_328_of_365_days():
    # 31+28+31+30+31+30+31+31+30+31 = 304 days to the end of October, and 24 more.
    assert parse_period("2026").time_progress(TUESDAY) == Fraction(328, 365)


def test_time_progress_is_one_on_the_last_day_and_one_share_on_the_first():
    november = parse_period("2026-11")

    assert november.time_progress(D(2026, 11, 30)) == 1
    assert november.time_progress(D(2026, 11, 1)) == Fraction(1, 30)
    assert parse_period("2026-11-24").time_progress(TUESDAY) == 1


def test_remaining_days_count_the_days_after_today_and_are_zero_on_the_last_day():
    november = parse_period("2026-11")

    assert november.remaining_days(TUESDAY) == 6
    assert november.remaining_days(D(2026, 11, 1)) == 29
    assert november.remaining_days(D(2026, 11, 30)) == 0
    assert november.elapsed_days(TUESDAY) == 24


@pytest.mark.parametrize("day", [D(2026, 10, 31), D(2026, 12, 1)])
def test_time_progress_on_a_day_outside_the_period_is_refused(day):
    november = parse_period("2026-11")

    with pytest.raises(ValueError, match=f"{day} is not in period 2026-11"):
        november.time_progress(day)
    with pytest.raises(ValueError):
        november.remaining_days(day)


# -- a period code of the kinds a caller takes ---------------------------------------------------------


def test_a_code_of_a_kind_not_taken_is_refused_as_such_with_the_same_words():
    with pytest.raises(PeriodKindError, match=r"'2026-11-24' is not a period \(expected 2026, 2026-Q4"):
        parse_period("2026-11-24", kinds=(PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR))

    assert parse_period("2026-Q4", kinds=(PeriodKind.QUARTER,)) == Period(D(2026, 10, 1), D(2026, 12, 31), "quarter")


def test_garbage_is_not_a_period_whatever_the_kinds():
    with pytest.raises(ValueError) as caught:
        parse_period("soon", kinds=(PeriodKind.MONTH,))

    assert not isinstance(caught.value, PeriodKindError)


# -- months (YYYY-MM), the one parser of the tiering, the customer pages and API, and the imports -------


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2026-11", D(2026, 11, 1)),
        (" 2026-01 ", D(2026, 1, 1)),
        ("1900-01", D(1900, 1, 1)),
        ("9999-12", D(9999, 12, 1)),
    ],
)
def test_a_month_is_read_as_yyyy_mm_and_stored_as_its_first_day(text, month):
    assert parse_month(text) == month


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "2026-1", "2026/11", "0001-01", "0000-01", "1899-12", "", "2026-11-01", "2026-Q4"]
)
def test_anything_else_is_not_a_month(text):
    with pytest.raises(ValueError) as caught:
        parse_month(text)

    assert str(caught.value) == f"'{text}' is not a month (expected YYYY-MM, such as 2026-11)"


def test_the_first_day_of_a_month_is_read_as_the_month_where_a_caller_takes_it():
    assert parse_month("2026-11-01", first_day=True) == D(2026, 11, 1)
    assert parse_month("2026-11", first_day=True) == D(2026, 11, 1)
    with pytest.raises(ValueError, match="'2026-11-02' is not a month"):
        parse_month("2026-11-02", first_day=True)


# -- the pages' ?period=&date= ------------------------------------------------------------------------


def test_the_pages_default_to_the_month_of_the_latest_rolled_up_day():
    params = read_period_params({}, latest=TUESDAY)

    assert (params.kind, params.day, params.errors) == (PeriodKind.MONTH, TUESDAY, ())
    assert (params.period.start, params.period.end) == (D(2026, 11, 1), D(2026, 11, 30))
    # 时间进度 on the 24th of a 30-day month.
    assert params.period.time_progress(params.day) == Fraction(24, 30)


def test_a_page_asked_for_a_week_of_a_day_reads_both():
    params = read_period_params({"period": "week", "date": "2025-12-31"}, latest=TUESDAY)

    assert (params.kind, params.day, params.errors) == (PeriodKind.WEEK, D(2025, 12, 31), ())
    assert (params.period.code, params.period.start) == ("2026-W01", D(2025, 12, 29))


def test_a_bad_period_and_a_bad_date_are_reported_and_the_defaults_shown():
    with translation.override("en"):
        params = read_period_params({"period": "fortnight", "date": "2026-11-31"}, latest=TUESDAY)

    assert (params.kind, params.day) == (PeriodKind.MONTH, TUESDAY)
    assert params.errors == (
        "“fortnight” is not a period; choose day, week, month, quarter or year.",
        "“2026-11-31” is not a date; pick one as YYYY-MM-DD.",
    )


def test_the_errors_speak_the_readers_language():
    with translation.override("zh-hans"):
        params = read_period_params({"period": "fortnight"}, latest=TUESDAY)

    assert params.errors == ("“fortnight”不是有效期间；请选择日、周、月、季或年。",)


def test_a_page_of_the_latest_day_does_not_read_the_date():
    params = read_period_params({"period": "quarter", "date": "garbage"}, latest=TUESDAY, dated=False)

    assert (params.kind, params.day, params.errors) == (PeriodKind.QUARTER, TUESDAY, ())
    assert (params.period.code, params.period.start, params.period.end) == ("2026-Q4", D(2026, 10, 1), D(2026, 12, 31))


def test_before_any_rollup_a_page_has_a_kind_and_no_day():
    params = read_period_params({"period": "year"}, latest=None)

    assert (params.kind, params.day, params.period) == (PeriodKind.YEAR, None, None)


# -- the form fields (lib/periods_forms.py) ------------------------------------------------------------


def test_the_period_form_field_cleans_a_code_to_its_period():
    field = PeriodField(kinds=(PeriodKind.WEEK, PeriodKind.QUARTER))

    assert field.clean(" 2026-W01 ") == Period(D(2025, 12, 29), D(2026, 1, 4), PeriodKind.WEEK)
    assert field.clean("2026-Q4").time_progress(TUESDAY) == Fraction(55, 92)
    assert field.prepare_value(parse_period("2026-Q4")) == "2026-Q4"


def test_the_period_form_field_refuses_garbage_and_kinds_it_does_not_take_in_its_own_words():
    field = PeriodField(
        kinds=(PeriodKind.MONTH,), error_messages={"invalid_kind": "“%(value)s” is a period but not a month"}
    )

    with pytest.raises(forms.ValidationError) as garbage:
        field.clean("2026-13")
    with pytest.raises(forms.ValidationError) as quarter:
        field.clean("2026-Q4")

    assert garbage.value.messages == [f"'2026-13' is not a period (expected {PERIOD_FORMATS})"]
    assert quarter.value.messages == ["“2026-Q4” is a period but not a month"]


def test_an_optional_period_form_field_left_empty_is_none():
    assert PeriodField(required=False).clean("") is None


def test_the_month_form_field_cleans_to_the_first_day_and_speaks_the_readers_language():
    field = MonthField()

    assert field.clean("2026-11") == D(2026, 11, 1)
    assert field.prepare_value(D(2026, 11, 1)) == "2026-11"
    with pytest.raises(forms.ValidationError) as first_day:
        field.clean("2026-11-01")

    # The message is translated when it is shown.
    with translation.override("en"):
        assert first_day.value.messages == ["'2026-11-01' is not a month (expected YYYY-MM, such as 2026-11)"]
    with translation.override("zh-hans"):
        assert first_day.value.messages == ["“2026-11-01”不是月份（应为 YYYY-MM 格式，例如 2026-11）"]


# -- the API fields (lib/api_fields.py) ----------------------------------------------------------------


def test_the_api_period_field_reads_a_code_and_writes_it_back():
    field = api_fields.PeriodField()

    assert field.run_validation("2026-Q4") == Period(D(2026, 10, 1), D(2026, 12, 31), PeriodKind.QUARTER)
    assert field.to_representation(parse_period("2026-W48")) == "2026-W48"


def test_the_api_period_field_answers_with_the_parsers_words_or_its_own():
    plain = api_fields.PeriodField()
    plans = api_fields.PeriodField(
        kinds=(PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR),
        error_messages={"invalid_kind": "“{input}” is not a month, quarter or year"},
    )

    with pytest.raises(ValidationError) as garbage:
        plain.run_validation("2026-W54")
    with pytest.raises(ValidationError) as week:
        plans.run_validation("2026-W48")

    assert garbage.value.detail == [f"'2026-W54' is not a period (expected {PERIOD_FORMATS})"]
    assert week.value.detail == ["“2026-W48” is not a month, quarter or year"]


def test_the_api_month_field_reads_yyyy_mm_in_english_whatever_the_language():
    field = api_fields.MonthField()

    assert field.run_validation("2026-11") == D(2026, 11, 1)
    assert field.to_representation(D(2026, 11, 1)) == "2026-11"
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        field.run_validation("2026-13")
    assert caught.value.detail == ["'2026-13' is not a month (expected YYYY-MM, such as 2026-11)"]


@pytest.mark.parametrize("text", ["2026-1-5", "2026-11-31", "24/11/2026"])
def test_the_api_date_field_takes_yyyy_mm_dd_exactly(text):
    field = api_fields.DateField(error_messages={"invalid": "Write the date as YYYY-MM-DD."})

    assert field.run_validation("2026-11-24") == TUESDAY
    with pytest.raises(ValidationError) as caught:
        field.run_validation(text)
    assert caught.value.detail == ["Write the date as YYYY-MM-DD."]


def test_the_api_date_field_answers_a_day_outside_the_supported_range_saying_so():
    with pytest.raises(ValidationError) as caught:
        api_fields.DateField().run_validation("0001-01-01")

    assert caught.value.detail == ["'0001-01-01' is outside the supported range (1900-01-01 to 2100-12-31)"]


@pytest.mark.parametrize(
    ("data", "value"),
    [("1,234.5", "1234.5000"), ("１２", "12.0000"), (12, "12.0000"), (api_fields.JsonNumber("12.5"), "12.5000")],
)
def test_the_api_number_field_reads_the_imports_grammar(data, value):
    field = api_fields.NumberField(max_digits=20, decimal_places=4)

    assert f"{field.run_validation(data):.4f}" == value


@pytest.mark.parametrize("data", [api_fields.JsonNumber("1E3"), "1e3", "NaN", "١٢", "+5", True, [1]])
def test_the_api_number_field_refuses_what_the_imports_refuse(data):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        api_fields.NumberField(max_digits=20, decimal_places=4).run_validation(data)

    assert caught.value.detail == ["A valid number is required."]


def test_a_json_number_is_kept_as_written_so_1e3_is_not_read_as_1000():
    body = api_fields.json_loads('{"a": 1E3, "b": 12.50, "c": 7}')

    assert body == {"a": "1E3", "b": "12.50", "c": 7}
    assert isinstance(body["a"], api_fields.JsonNumber)
    with pytest.raises(ValueError):
        api_fields.json_loads('{"a": NaN}')
    assert api_fields.json_loads('{"a": NaN}', strict_constants=False) == {"a": "NaN"}


def test_the_schema_of_each_field_carries_the_pattern_of_what_it_takes():
    assert re.fullmatch(api_fields.period_pattern(), "2026-W48")
    assert not re.fullmatch(api_fields.period_pattern([PeriodKind.MONTH, PeriodKind.YEAR]), "2026-Q4")
    assert api_fields.period_pattern([PeriodKind.QUARTER, PeriodKind.MONTH]) == r"^(?:\d{4}-\d{2}|\d{4}-Q[1-4])$"
    assert api_fields.month_schema() == {"type": "string", "pattern": r"^\d{4}-\d{2}$", "maxLength": 7}
