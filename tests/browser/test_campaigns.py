"""A campaign on a phone (issue 20), in real headless Chromium at 390 × 844: 林晓燕 (outlet head of 天河路网点)
opens 广州分行's 他行揽储 leaderboard, then records a gift her teller 黄丽娟 gave, and the gift ledger lists it
with the customer number as she may read it.

The bonus, by hand: 天河路 won 120 万元 from other banks in the campaign (80 + 40), 2 points a 万元 = 240.00;
珠江新城 30 万元 = 60.00. 黄丽娟 (staff fact) 25 万元 = 50.00 on the staff board.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.models import GiftRecord
from campaigns.services import campaign_scores_refresh
from kpi.models import Fact, Metric
from staff.models import StaffMember
from tests.browser.conftest import needs_chromium, shot, sign_in
from tests.campaigns.factories import CampaignFactory, focus

PHONE = {"width": 390, "height": 844}


def _fits(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def campaign(network, teller, outlet_head):
    today = timezone.localdate()
    campaign = CampaignFactory(
        code="gz_deposits",
        name_zh="他行揽储专项活动",
        unit=network["GZ"],
        start=today - datetime.timedelta(days=10),
        end=today + datetime.timedelta(days=20),
        gift_budget=Decimal("5000"),
        gift_limit_per_customer=Decimal("200"),
    )
    focus(campaign, "other_bank_deposits_won", "2")
    campaign.materials.create(title="他行客户开口话术", body="您好，我们网点现在有他行揽储专项活动……")
    won = Metric.objects.get(code="other_bank_deposits_won")
    teller_record = StaffMember.objects.get(code="S1001")
    Fact.objects.bulk_create(
        [
            Fact(date=today - datetime.timedelta(days=5), unit=network["GZ0101"], metric=won, value=Decimal(80)),
            Fact(date=today - datetime.timedelta(days=2), unit=network["GZ0101"], metric=won, value=Decimal(40)),
            Fact(date=today - datetime.timedelta(days=3), unit=network["GZ0102"], metric=won, value=Decimal(30)),
            Fact(
                date=today - datetime.timedelta(days=2),
                unit=network["GZ0101"],
                staff=teller_record,
                metric=won,
                value=Decimal(25),
            ),
        ]
    )
    campaign_scores_refresh(campaign=campaign)
    return campaign


@pytest.mark.django_db
@needs_chromium
def test_an_outlet_head_reads_the_leaderboard_and_records_a_gift_on_a_phone(page, server, campaign, outlet_head):
    page.set_viewport_size(PHONE)
    sign_in(page, server.url, outlet_head)

    # 1. The leaderboard: 天河路 first with 240.00 points, 珠江新城 60.00; 黄丽娟 50.00 on the staff board.
    page.goto(f"{server.url}/campaigns/gz_deposits/")
    assert _fits(page)
    outlets = page.locator("section[aria-labelledby=outlets-title] .campaign-board li")
    assert outlets.nth(0).locator(".campaign-name").inner_text() == "天河路网点"
    assert "240.00" in outlets.nth(0).locator(".campaign-bonus").inner_text()
    assert "60.00" in outlets.nth(1).locator(".campaign-bonus").inner_text()
    staff = page.locator("section[aria-labelledby=staff-title] .campaign-board li")
    assert "50.00" in staff.nth(0).inner_text()
    assert "他行客户开口话术" in page.content()
    shot(page, "campaign-1-leaderboard")

    # 2. The gift ledger: a 食用油礼盒 of 58 yuan her teller gave today.
    page.goto(f"{server.url}/campaigns/gz_deposits/gifts/")
    assert _fits(page)
    page.select_option("#id_staff", "S1001")
    page.fill("#id_customer_code", "C0001024")
    page.fill("#id_customer_name", "张三")
    page.fill("#id_item", "食用油礼盒")
    page.fill("#id_value", "58")
    page.click("form.campaign-form button.primary")
    page.wait_for_load_state()
    gift = GiftRecord.objects.get()
    assert (gift.staff.code, gift.unit.code, gift.value) == ("S1001", "GZ0101", Decimal("58.00"))
    listed = page.locator("section[aria-labelledby=gifts-title] li").first.inner_text()
    assert "食用油礼盒" in listed and "58.00" in listed and "C0001024" in listed
    assert _fits(page)
    shot(page, "campaign-2-gift-recorded")

    # 3. Over the limit per customer (58 + 150 > 200): refused with the figures, nothing written.
    page.select_option("#id_staff", "S1001")
    page.fill("#id_customer_code", "C0001024")
    page.fill("#id_item", "不粘锅")
    page.fill("#id_value", "150")
    page.click("form.campaign-form button.primary")
    page.wait_for_load_state()
    assert GiftRecord.objects.count() == 1
    assert "200.00" in page.content()
    assert _fits(page)
