"""How KPI numbers are written on pages (DOMAIN.md §4, §8).

Money (万元) with two decimals, counts (户, 笔, 人, 件) whole, minutes with one decimal, a metric whose
unit is % in percent with two decimals (it is stored in percent already: 85 means 85 %), and the
fractions of the arithmetic (attainment, time progress) as a percentage with one decimal. Every figure
has thousands separators; nothing is capped (653 % of plan is a real figure). A missing value is "—".

Large money is written in 亿元 (1 亿 = 10,000 万): the scale is chosen for a whole row or series, never
cell by cell, so the figures of a scorecard line (actual, target, gap, per day) or of a chart share one
unit, which `kpi_unit` names. Pass the line (or a Scale) instead of the metric to get it:

    {% load kpi_format %}
    {{ line.actual|kpi_value:line }} {{ line|kpi_unit }}   {{ line.attainment|kpi_percent }}
    {{ day|kpi_date:"weekday" }}   {{ run.facts_loaded_at|kpi_datetime }}

Dates are written in the reader's language: 2026年11月24日 in Chinese, 24 Nov 2026 in English.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils import dateformat, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

register = template.Library()

MISSING = "—"

# Decimal places by metric unit; anything not listed (a count) is whole.
_PLACES = {"万元": 2, "%": 2, "分钟": 1}

WAN_YUAN = "万元"
YI_YUAN = "亿元"
WAN_PER_YI = Decimal(10_000)  # 1 亿元 = 10,000 万元


def _places(metric) -> int:
    return _PLACES.get(getattr(metric, "unit", None), 0)


@dataclass(frozen=True)
class Scale:
    """How the amounts of a row or a chart are written: in `unit`, divided by `divisor`, with `places`
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

    def chart_value(self, value) -> float | None:
        """The figure for a chart: scaled and rounded to the places a page shows."""
        number = self.of(value)
        if number is None:
            return None
        return float(number.quantize(Decimal(1).scaleb(-self.places), rounding=ROUND_HALF_UP)) + 0.0


def metric_scale(metric) -> Scale:
    """The metric's own unit, unscaled."""
    label = metric.get_unit_display() if hasattr(metric, "get_unit_display") else getattr(metric, "unit", "")
    return Scale(unit=getattr(metric, "unit", ""), divisor=Decimal(1), places=_places(metric), label=str(label))


def amount_scale(metric, values: Iterable) -> Scale:
    """万元 amounts whose largest (in absolute value) reaches 1 亿 are written in 亿元 with two decimals;
    everything else in the metric's own unit."""
    scale = metric_scale(metric)
    if scale.unit != WAN_YUAN:
        return scale
    numbers = [abs(number) for number in map(_decimal, values) if number is not None]
    if numbers and max(numbers) >= WAN_PER_YI:
        return Scale(unit=YI_YUAN, divisor=WAN_PER_YI, places=2, label=str(_("亿元 (100,000,000 CNY)")))
    return scale


def scale_of(subject) -> Scale:
    """A Scale as it is; a scorecard line scaled by its actual and target; a metric unscaled."""
    if isinstance(subject, Scale):
        return subject
    if hasattr(subject, "metric") and hasattr(subject, "actual"):
        return amount_scale(subject.metric, (subject.actual, subject.target))
    return metric_scale(subject)


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def format_number(value, places: int, *, signed: bool = False) -> str:
    """1234567.5 → "1,234,567.50" (half up); "—" for None. `signed` writes "+" before a positive figure."""
    number = _decimal(value)
    if number is None:
        return MISSING
    rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # no "-0.00"
    text = f"{rounded:,f}"
    return f"+{text}" if signed and rounded > 0 else text


@register.filter
def kpi_value(value, subject) -> str:
    """An actual, a target or any amount, with the decimals of its unit. `subject` is the metric (its own
    unit), a scorecard line (万元 or 亿元 for the whole line) or a Scale."""
    scale = scale_of(subject)
    return format_number(scale.of(value), scale.places)


@register.filter
def kpi_gap(value, subject) -> str:
    """Gap to pace: like kpi_value, with "+" when ahead of pace."""
    scale = scale_of(subject)
    return format_number(scale.of(value), scale.places, signed=True)


@register.filter
def kpi_per_day(value, subject) -> str:
    """Required per remaining day: a count gets one decimal (2.4 sign-ups a day is not "2")."""
    scale = scale_of(subject)
    return format_number(scale.of(value), max(scale.places, 1))


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
    figure = kpi_value(value, metric)
    return figure if figure == MISSING else f"{figure} {getattr(metric, 'unit', '')}".strip()


@register.filter
def kpi_percent(fraction) -> str:
    """A fraction as a percentage with one decimal: 1.3845 → "138.5%"."""
    number = _decimal(fraction)
    if number is None:
        return MISSING
    return f"{format_number(number * 100, 1)}%"


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


@register.filter
def kpi_rate(fraction) -> str:
    """A relative change (a fraction) as a signed percentage with one decimal: 0.125 → "+12.5%",
    −0.5 → "-50.0%"; "—" when there is none (a base of 0 or of the other sign)."""
    number = _decimal(fraction)
    if number is None:
        return MISSING
    return f"{format_number(number * 100, 1, signed=True)}%"
