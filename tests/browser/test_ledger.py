"""The points ledger on a phone (issue 16), in real headless Chromium at 390 × 844: 黄丽娟 (teller, S1001, 天河路网点)
records two items of yesterday's work, her outlet head 林晓燕 approves both in one batch before the 晨会, and
after the rollup her scorecard shows the points, with the entries behind them one tap away.

The points, by hand: 信用卡开卡 2 cards × 2.5 = 5, 手机银行绑卡 3 × 1 = 3; 5 + 3 = 8.00 points of 台账积分.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from kpi.models import Fact, Scorecard, ScorecardLine
from kpi.services.rollup import rollup_day
from ledger.models import EntryStatus, LedgerEntry
from tests.browser.conftest import needs_chromium, shot, sign_in
from tests.ledger.factories import LedgerItemFactory, card_item

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def ledger_items(network, teller, outlet_head):
    cards = card_item()
    binding = LedgerItemFactory(
        code="mobile_binding", name_zh="手机银行绑卡", name_en="Mobile banking card binding", unit_label="户",
        points_per_unit=Decimal(1),
    )  # fmt: skip
    return cards, binding


def _fits(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.django_db
@needs_chromium
def test_a_teller_records_two_items_the_outlet_head_approves_them_and_the_scorecard_shows_the_points(
    page, server, ledger_items, teller, outlet_head
):
    cards, binding = ledger_items
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    page.set_viewport_size(PHONE)

    # 1. The teller records yesterday's two items from her phone.
    sign_in(page, server.url, teller)
    page.goto(f"{server.url}/ledger/")
    assert _fits(page)
    for item, quantity, customer in ((cards, "2", "C0001024"), (binding, "3", "")):
        page.select_option("#id_entry-item", str(item.pk))
        page.select_option("#id_entry-day", yesterday.isoformat())
        page.fill("#id_entry-quantity", quantity)
        page.fill("#id_entry-customer_code", customer)
        page.click('form:has(input[value="entry"]) button.primary')
        page.wait_for_load_state()
    assert page.locator(".ledger-entries .ledger-entry").count() == 2
    assert _fits(page)
    shot(page, "ledger-1-teller-recorded")
    assert set(LedgerEntry.objects.values_list("status", flat=True)) == {EntryStatus.PENDING}

    # 2. The outlet head ticks them all and approves, in one go.
    page.context.clear_cookies()
    sign_in(page, server.url, outlet_head)
    page.goto(f"{server.url}/ledger/approve/")
    assert page.locator(".ledger-decide .ledger-entry").count() == 2
    assert _fits(page)
    shot(page, "ledger-2-approval")
    page.check("[data-select-all-box]")
    assert page.locator('input[name="entry"]:checked').count() == 2
    page.click('button[name="action"][value="approve"]')
    page.wait_for_load_state()
    assert set(LedgerEntry.objects.values_list("status", flat=True)) == {EntryStatus.APPROVED}
    # 2 × 2.5 + 3 × 1 = 8 points: her fact of yesterday.
    assert Fact.objects.get(staff__code="S1001", date=yesterday, metric__code="ledger_points").value == Decimal(8)

    # 3. The rollup (queued by the approval; run here to be sure it is done), then her scorecard.
    rollup_day(day=yesterday)
    # The published run's line, as every reader reads it (the run the approval queued may publish after
    # this one: the superseded run's rows go once that publication has committed).
    line = ScorecardLine.objects.get(
        scorecard__in=Scorecard.objects.published(on=yesterday),
        scorecard__staff__code="S1001",
        scorecard__period="day",
        metric__code="ledger_points",
    )
    assert line.actual == Decimal(8)
    page.context.clear_cookies()
    sign_in(page, server.url, teller)
    page.goto(f"{server.url}/scorecard/?date={yesterday.isoformat()}&period=day")
    card = page.locator(".metric-card", has_text="台账积分")
    assert "8.00" in card.inner_text()
    assert _fits(page)
    shot(page, "ledger-3-scorecard")

    # 4. The line's entries, one tap away: each with its points and who approved it.
    card.locator("a.ledger-detail-link").click()
    page.wait_for_load_state()
    text = page.locator("main").inner_text()
    assert "5.00" in text and "3.00" in text and "林晓燕" in text
    assert _fits(page)
    shot(page, "ledger-4-entries")
