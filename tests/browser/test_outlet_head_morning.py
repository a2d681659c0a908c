"""The outlet head's morning in real headless Chromium (issue 6): sign in, read the scorecard, switch
period and language, open a metric's history chart and see it drawn, and be refused another outlet.

The figures come from the real pipeline: facts for 天河路网点 (GZ0101) through November 2026, a target,
and the rollup of 17–24 November, so the history has eight days to draw.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import needs_chromium, reading_the_shared_morning, shot, sign_in

pytestmark = [needs_chromium, pytest.mark.django_db]

network, outlet_head, teller, unit_manager, morning = reading_the_shared_morning()  # made once for the module


def test_the_outlet_head_reads_her_scorecard_switches_period_and_language_and_opens_a_history(page, server, morning):
    base = server.url
    sign_in(page, base, morning)

    # She lands on her outlet's scorecard for the latest rolled-up day, in Chinese.
    assert page.url.startswith(f"{base}/scorecard/")
    assert "天河路网点" in page.locator("h1").inner_text()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    served_row = page.locator("tr", has_text="到店客户数").first
    # 101 + 102 + … + 124 = 2,700 customers served so far this month.
    assert "2,700" in served_row.inner_text()
    shot(page, "01-scorecard-month-zh")

    # The period switch: 年 shows the year to date (the same 2,700: no facts before November).
    with page.expect_navigation():
        page.locator("nav.period-switch a", has_text="年").click()
    assert "period=year" in page.url
    assert page.locator("nav.period-switch a[aria-current=page]", has_text="年").count() == 1
    shot(page, "02-scorecard-year-zh")

    # The language switch sticks: the page, and the next one, are in English.
    page.select_option("select#language", "en")
    with page.expect_navigation():
        page.locator("form.language-switch button[type=submit]").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("tr", has_text="Customers served").count() >= 1
    with page.expect_navigation():
        page.locator("nav.period-switch a", has_text="Month").click()
    assert page.locator("html").get_attribute("lang") == "en"
    shot(page, "03-scorecard-month-en")

    # A metric's daily history: the chart draws (a canvas in the container) and the table lists the days.
    with page.expect_navigation():
        page.locator("th a", has_text="Customers served").first.click()
    chart = page.locator('[data-chart="trend"][data-chart-drawn="1"]')
    chart.wait_for(state="attached")
    assert chart.locator("canvas").count() >= 1
    assert page.locator("table tbody tr").count() >= 8
    shot(page, "04-metric-history-en")


def test_another_outlet_is_refused_with_a_404(page, server, morning):
    base = server.url
    sign_in(page, base, morning)

    response = page.goto(f"{base}/units/SZ0101/scorecard/")

    assert response.status == 404
    shot(page, "05-another-outlet-404")
