"""Gift values are kept in 元 (a 50-yuan gift box), not 万元: written with two decimals, grouped, by the
number rule (lib.numbers)."""

from __future__ import annotations

from django import template

from lib.numbers import format_number

register = template.Library()


@register.filter
def gift_yuan(value) -> str:
    """1234.5 → "1,234.50"."""
    return format_number(value, 2)
