"""REST API fields and filters for periods and numbers, so every serializer and filter of the API reads a
period code, a month, a business date or a number the same way (lib.periods and lib.csvimport parse) and
documents it the same way: the OpenAPI schema of each carries the `pattern` of what it takes.

    period = PeriodField(kinds=PLAN_PERIOD_KINDS)   # validated_data["period"] is a Period
    month = MonthField(required=False)              # validated_data["month"] is the month's 1st day
    date = DateField(required=False)                # YYYY-MM-DD exactly (DRF's own also takes 2026-1-5)
    value = NumberField(max_digits=20, decimal_places=4)  # the CSV imports' number grammar: not 1E3

A JSON number loses how it was written (1E3 and 1000.0 are the same float), so a view with a NumberField
parses its body with NumbersAsWrittenJSONParser, which keeps each number with a fraction or an exponent
as its text (a JsonNumber) for the field to judge.

Messages are English, the API's language (bankops.middleware.ApiLanguageMiddleware): by default the
words of lib.periods' parsers; a field may pass its own `error_messages={"invalid": "… {input} …"}`
(and `invalid_kind` for PeriodField), formatted as DRF formats its messages.
"""

from __future__ import annotations

import codecs
import datetime
import json
from collections.abc import Collection
from decimal import Decimal

import django_filters
from drf_spectacular.drainage import set_override
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

from lib import periods_forms
from lib.api import TOO_DEEP, JsonTooDeep, loads_json
from lib.csvimport import decimal
from lib.periods import (
    NOT_A_MONTH,
    PERIOD_KINDS,
    OutOfRangeError,
    Period,
    PeriodKind,
    PeriodKindError,
    parse_date,
    parse_month,
    parse_period,
)

# What each kind's code looks like, for the schema (lib.periods checks the ranges: 2026-13 matches).
KIND_PATTERNS = {
    PeriodKind.DAY: r"\d{4}-\d{2}-\d{2}",
    PeriodKind.WEEK: r"\d{4}-W\d{2}",
    PeriodKind.MONTH: r"\d{4}-\d{2}",
    PeriodKind.QUARTER: r"\d{4}-Q[1-4]",
    PeriodKind.YEAR: r"\d{4}",
}
MONTH_PATTERN = rf"^{KIND_PATTERNS[PeriodKind.MONTH]}$"
DATE_PATTERN = rf"^{KIND_PATTERNS[PeriodKind.DAY]}$"


def period_pattern(kinds: Collection[PeriodKind] | None = None) -> str:
    """The pattern of the codes of these kinds (all by default), from the shortest period to the longest."""
    wanted = [kind for kind in PERIOD_KINDS if kinds is None or kind in kinds]
    return "^(?:" + "|".join(KIND_PATTERNS[kind] for kind in wanted) + ")$"


def period_schema(kinds: Collection[PeriodKind] | None = None) -> dict:
    return {"type": "string", "pattern": period_pattern(kinds), "maxLength": 10}


def month_schema(*, first_day: bool = False) -> dict:
    if first_day:
        return {"type": "string", "pattern": r"^\d{4}-\d{2}(?:-01)?$", "maxLength": 10}
    return {"type": "string", "pattern": MONTH_PATTERN, "maxLength": 7}


class _ParsedField(serializers.Field):
    """A string read by a lib.periods parser; a ValueError is answered with its message, or with the
    field's own `invalid` message when it has one."""

    def _fail(self, key: str, text: str, default: str):
        message = self.error_messages.get(key)
        raise serializers.ValidationError(message.format(input=text) if message else default, code=key)

    def _text(self, data) -> str:
        if not isinstance(data, str):
            self._fail("invalid", str(data), f"'{data}' is not text")
        return data


class PeriodField(_ParsedField):
    """A period code (2026, 2026-Q4, 2026-11, 2026-W48, 2026-11-24) → lib.periods.Period, written back as
    its code; `kinds` narrows the kinds it takes (and the schema's pattern)."""

    def __init__(self, *, kinds: Collection[PeriodKind] | None = None, **kwargs) -> None:
        self.kinds = tuple(kinds) if kinds is not None else None
        super().__init__(**kwargs)
        set_override(self, "field", period_schema(self.kinds))

    def to_internal_value(self, data) -> Period:
        text = self._text(data)
        try:
            return parse_period(text, kinds=self.kinds)
        except PeriodKindError as error:
            self._fail("invalid_kind", text, str(error))
        except ValueError as error:
            self._fail("invalid", text, str(error))

    def to_representation(self, value) -> str:
        return value.code if isinstance(value, Period) else str(value)


class HourMinuteField(serializers.TimeField):
    """A time of day as HH:MM, read and written (a patrol round's 09:00). The schema says so with a pattern:
    OpenAPI's `format: time` is RFC 3339's HH:MM:SS, which a client checking formats would hold "09:00"
    against."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("format", "%H:%M")
        if not kwargs.get("read_only"):
            kwargs.setdefault("input_formats", ["%H:%M"])
        super().__init__(**kwargs)
        set_override(self, "field", {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$", "example": "09:00"})


class MonthField(_ParsedField):
    """A month as YYYY-MM → its first day (a date), written back as YYYY-MM. `first_day` also takes
    2026-11-01."""

    def __init__(self, *, first_day: bool = False, **kwargs) -> None:
        self.first_day = first_day
        super().__init__(**kwargs)
        set_override(self, "field", month_schema(first_day=first_day))

    def to_internal_value(self, data) -> datetime.date:
        text = self._text(data)
        try:
            return parse_month(text, first_day=self.first_day)
        except ValueError as error:
            self._fail("invalid", text, str(error))

    def to_representation(self, value) -> str:
        return f"{value:%Y-%m}" if isinstance(value, datetime.date) else str(value)


class DateField(serializers.DateField):
    """A business date as YYYY-MM-DD exactly (lib.periods.parse_date): DRF's DateField with
    input_formats=["%Y-%m-%d"] reads 2026-1-5 too, which the pages and the other endpoints refuse."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)

    def to_internal_value(self, value) -> datetime.date:
        if isinstance(value, str):
            try:
                parse_date(value)
            except OutOfRangeError as error:  # 0001-01-01: well formed, outside the supported range
                raise serializers.ValidationError(str(error), code="invalid") from None
            except ValueError:
                self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


# -- numbers: the one grammar of the imports (lib.csvimport.decimal) -----------------------------------


class JsonNumber(str):
    """A JSON number with a fraction or an exponent as written in the body ("12.5", "1E3")."""


def json_loads(raw: bytes | str, *, strict_constants: bool = True):
    """json.loads keeping numbers with a fraction or an exponent as JsonNumber. NaN and Infinity, which
    are not JSON, are refused (ValueError), or with `strict_constants=False` kept as JsonNumber too, for
    a caller that refuses them itself with a better message (the facts endpoint names the fact)."""
    return json.loads(raw, parse_float=JsonNumber, parse_constant=strict_constant if strict_constants else JsonNumber)


class NumbersAsWrittenJSONParser(JSONParser):
    """DRF's JSON parser, numbers with a fraction or an exponent kept as written (JsonNumber)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", "utf-8")
        try:
            return loads_json(codecs.getreader(encoding)(stream).read(), loads=json_loads)
        except JsonTooDeep:
            raise ParseError(TOO_DEEP) from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


class NumberField(serializers.DecimalField):
    """A decimal written as lib.csvimport's number grammar (ASCII or full-width digits, thousands commas,
    a decimal point; no exponent, no NaN): a string, or a JSON number as written (JsonNumber), then
    DecimalField's own limits (max_digits, decimal_places). A float that reaches it (a body not parsed by
    NumbersAsWrittenJSONParser) is judged by its repr: 1000.0 is taken, 1e+16 is not."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (str, int, float, Decimal)):
            self.fail("invalid")
        if isinstance(data, str):
            text = data.strip()
        elif isinstance(data, float):
            text = repr(data)
        else:
            text = format(data, "f") if isinstance(data, Decimal) else str(data)
        try:
            number = decimal(text)
        except ValueError:
            self.fail("invalid")
        return super().to_internal_value(format(number, "f"))


# -- django-filter: the same form fields as the pages (lib.periods_forms), English words, a pattern ---------


class PeriodFilter(django_filters.Filter):
    """`?period=2026-11` → a lib.periods.Period (`kinds` narrows the kinds). A bad code answers 400 with
    lib.periods' words, or with `error_messages={"invalid": "… %(value)s …"}` (and `invalid_kind`)."""

    field_class = periods_forms.PeriodField

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _describe(self, period_schema(self.extra.get("kinds")))


class MonthFilter(django_filters.Filter):
    """`?month=2026-11` → the month's first day; a bad month answers 400 with lib.periods' English
    words (the pages' MonthField speaks the reader's language)."""

    field_class = periods_forms.MonthField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("error_messages", {"invalid": NOT_A_MONTH})
        super().__init__(*args, **kwargs)
        _describe(self, month_schema())


def _describe(api_filter: django_filters.Filter, schema: dict) -> None:
    schema = dict(schema)
    if api_filter.extra.get("help_text"):
        schema["description"] = str(api_filter.extra["help_text"])
    set_override(api_filter, "field", schema)
