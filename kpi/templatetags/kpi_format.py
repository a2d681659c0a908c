"""How KPI numbers are written on pages (DOMAIN.md §4, §8).

Money (万元) with two decimals, counts (户, 笔, 人, 件) whole, minutes with one decimal, a metric whose
unit is % in percent with two decimals (it is stored in percent already: 85 means 85 %), and the
fractions of the arithmetic (attainment, time progress) as a percentage with one decimal. Every figure
has thousands separators; nothing is capped (653 % of plan is a real figure). A missing value is "—".

    {% load kpi_format %}
    {{ line.actual|kpi_value:line.metric }}   {{ line.attainment|kpi_percent }}
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()

MISSING = "—"

# Decimal places by metric unit; anything not listed (a count) is whole.
_PLACES = {"万元": 2, "%": 2, "分钟": 1}


def _places(metric) -> int:
    return _PLACES.get(getattr(metric, "unit", None), 0)


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
def kpi_value(value, metric) -> str:
    """An actual, a target or any amount of the metric, with the metric's decimals."""
    return format_number(value, _places(metric))


@register.filter
def kpi_gap(value, metric) -> str:
    """Gap to pace: like kpi_value, with "+" when ahead of pace."""
    return format_number(value, _places(metric), signed=True)


@register.filter
def kpi_per_day(value, metric) -> str:
    """Required per remaining day: a count gets one decimal (2.4 sign-ups a day is not "2")."""
    return format_number(value, max(_places(metric), 1))


@register.filter
def kpi_percent(fraction) -> str:
    """A fraction as a percentage with one decimal: 1.3845 → "138.5%"."""
    number = _decimal(fraction)
    if number is None:
        return MISSING
    return f"{format_number(number * 100, 1)}%"


@register.filter
def kpi_score(value) -> str:
    """A scorecard score (points, DOMAIN.md §5) with two decimals: 98.25."""
    return format_number(value, 2)
