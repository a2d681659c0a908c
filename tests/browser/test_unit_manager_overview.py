"""The unit manager's morning in real headless Chromium: he lands on his sub-branch's overview, where the
heatmap of outlets × key metrics draws, then opens an outlet's customers by tier, where the tier chart
and the migration heatmap draw. Figures from the real pipeline (facts → rollup, snapshots → tiering)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import needs_chromium, shot, sign_in

pytestmark = [needs_chromium, pytest.mark.django_db]


def test_the_unit_manager_sees_his_overview_heatmap_and_an_outlets_tiers(page, server, tiered, unit_manager):
    base = server.url
    sign_in(page, base, unit_manager)

    assert "天河支行" in page.locator("h1").inner_text()
    heatmap = page.locator('#overview-heatmap[data-chart-drawn="1"]')
    heatmap.wait_for(state="attached")
    assert heatmap.locator("canvas").count() >= 1
    assert page.locator("table", has_text="天河路网点").count() >= 1
    shot(page, "06-overview-unit-manager-zh")

    page.goto(f"{base}/units/GZ0101/customers/?month=2026-10")
    for chart in ("#tier-pyramid", "#tier-matrix"):
        drawn = page.locator(f'{chart}[data-chart-drawn="1"]')
        drawn.wait_for(state="attached")
        assert drawn.locator("canvas").count() >= 1
    shot(page, "07-customers-by-tier-zh")
