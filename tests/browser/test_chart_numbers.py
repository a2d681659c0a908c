"""A chart's numbers in real headless Chromium: the value axis of a metric's history has ticks that never
read alike, written like the table (static/js/numbers.js over the server's axis, lib.numbers.nice_axis).

The morning of tests/browser/conftest.py: 天河路网点's deposit balance is 50,000 + 10 × day 万元 in
November (50,010 … 50,240: 5.00 … 5.02 亿元, a change of 0.001 亿 a day that two decimals cannot show)
against a target of 52,000 (5.20 亿元). The whole series is in 亿元 (its largest figure reaches 1 亿),
and the axis runs 5.00 … 5.20 every 0.05 ((5.20 − 5.00) / 4 = 0.05): never 5.00, 5.00, 5.01, 5.01.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import needs_chromium, shot, sign_in

pytestmark = [needs_chromium, pytest.mark.django_db]

AXIS_LABELS = """() => {
  const chart = echarts.getInstanceByDom(document.querySelector('[data-chart="trend"]'));
  const axis = chart.getModel().getComponent("yAxis").axis;
  return {name: chart.getOption().yAxis[0].name, labels: axis.getViewLabels().map((label) => label.formattedLabel)};
}"""


def test_the_history_chart_of_a_balance_in_yi_yuan_has_distinct_axis_ticks(page, server, morning):
    base = server.url
    sign_in(page, base, morning)

    page.goto(f"{base}/units/GZ0101/metrics/deposit_balance/?date=2026-11-24")
    page.locator('[data-chart="trend"][data-chart-drawn="1"]').wait_for(state="attached")

    axis = page.evaluate(AXIS_LABELS)
    assert axis["name"] == "亿元"
    assert axis["labels"] == ["5.00", "5.05", "5.10", "5.15", "5.20"]
    # The table says the same unit in its headers, the exact 万元 in each figure's title.
    assert page.locator("thead th", has_text="亿元").count() == 3
    assert page.locator('td[title="50,240.00 万元"]').inner_text() == "5.02"
    shot(page, "chart-axis-yi-yuan")

    # The actual's tooltip writes a figure as the table's kpi_actual does: here 亿元 with two decimals; a
    # count credited in shares (分润) with its decimals (0.9, 0.33), a whole count none; the pace is whole.
    written = page.evaluate(
        """() => {
          const chart = echarts.getInstanceByDom(document.querySelector('[data-chart="trend"]'));
          const count = window.BankOpsNumbers.actualFormatter(0);
          return {
            tooltip: chart.getOption().series[0].tooltip.valueFormatter(5.02),
            count: [0.9, 0.33, 2.1, 12, 1234.5].map(count),
            pace: window.BankOpsNumbers.formatter(0)(0.9),
          };
        }"""
    )
    assert written == {"tooltip": "5.02", "count": ["0.9", "0.33", "2.1", "12", "1,234.5"], "pace": "1"}
