"""The unit manager's morning in real headless Chromium: he lands on his sub-branch's overview, where the
heatmap of outlets × key metrics draws, then opens an outlet's customers by tier, where the tier chart
and the migration heatmap draw. Figures from the real pipeline (facts → rollup, snapshots → tiering)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from customers.services.tiering import tiering_run
from tests.browser.conftest import needs_chromium, shot, sign_in
from tests.customers.factories import CustomerFactory, SnapshotFactory

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]

SEP, OCT = datetime.date(2026, 9, 1), datetime.date(2026, 10, 1)


@pytest.fixture
def tiered(morning, network):
    """Three customers of 天河路网点: one moves up (二星 → 三星), one down (四星 → 三星), one stays 一星."""
    for code, september, october in (("C1", "40000", "60000"), ("C2", "300000", "150000"), ("C3", "500", "800")):
        customer = CustomerFactory(code=code, home_outlet=network["GZ0101"])
        SnapshotFactory(customer=customer, month=SEP, aum_avg_daily=Decimal(september))
        SnapshotFactory(customer=customer, month=OCT, aum_avg_daily=Decimal(october))
    tiering_run(month=SEP)
    tiering_run(month=OCT)


def test_the_unit_manager_sees_his_overview_heatmap_and_an_outlets_tiers(page, live_server, tiered, unit_manager):
    base = live_server.url
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
