"""Early in a period, in real headless Chromium and through the real rollup (issue 14): on 2 November the
outlet head's month scorecard leads with October's final result, shows November's pace muted, and still
fits a phone.

Figures for 天河路网点 (GZ0101): 100 customers served a day from 1 October, against monthly targets of
3,000 (October) and 3,000 (November). October's final: 31 × 100 = 3,100 of 3,000, 103.3 %, on pace.
November to the 2nd: 2 × 100 = 200 of 3,000, 6.7 % at a time progress of 2/30 = 6.7 %: on pace, but too
early to judge, so muted. The sub-branch 天河支行 (GZ01) has no target: it shows 3,000, ∑ of its outlets'.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from kpi.models import Fact, Metric, Target
from kpi.services.rollup import rollup_range
from lib.periods import PeriodKind, period_of
from tests.browser.conftest import needs_chromium, shot, sign_in
from tests.browser.test_phone import NARROWEST, PHONE, _overflow
from tests.conftest import network_of_the_tests, outlet_head_of, unit_manager_of
from tests.shared_data import as_in_a_test, shared_data

pytestmark = [needs_chromium, pytest.mark.django_db]

DAY = datetime.date(2026, 11, 2)


@pytest.fixture(scope="module")
def early(chromium, django_db_setup, django_db_blocker) -> dict:
    """The facts, targets and rollup below, made once for the module's tests, which read them
    (tests/shared_data.py; after `chromium`, as tests/browser/conftest.py's shared_morning)."""
    with shared_data(django_db_blocker), as_in_a_test():
        network = network_of_the_tests()
        people = {"outlet_head": outlet_head_of(network), "unit_manager": unit_manager_of(network)}
        outlet = network["GZ0101"]
        served = Metric.objects.get(code="customers_served")
        first = datetime.date(2026, 10, 1)
        Fact.objects.bulk_create(
            Fact(date=first + datetime.timedelta(days=offset), unit=outlet, metric=served, value=Decimal(100))
            for offset in range((DAY - first).days + 1)
        )
        for month in (datetime.date(2026, 10, 1), datetime.date(2026, 11, 1)):
            period = period_of(PeriodKind.MONTH, month)
            Target.objects.create(
                unit=outlet,
                metric=served,
                period_kind=period.kind,
                period=period.code,
                period_start=period.start,
                period_end=period.end,
                value=Decimal(3000),
            )
        rollup_range(first=datetime.date(2026, 10, 31), last=DAY)
        yield people


@pytest.fixture
def early_morning(early):
    return early["outlet_head"]


@pytest.fixture
def unit_manager(early):
    return early["unit_manager"]


def test_on_the_second_the_scorecard_leads_with_last_months_final_and_fits_a_phone(page, server, early_morning):
    base = server.url
    sign_in(page, base, early_morning)
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/units/GZ0101/scorecard/?date={DAY.isoformat()}&period=month")

    lead = page.locator("section.early-period")
    assert "2026-10" in lead.locator("h2").inner_text()
    october = lead.locator("tbody tr", has_text="到店客户数")
    assert "3,100" in october.inner_text() and "103.3%" in october.inner_text()
    # Above the phone's cards; November's status on the card is muted, not green or red.
    assert lead.bounding_box()["y"] < page.locator(".scorecard-cards").bounding_box()["y"]
    card = page.locator(".scorecard-cards li.metric-card", has_text="到店客户数")
    assert card.get_attribute("data-status") == "early"
    assert card.locator(".chip-early").count() == 1
    for viewport in (PHONE, NARROWEST):
        assert _overflow(page, viewport) is None
    shot(page, "early-period-phone")


def test_the_sub_branch_shows_the_sum_of_its_outlets_targets_marked(page, server, early_morning, unit_manager):
    base = server.url
    sign_in(page, base, unit_manager)
    page.goto(f"{base}/units/GZ01/scorecard/?date={DAY.isoformat()}&period=month")

    row = page.locator("table.scorecard tbody tr", has_text="到店客户数")
    assert "3,000" in row.inner_text()
    assert row.locator(".target-sum").count() == 1
