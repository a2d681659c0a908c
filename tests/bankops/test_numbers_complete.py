"""Banker-grade numbers on every page and admin screen (issue 14; the rule: kpi/templatetags/kpi_format.py,
docs/architecture.md "Numbers on pages").

The walk of test_i18n_complete.py (every page of the resolver, every admin changelist, add and change
form, on its world of one row of everything, rolled up through the real rollup, which stores figures
with four and six decimals) is read for what a person sees (text, titles, aria-labels, placeholders):
no figure with a stored column's raw decimals (12934.0000, 89.3313, 0.853333) and no space before a
percent sign ("51.2 %"). Inputs of a form keep what they edit.
"""

from __future__ import annotations

import re

import pytest

from tests.bankops.test_i18n_complete import admin_persona, admin_urls, page_urls, visible_text, world  # noqa: F401

RAW_DECIMALS = re.compile(r"(?<![\w.])\d[\d,]*\.\d{4,}\b")
SPACED_PERCENT = re.compile(r"\d %")


def _problems(client, urls: list[str]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for url in urls:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code in (200, 302, 403, 404), (url, response.status_code)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        text = visible_text(response.content.decode())
        found = RAW_DECIMALS.findall(text) + SPACED_PERCENT.findall(text)
        if found:
            problems[url] = sorted(set(found))
    return problems


def test_no_page_shows_raw_decimals_or_a_spaced_percent_sign(client, world, hq_admin):  # noqa: F811
    client.force_login(hq_admin)

    assert _problems(client, page_urls(world)) == {}


@pytest.mark.parametrize("admin_persona", ["hq_admin"], indirect=True)
def test_no_admin_screen_shows_raw_decimals_or_a_spaced_percent_sign(client, world, admin_persona):  # noqa: F811
    client.force_login(admin_persona)

    assert _problems(client, admin_urls()) == {}
