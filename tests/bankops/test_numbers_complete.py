"""Banker-grade numbers on every page and admin screen (issue 14; the rule: kpi/templatetags/kpi_format.py,
docs/architecture.md "Numbers on pages").

What a person sees (text, titles, aria-labels, placeholders) holds no figure with a stored column's raw
decimals (12934.0000, 89.3313, 0.853333) and no space before a percent sign ("51.2 %"). Inputs of a form
keep what they edit.

The walk is test_i18n_complete.py's: every page of the resolver for each persona, every admin changelist,
add and change form as HQ's superuser and as an auditor, on its world of one row of everything, rolled
up through the real rollup (which stores figures with four and six decimals). It reads each page it
renders for English and, with `raw_numbers_in` below, for raw figures: a page is rendered once for both
rules (rendering is what the walk costs). Here: that the rule finds what it must and nothing else.
"""

from __future__ import annotations

import re

RAW_DECIMALS = re.compile(r"(?<![\w.])\d[\d,]*\.\d{4,}\b")
SPACED_PERCENT = re.compile(r"\d %")


def raw_numbers_in(text: str) -> list[str]:
    """The raw figures and spaced percent signs of a page's visible text (test_i18n_complete.visible_text),
    each once, sorted."""
    found = RAW_DECIMALS.findall(text) + SPACED_PERCENT.findall(text)
    return [f"numbers: {sorted(set(found))}"] if found else []


def test_the_rule_finds_a_stored_columns_raw_decimals_and_a_spaced_percent_sign():
    text = "存款日均 12934.0000 元 \n 达成率 89.3313 \n 进度 51.2 % \n 占比 0.853333"

    assert raw_numbers_in(text) == ["numbers: ['0.853333', '12934.0000', '2 %', '89.3313']"]


def test_the_rule_passes_banker_grade_figures_codes_and_dates():
    text = "存款日均 12,934.00 元 \n 达成率 89.3% \n 1.2 亿元 \n GZ0101 \n 2026-11-15 \n v1.2026 \n 10:45"

    assert raw_numbers_in(text) == []
