"""How KPI numbers are written on pages: the one rule of units and decimals (DOMAIN.md §4, §8;
docs/architecture.md "Numbers on pages"). The grammar under it (half up, "," for thousands, "-" for a
negative figure, "%" glued, "—" for nothing) is lib/numbers.py.

Decimals by unit, fixed: money 2 (万元 and 亿元 alike), counts (户, 笔, 人, 件) 0, minutes 1, and every
percentage 1: a metric whose unit is % (stored in percent already: 85 means 85 %) and the fractions of the
arithmetic (attainment, time progress, a change) alike. A required-per-day of a count keeps one decimal
(2.4 sign-ups a day is a rate, not a count), and so does an actual of a count credited in shares, up to two
(分润: 30 % of 3 sign-ups is "0.9", `kpi_actual`). Nothing is capped (653 % of plan is a real figure).

Money is in 万元 with thousands separators. 亿元 is used only for a column or a chart series of one
metric's figures (a metric's history: its actual, target and pace, read against each other on one
axis), and then for the whole of it, when its largest absolute figure reaches `YI_YUAN_THRESHOLD`
(10,000 万元 = 1 亿元); the unit is written once, in the header or on the axis (`kpi_unit`), and the
exact 万元 figure is one hover away (`kpi_exact`). A table whose rows are different metrics (the
scorecard, its phone cards, the behind-pace list, contests, benchmarks, alerts) and a list of customers
stay in each metric's own unit: there a switch would either mix units in one column or round a small
flow or a gap to "0.00" (a 70 万 gap of a 4.6 亿 balance is "-70.00", never "-0.01" or "0.00"), and
a flow's row would change unit with the period.

    {% load kpi_format %}
    {{ line.actual|kpi_actual:line }} {{ line|kpi_unit }}   {{ line.attainment|kpi_percent }}
    {{ change|kpi_percent:"signed" }}  {{ gap|kpi_gap:line }}  {{ value|kpi_amount:metric }}
    {{ customers|kpi_count }}   {{ day|kpi_date:"weekday" }}   {{ run.facts_loaded_at|kpi_datetime }}

Dates are written in the reader's language: 2026年11月24日 in Chinese, 24 Nov 2026 in English.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils import dateformat, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kpi.models import Aggregation
from lib.numbers import MISSING, PERCENT_PLACES, format_number, format_percent, nice_axis, to_decimal

register = template.Library()

WAN_YUAN = "万元"
YI_YUAN = "亿元"
WAN_PER_YI = Decimal(10_000)  # 1 亿元 = 10,000 万元
YUAN_PER_WAN = Decimal(10_000)  # 1 万元 = 10,000 元
# A column or series of money is written in 亿元 once its largest absolute figure reaches this many 万元.
YI_YUAN_THRESHOLD = WAN_PER_YI

# Decimal places by unit; anything not listed (a count: 户, 笔, 人, 件) is whole. Points (分) as scores.
_PLACES = {WAN_YUAN: 2, YI_YUAN: 2, "%": PERCENT_PLACES, "分钟": 1, "分": 2}


def places_of(unit: str | None) -> int:
    """The decimals a figure in `unit` is written with."""
    return _PLACES.get(unit or "", 0)


def _decimal(value) -> Decimal | None:
    return to_decimal(value)


# The most decimals a count's actual keeps when it is not whole (Scale.places_of_actual).
SHARED_COUNT_PLACES = 2


@dataclass(frozen=True)
class Scale:
    """How the amounts of a column or a chart are written: in `unit`, divided by `divisor`, with `places`
    decimals. `label` says the unit in words (the title of the unit cell)."""

    unit: str
    divisor: Decimal
    places: int
    label: str

    @property
    def scaled(self) -> bool:
        return self.divisor != 1

    def of(self, value) -> Decimal | None:
        number = _decimal(value)
        return None if number is None else number / self.divisor

    def places_of_actual(self, number: Decimal | None) -> int:
        """The decimals of an actual: the scale's, except that a count credited in shares (分润: 30 % of 3
        sign-ups is 0.9) is not written whole: "0.9", "0.33", never "1" beside an attainment of 30.0 %.
        Only actuals: a count's target, pace or gap stays whole (a paced 333.33 sign-ups is "333")."""
        if self.places or number is None or number == number.to_integral_value():
            return self.places
        return 1 if number == round(number, 1) else SHARED_COUNT_PLACES

    def chart_value(self, value, *, actual: bool = False) -> float | None:
        """The figure for a chart: scaled and rounded to the places a page shows (with `actual`, those of
        an actual: a count's share keeps its decimals, `places_of_actual`)."""
        number = self.of(value)
        if number is None:
            return None
        places = self.places_of_actual(number) if actual else self.places
        return float(number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)) + 0.0

    def write(self, value, *, signed: bool = False, with_unit: bool = False, actual: bool = False) -> str:
        """A figure of this column: "12,934.00", or with `with_unit` "12,934.00 万元", "85.1%" (the
        percent sign glued; "—" alone when there is none). With `actual`, a count that is not whole keeps
        its decimals (`places_of_actual`)."""
        number = self.of(value)
        places = self.places_of_actual(number) if actual else self.places
        text = format_number(number, places, signed=signed)
        if not with_unit or text == MISSING or not self.unit:
            return text
        return f"{text}{self.unit}" if self.unit == "%" else f"{text} {self.unit}"  # "85.1%", "12.00 万元"

    def axis(self, values: Iterable) -> dict | None:
        """The value axis of a chart of these figures (given in the metric's unit, scaled here), for its
        json_script payload: ticks that stay distinct with this scale's decimals (lib.numbers.nice_axis)."""
        axis = nice_axis((self.of(value) for value in values), self.places)
        return axis.as_json() if axis else None


def unit_scale(unit: str, label: str | None = None) -> Scale:
    """Figures in `unit` as they are."""
    return Scale(unit=unit, divisor=Decimal(1), places=places_of(unit), label=str(label if label is not None else unit))


# A ratio of two counts (人均走访数: visits per person, in 户) has decimals where its unit, a count, has none.
RATIO_OF_COUNTS_PLACES = 2


def metric_scale(metric) -> Scale:
    """The metric's own unit, unscaled; a ratio in a whole unit with RATIO_OF_COUNTS_PLACES (0.35 visits per
    person is not "0")."""
    label = metric.get_unit_display() if hasattr(metric, "get_unit_display") else getattr(metric, "unit", "")
    scale = unit_scale(getattr(metric, "unit", "") or "", label)
    if scale.places == 0 and getattr(metric, "aggregation", None) == Aggregation.RATIO:
        return Scale(unit=scale.unit, divisor=scale.divisor, places=RATIO_OF_COUNTS_PLACES, label=scale.label)
    return scale


YI_YUAN_LABEL = _("亿元 (100,000,000 CNY)")


def column_scale(values: Iterable, *, unit: str = WAN_YUAN, label: str | None = None) -> Scale:
    """The rule for a column or a series of figures in `unit`: money (万元) whose largest absolute
    figure reaches YI_YUAN_THRESHOLD is written in 亿元, every figure of it; anything else as it is.
    8,500 and 23,000 万元 → 亿元: "0.85", "2.30"."""
    scale = unit_scale(unit, label)
    if unit != WAN_YUAN:
        return scale
    numbers = [abs(number) for number in map(_decimal, values) if number is not None]
    if numbers and max(numbers) >= YI_YUAN_THRESHOLD:
        return Scale(unit=YI_YUAN, divisor=WAN_PER_YI, places=places_of(YI_YUAN), label=str(YI_YUAN_LABEL))
    return scale


def amount_scale(metric, values: Iterable) -> Scale:
    """column_scale for one metric's figures (a history's actual, target and pace; a chart's series)."""
    if getattr(metric, "unit", None) != WAN_YUAN:
        return metric_scale(metric)
    return column_scale(values, unit=WAN_YUAN, label=metric_scale(metric).label)


# Money kept in 元 (a customer's AUM) written in 万元 like all money: scale.of(1234567) is 123.4567.
YUAN_IN_WAN = Scale(unit=WAN_YUAN, divisor=YUAN_PER_WAN, places=places_of(WAN_YUAN), label=WAN_YUAN)


def scale_of(subject) -> Scale:
    """A Scale as it is; a metric, or a scorecard line (anything with a `metric`), in the metric's own
    unit: a scorecard's rows are different metrics, so its money is 万元 for every period and every
    line, its gaps included."""
    if isinstance(subject, Scale):
        return subject
    if hasattr(subject, "metric") and hasattr(subject, "actual"):
        return metric_scale(subject.metric)
    return metric_scale(subject)


@register.filter
def kpi_value(value, subject) -> str:
    """An actual, a target or any amount, with the decimals of its unit. `subject` is the metric (its own
    unit), a scorecard line (its metric's unit) or a Scale (a column in 万元 or 亿元)."""
    return scale_of(subject).write(value)


@register.filter
def kpi_actual(value, subject) -> str:
    """An actual: kpi_value, except that a count credited in shares keeps its decimals ("0.9" sign-ups,
    Scale.places_of_actual)."""
    return scale_of(subject).write(value, actual=True)


@register.filter
def kpi_amount(value, subject) -> str:
    """Like kpi_value, with the unit after the figure: "12,934.00 万元", "4,889 户" (a figure that stands
    alone, with no unit cell or header beside it)."""
    return scale_of(subject).write(value, with_unit=True)


@register.filter
def kpi_gap(value, subject) -> str:
    """Gap to pace, or any change of an amount: like kpi_value, with "+" when ahead (or up)."""
    return scale_of(subject).write(value, signed=True)


@register.filter
def kpi_per_day(value, subject) -> str:
    """Required per remaining day: a count gets one decimal (2.4 sign-ups a day is not "2"), two where one
    would read 0.0 (one customer more in 27 days is 0.04 a day, not "0.0" beside a 落后)."""
    scale = scale_of(subject)
    number = scale.of(value)
    places = max(scale.places, 1)
    if places == 1 and number is not None and 0 < abs(number) < Decimal("0.05"):
        places = 2
    return format_number(number, places)


@register.filter
def kpi_yuan(value) -> str:
    """An amount kept in 元 (a customer's average daily AUM) in 万元: 1234567.89 → "123.46". A list of
    customers is never scaled to 亿元: each row is one customer, and a small one would read "0.00"."""
    return YUAN_IN_WAN.write(value)


@register.filter
def kpi_count(value) -> str:
    """A number of things (customers, outlets, alerts): whole, thousands grouped: 4889 → "4,889"."""
    return format_number(value, 0)


@register.filter
def kpi_scale(subject) -> Scale:
    """The Scale of a line or a metric, to compute it once per row: {% with scale=line|kpi_scale %}."""
    return scale_of(subject)


@register.filter
def kpi_unit(subject) -> str:
    """The unit the figures of kpi_value(…, subject) are written in: 万元, 亿元, 户, %…"""
    return scale_of(subject).unit


@register.filter
def kpi_unit_label(subject) -> str:
    """The unit in words, for a title: 亿元 (100,000,000 CNY)."""
    return scale_of(subject).label


@register.filter
def kpi_exact(value, metric) -> str:
    """The figure in the metric's own unit, with the unit: "46,123.45 万元" (the title of a figure written
    in 亿元, so the exact amount is one hover away)."""
    return metric_scale(metric).write(value, with_unit=True)


@register.filter
def kpi_percent(fraction, style: str = "") -> str:
    """A fraction as a percentage with one decimal, the sign glued: 1.3845 → "138.5%". With "signed" (a
    change: 环比, 同比) a positive figure gets "+": 0.123 → "+12.3%", -0.5123 → "-51.2%"."""
    return format_percent(fraction, signed=style == "signed")


@register.filter
def kpi_bar(fraction) -> str:
    """A fraction as a length along a bar whose end is 100 %, for a style attribute: 0.16 → "16.0%";
    below 0 is 0 and above 1 is the whole bar (the figure beside the bar is never capped). Always a
    dot for the decimals, whatever the reader's language; "0%" when there is no figure."""
    number = _decimal(fraction)
    if number is None:
        return "0%"
    share = min(max(number, Decimal(0)), Decimal(1)) * 100
    return f"{share.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


@register.filter
def kpi_score(value) -> str:
    """A scorecard score (points, DOMAIN.md §5) with two decimals: 98.25."""
    return format_number(value, 2)


# -- dates in the reader's language ------------------------------------------------------------------

# Django's date format characters (dateformat); month and weekday names follow the active language.
_DATE_FORMATS = {
    "zh": {"default": "Y年n月j日", "weekday": "Y年n月j日 l", "short": "n月j日", "datetime": "Y年n月j日 H:i"},
    "en": {"default": "j M Y", "weekday": "D j M Y", "short": "j M", "datetime": "j M Y H:i"},
}


def _date_formats() -> dict[str, str]:
    language = (get_language() or "zh-hans").lower()
    return _DATE_FORMATS["en" if language.startswith("en") else "zh"]


def format_date(day: datetime.date | None, style: str = "default") -> str:
    """2026-11-24 → 2026年11月24日 (zh) or 24 Nov 2026 (en); style "weekday" adds the day of the week
    (2026年11月24日 星期二, Tue 24 Nov 2026), "short" leaves out the year (11月24日, 24 Nov)."""
    if not day:
        return MISSING
    if isinstance(day, datetime.datetime):
        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    formats = _date_formats()
    return dateformat.format(day, formats.get(style, formats["default"]))


def format_datetime(moment: datetime.datetime | None) -> str:
    """A moment in the bank's time zone, to the minute: 2026年11月25日 06:12 (zh), 25 Nov 2026 06:12 (en)."""
    if not moment:
        return MISSING
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return dateformat.format(moment, _date_formats()["datetime"])


@register.filter
def kpi_date(day, style: str = "default") -> str:
    return format_date(day, style)


@register.filter
def kpi_datetime(moment) -> str:
    return format_datetime(moment)


# -- the rules of a scorecard template (kpi.selectors.score_explanation) ---------------------------------


def _shortest(number: Decimal) -> str:
    """The number with the decimals it needs and thousands separators: 20.00 → "20", 0.2500 → "0.25"."""
    normal = number.normalize()
    places = max(-normal.as_tuple().exponent, 0)
    return format_number(number, places)


@register.filter
def kpi_rule(value) -> str:
    """A weight, points per unit, a maximum or an allowed value as the template states it, without
    trailing zeros: 20, 0.5, −2 (a deduction keeps its sign); "—" for none."""
    number = _decimal(value)
    return MISSING if number is None else _shortest(number)


@register.filter
def kpi_rule_percent(fraction) -> str:
    """A cap or a floor (a fraction) as a percentage without trailing zeros: 1.2 → "120%", 0 → "0%"."""
    number = _decimal(fraction)
    return MISSING if number is None else f"{_shortest(number * 100)}%"


@register.filter
def kpi_rate(fraction) -> str:
    """A relative change (a fraction) as a signed percentage with one decimal: 0.125 → "+12.5%",
    −0.5 → "-50.0%"; "—" when there is none (a base of 0 or of the other sign)."""
    number = _decimal(fraction)
    if number is None:
        return MISSING
    return f"{format_number(number * 100, 1, signed=True)}%"


@register.filter
def kpi_share(percent) -> str:
    """A credit split's share (分润), already in percent (30 means 30 %), without trailing zeros:
    30.0000 → "30%", 33.3333 → "33.3333%"; "—" for none."""
    number = _decimal(percent)
    return MISSING if number is None else f"{_shortest(number)}%"
