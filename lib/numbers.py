"""How a number is written for a reader: the grammar under the rule of units in
kpi/templatetags/kpi_format.py (which unit, how many decimals), kept here because lib/tables.py and
lib/exports.py write numbers too and lib imports no app.

- A fixed number of decimals, rounded half up (not banker's rounding): 1234567.505 → "1,234,567.51".
- Thousands grouped with "," and decimals after "." in every language, so a figure copied from a page
  pastes into a spreadsheet as a number.
- A negative figure with the ASCII hyphen-minus, as the files and the API write it: "-182"; never
  "-0.00". A change is written with its sign: "+12.3%", "-51.2%", and no sign for zero.
- A percentage is glued to its figure: "51.2%", never "51.2 %".
- A missing figure is "—".

`plain_number` writes a stored figure that has no unit to go by (an audit line, a cell of a download)
without the trailing zeros of its column: 2500.0000 → "2500". `nice_axis` chooses the ticks of a chart's
value axis so that no two read alike once written with the series' decimals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

MISSING = "—"
PERCENT_PLACES = 1  # every percentage on a page: 完成率, 时间进度, a change, a metric in %


def to_decimal(value) -> Decimal | None:
    """The value as a Decimal (a float through its shortest text, so 0.1 is 0.1); None for nothing or
    something that is not a number."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def format_number(value, places: int, *, signed: bool = False) -> str:
    """1234567.5 → "1,234,567.50" (half up); "—" for None. `signed` writes "+" before a positive figure
    (a change, a gap); a negative one always has its "-"."""
    number = to_decimal(value)
    if number is None:
        return MISSING
    rounded = number.quantize(_quantum(places), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # no "-0.00"
    text = f"{rounded:,f}"
    return f"+{text}" if signed and rounded > 0 else text


def format_percent(fraction, *, places: int = PERCENT_PLACES, signed: bool = False) -> str:
    """A fraction as a percentage, the sign glued: 1.3845 → "138.5%"; signed, -0.5123 → "-51.2%"."""
    number = to_decimal(fraction)
    if number is None:
        return MISSING
    return f"{format_number(number * 100, places, signed=signed)}%"


def plain_number(value) -> str:
    """A stored figure without its column's trailing zeros or an exponent: 2500.0000 → "2500",
    12.5000 → "12.5", 0E-4 → "0"; "—" for None. For text that has no unit to go by (an audit line)."""
    number = to_decimal(value)
    if number is None:
        return MISSING
    if number == number.to_integral_value():
        return f"{number.quantize(Decimal(1)):f}"
    return f"{number.normalize():f}"


# -- a chart's value axis ----------------------------------------------------------------------------

_NICE_STEPS = (1, 2, 5)  # × a power of ten: every step is a multiple of the smallest one shown


@dataclass(frozen=True)
class Axis:
    """A value axis: ticks from `min` to `max` every `interval`, each a multiple of 10^-places, so the
    labels written with `places` decimals are all different."""

    min: Decimal
    max: Decimal
    interval: Decimal
    places: int

    def ticks(self) -> list[Decimal]:
        count = int((self.max - self.min) / self.interval)
        return [self.min + self.interval * index for index in range(count + 1)]

    def labels(self) -> list[str]:
        return [format_number(tick, self.places) for tick in self.ticks()]

    def as_json(self) -> dict[str, float | int]:
        """For the chart's payload (static/js/numbers.js `axis`)."""
        return {
            "min": float(self.min),
            "max": float(self.max),
            "interval": float(self.interval),
            "places": self.places,
        }


def _nice_step(raw: Decimal, smallest: Decimal) -> Decimal:
    """The least of 1, 2, 5 × 10^k that is at least `raw`, and never below `smallest` (10^-places)."""
    if raw <= smallest:
        return smallest
    power = Decimal(1).scaleb(raw.adjusted())  # 10^k with 10^k ≤ raw < 10^(k+1)
    for step in _NICE_STEPS:
        if step * power >= raw:
            return max(step * power, smallest)
    return max(10 * power, smallest)


def nice_axis(values: Iterable, places: int, *, ticks: int = 5) -> Axis | None:
    """The value axis of a chart whose figures are written with `places` decimals: about `ticks` ticks
    spanning the figures, every one a multiple of a step of 1, 2 or 5 × 10^k no finer than 10^-places
    (so 2.4601 … 2.4649 in 亿元 with two decimals gets 2.46 and 2.47, never 2.46, 2.46, 2.46). A flat
    series gets one step either side. None without figures."""
    numbers = [number for number in map(to_decimal, values) if number is not None]
    if not numbers:
        return None
    smallest = _quantum(places)
    low, high = min(numbers), max(numbers)
    step = _nice_step((high - low) / max(ticks - 1, 1), smallest)
    start = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    end = (high / step).to_integral_value(rounding=ROUND_CEILING) * step
    if start == end:
        start, end = start - step, end + step
    return Axis(min=start, max=end, interval=step, places=places)
