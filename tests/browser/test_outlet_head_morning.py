"""The outlet head's morning in real headless Chromium (issue 6): sign in, read the scorecard, switch
period and language, open a metric's history chart and see it drawn, and be refused another outlet.

The figures come from the real pipeline: facts for 天河路网点 (GZ0101) through November 2026, a target,
and the rollup of 17–24 November, so the history has eight days to draw.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from bankops.lib.periods import PeriodKind, period_of
from kpi.models import Fact, Metric, Target
from kpi.services.rollup import rollup_range
from tests.browser.conftest import needs_chromium, shot
from tests.factories import TEST_PASSWORD

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]

NOVEMBER = period_of(PeriodKind.MONTH, datetime.date(2026, 11, 24))


@pytest.fixture
def morning(migrated_data, network, outlet_head, teller):
    outlet = network["GZ0101"]
    served = Metric.objects.get(code="customers_served")
    deposits = Metric.objects.get(code="deposit_balance")
    facts = []
    for day in range(1, 25):
        date = datetime.date(2026, 11, day)
        facts.append(Fact(date=date, unit=outlet, metric=served, value=Decimal(100 + day)))
        facts.append(Fact(date=date, unit=outlet, metric=deposits, value=Decimal(50000 + 10 * day)))
    Fact.objects.bulk_create(facts)
    for metric, value in ((served, Decimal("3600")), (deposits, Decimal("52000"))):
        Target.objects.create(
            unit=outlet,
            metric=metric,
            period_kind=NOVEMBER.kind,
            period=NOVEMBER.code,
            period_start=NOVEMBER.start,
            period_end=NOVEMBER.end,
            value=value,
        )
    rollup_range(first=datetime.date(2026, 11, 17), last=datetime.date(2026, 11, 24))
    return outlet_head


def _sign_in(page, base: str, user) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("form button[type=submit] >> nth=-1")
    page.wait_for_load_state("networkidle")


def test_the_outlet_head_reads_her_scorecard_switches_period_and_language_and_opens_a_history(
    page, live_server, morning
):
    base = live_server.url
    _sign_in(page, base, morning)

    # She lands on her outlet's scorecard for the latest rolled-up day, in Chinese.
    assert page.url.startswith(f"{base}/scorecard/")
    assert "天河路网点" in page.locator("h1").inner_text()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    served_row = page.locator("tr", has_text="到店客户数").first
    # 101 + 102 + … + 124 = 2,700 customers served so far this month.
    assert "2,700" in served_row.inner_text()
    shot(page, "01-scorecard-month-zh")

    # The period switch: 年 shows the year to date (the same 2,700: no facts before November).
    page.locator("nav.period-switch a", has_text="年").click()
    page.wait_for_load_state("networkidle")
    assert "period=year" in page.url
    assert page.locator("nav.period-switch a[aria-current=page]", has_text="年").count() == 1
    shot(page, "02-scorecard-year-zh")

    # The language switch sticks: the page, and the next one, are in English.
    page.select_option("select#language", "en")
    page.locator("form.language-switch button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("tr", has_text="Customers served").count() >= 1
    page.locator("nav.period-switch a", has_text="Month").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    shot(page, "03-scorecard-month-en")

    # A metric's daily history: the chart draws (a canvas in the container) and the table lists the days.
    page.locator("th a", has_text="Customers served").first.click()
    page.wait_for_load_state("networkidle")
    chart = page.locator('[data-chart="trend"][data-chart-drawn="1"]')
    chart.wait_for(state="attached")
    assert chart.locator("canvas").count() >= 1
    assert page.locator("table tbody tr").count() >= 8
    shot(page, "04-metric-history-en")


def test_another_outlet_is_refused_with_a_404(page, live_server, morning):
    base = live_server.url
    _sign_in(page, base, morning)

    response = page.goto(f"{base}/units/SZ0101/scorecard/")

    assert response.status == 404
    shot(page, "05-another-outlet-404")
