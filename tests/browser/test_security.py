"""Security in real headless Chromium (issue 13): a name that is HTML stays text in the heatmap's tooltip,
and the pages, their vendored ECharts and the API's docs work under the Content-Security-Policy (the
`page` fixture fails a test on any violation it reports)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import needs_chromium, reading_the_shared_morning, shot, sign_in

pytestmark = [needs_chromium, pytest.mark.django_db]

network, outlet_head, teller, unit_manager, morning = reading_the_shared_morning()  # made once for the module

PAYLOAD = '<img src=x onerror="window.__xss=1">'


@pytest.fixture
def renamed(morning, network):
    """天河路网点 renamed, by whoever may edit units, to a piece of HTML that runs a script if rendered."""
    outlet = network["GZ0101"]
    outlet.name_zh = outlet.name_en = PAYLOAD
    outlet.save()
    return outlet


def test_a_unit_named_with_html_shows_the_html_as_text_in_the_heatmaps_tooltip(page, server, renamed, unit_manager):
    sign_in(page, server.url, unit_manager)
    page.locator('#overview-heatmap[data-chart-drawn="1"]').wait_for(state="attached")

    # The tooltip of the renamed unit's first cell, shown as a hover would show it.
    page.evaluate(
        """() => {
          const data = JSON.parse(document.getElementById("overview-data").textContent);
          const index = data.cells.findIndex((cell) => data.units[cell[1]].name.includes("onerror"));
          const chart = echarts.getInstanceByDom(document.getElementById("overview-heatmap"));
          chart.dispatchAction({ type: "showTip", seriesIndex: 0, dataIndex: index });
        }"""
    )
    tooltip = page.locator("#overview-heatmap div", has_text="onerror").last
    tooltip.wait_for(state="visible")
    shot(page, "08-overview-html-name-in-tooltip")

    # The literal text, not an image. textContent rather than innerText: the assertion is about what the
    # tooltip holds, and innerText is "" if ECharts hides the tip again (a resize on a loaded machine).
    assert PAYLOAD in tooltip.text_content()
    assert tooltip.locator("img").count() == 0
    assert page.evaluate("() => window.__xss") is None


def test_the_pages_with_charts_and_the_api_docs_load_under_the_policy(page, server, morning, unit_manager):
    base = server.url
    sign_in(page, base, unit_manager)
    page.locator('#overview-heatmap[data-chart-drawn="1"]').wait_for(state="attached")
    page.evaluate(
        """() => echarts.getInstanceByDom(document.getElementById("overview-heatmap"))
              .dispatchAction({ type: "showTip", seriesIndex: 0, dataIndex: 0 })"""
    )

    response = page.goto(f"{base}/units/GZ0101/metrics/customers_served/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    chart = page.locator('[data-chart="trend"][data-chart-drawn="1"]')
    chart.wait_for(state="attached")
    box = chart.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # the axis tooltip, with markers
    page.wait_for_timeout(300)

    page.goto(f"{base}/bulletin/")
    page.goto(f"{base}/api/v1/docs/")
    page.locator(".swagger-ui .info").wait_for(state="visible")
    shot(page, "09-api-docs-under-csp")
