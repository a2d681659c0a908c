"""The explained score on a phone, in real headless Chromium (tests/kpi/explanation_data.py's figures):
the folded "得分说明" of each card opens to its arithmetic, the staff ranking and the day view fit 390 and
360 px without sideways scrolling, and the desktop table has its score column."""

from __future__ import annotations

import pytest

from tests.browser.conftest import needs_chromium, shot, sign_in
from tests.browser.test_phone import DESKTOP, NARROWEST, PHONE, _overflow
from tests.kpi import explanation_data

explained = explanation_data.explained  # the fixture

MONTH = "/scorecard/?date=2026-11-15&period=month"
DAY_VIEW = "/scorecard/?date=2026-11-15&period=day"


@pytest.mark.django_db
@needs_chromium
def test_the_explained_scorecard_fits_a_phone_and_opens_each_lines_arithmetic(page, server, explained, outlet_head):
    sign_in(page, server.url, outlet_head)
    page.set_viewport_size(PHONE)
    page.goto(server.url + MONTH)

    card = page.locator(".metric-card", has_text="到店客户数")
    details = card.locator("details.line-score-details")
    assert not details.locator(".line-score-sum").is_visible()  # folded
    details.locator("summary").click()
    assert "20 × 120.0% = 24.00" in details.inner_text()
    assert page.locator(".summary-score").inner_text().startswith("得分\n67.00")
    assert page.locator(".staff-scores").is_visible()
    for viewport in (PHONE, NARROWEST):
        assert _overflow(page, viewport) is None
    shot(page, "20-explained-scorecard-phone-zh")

    page.goto(server.url + DAY_VIEW)
    assert page.locator(".score-note").is_visible()
    assert page.locator(".summary-score").count() == 0
    for viewport in (PHONE, NARROWEST):
        assert _overflow(page, viewport) is None

    page.set_viewport_size(DESKTOP)
    page.goto(server.url + MONTH)
    cell = page.locator("table.scorecard tr", has_text="到店客户数").locator("td.line-score")
    assert cell.is_visible()
    assert cell.inner_text().startswith("24.00")
    shot(page, "21-explained-scorecard-desktop-zh")
