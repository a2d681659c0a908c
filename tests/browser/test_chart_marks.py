"""The charts' marks in real headless Chromium (issue 14): a metric's history chart draws the start of
November and the notes of its days as ECharts markers, the scorecard's sparklines too, and an outlet head
adds a note from her phone.

The data is the outlet head's morning (tests/browser/conftest.py: 天河路网点 GZ0101 rolled up 17–24 November
2026). The charts show the 30 days 26 October – 24 November: 1 November is index 6. Notes: the sub-branch's
system upgrade on 18–19 November (indexes 23–24) and the outlet's large maturity on 20 November (index
25), on deposit balances only.
"""

from __future__ import annotations

import datetime

import pytest

from kpi.models import Annotation, Metric
from tests.browser.conftest import needs_chromium, reading_the_shared_morning, shot, sign_in

pytestmark = [needs_chromium, pytest.mark.django_db]

network, outlet_head, teller, unit_manager, morning = reading_the_shared_morning()  # made once for the module

# The options ECharts drew a container with, reduced to its marks: [line indexes], [[area from, to]].
MARKS = """container => {
  const series = echarts.getInstanceByDom(container).getOption().series.find(s => s.markLine || s.markArea) || {};
  return {
    lines: ((series.markLine || {}).data || []).map(line => line.xAxis),
    areas: ((series.markArea || {}).data || []).map(area => [area[0].xAxis, area[1].xAxis]),
  };
}"""


@pytest.fixture
def noted(morning, network):
    Annotation.objects.create(
        unit=network["GZ01"],
        kind="system_outage",
        start=datetime.date(2026, 11, 18),
        end=datetime.date(2026, 11, 19),
        text="核心系统升级",
    )
    Annotation.objects.create(
        unit=network["GZ0101"],
        kind="large_maturity",
        start=datetime.date(2026, 11, 20),
        end=datetime.date(2026, 11, 20),
        text="<b>3,000 万元</b>定期到期",
        metric=Metric.objects.get(code="deposit_balance"),
    )
    return morning


def test_the_history_chart_marks_the_month_start_and_the_notes_of_its_metric(page, server, noted):
    base = server.url
    sign_in(page, base, noted)

    marks = {}
    for code in ("deposit_balance", "customers_served"):
        page.goto(f"{base}/units/GZ0101/metrics/{code}/?date=2026-11-24")
        chart = page.locator('[data-chart="trend"][data-chart-drawn="1"]')
        chart.wait_for(state="attached")
        marks[code] = chart.evaluate(MARKS)
        shot(page, f"marks-history-{code}")

    assert marks["deposit_balance"] == {"lines": [6, 25], "areas": [[23, 24]]}
    assert marks["customers_served"] == {"lines": [6], "areas": [[23, 24]]}
    # The note's text is words on the page, not markup.
    assert page.locator(".notes-panel b").count() == 0


def test_the_sparklines_draw_the_marks_without_labels(page, server, noted):
    base = server.url
    sign_in(page, base, noted)

    page.goto(f"{base}/units/GZ0101/scorecard/?date=2026-11-24")
    sparkline = page.locator('[data-chart="sparkline"][data-metric="deposit_balance"][data-chart-drawn="1"]').first
    sparkline.wait_for(state="attached")

    assert sparkline.evaluate(MARKS) == {"lines": [6, 25], "areas": [[23, 24]]}


def test_the_outlet_head_adds_a_note_from_her_phone(page, server, noted):
    base = server.url
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, base, noted)

    page.goto(f"{base}/units/GZ0101/notes/?date=2026-11-24&metric=deposit_balance")
    page.select_option("select[name=kind]", "other")
    page.fill("input[name=text]", "代发工资日，客流高峰")
    with page.expect_navigation():
        page.locator("form.note-form button[type=submit]").click()

    assert page.url == f"{base}/units/GZ0101/notes/"
    assert page.locator(".notes-list li", has_text="代发工资日").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "marks-notes-page-phone")
