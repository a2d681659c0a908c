"""The lobby patrol on a phone (issue 19), in real headless Chromium at 390 × 844: 何静, the lobby manager
(大堂经理) of 天河路网点, opens her outlet's patrols, ticks the round item by item (the queue machine is down:
not in order, with a note), and her outlet head 林晓燕 sees the failed item the same day, in her header's
badge and on the patrol page, and marks it looked at.

By hand: five items, four in order: 4 / 5 = 80.0 %.
"""

from __future__ import annotations

import pytest

from checklists.models import ChecklistItem, Frequency, PatrolSheet
from tests.browser.conftest import needs_chromium, shot, sign_in
from tests.checklists.factories import lobby_patrol
from tests.factories import AssignmentFactory, StaffMemberFactory, UserFactory

PHONE = {"width": 390, "height": 844}


def _fits(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def daily_patrol(network):
    """The lobby patrol walked once a day, so its round is open whenever the test runs."""
    patrol = lobby_patrol()
    patrol.frequency, patrol.times = Frequency.DAILY, []
    patrol.save()
    return patrol


@pytest.fixture
def lobby_manager(network):
    import datetime

    user = UserFactory(username="he.jing", first_name="何静", role="staff")
    member = StaffMemberFactory(code="S1003", name="何静", user=user)
    AssignmentFactory(staff=member, post="lobby_manager", unit=network["GZ0101"], start=datetime.date(2026, 1, 1))
    return user


@pytest.mark.django_db
@needs_chromium
def test_a_lobby_manager_ticks_the_patrol_on_her_phone_and_the_outlet_head_sees_the_failed_item(
    page, server, daily_patrol, lobby_manager, outlet_head
):
    page.set_viewport_size(PHONE)
    sign_in(page, server.url, lobby_manager)

    # 1. Her one outlet's patrols open at once; the day's round is open.
    page.goto(f"{server.url}/checklists/")
    assert page.url.endswith("/checklists/outlets/GZ0101/patrols/")
    assert _fits(page)
    page.click(".patrol-round a.button")
    page.wait_for_load_state()
    assert _fits(page)

    # 2. Every item in order but the queue machine, with a note of what is wrong.
    machine = ChecklistItem.objects.get(section__template=daily_patrol, text="叫号机、自助设备运行正常")
    page.check(f'input[name="item_{machine.pk}"][value="0"]')
    page.locator(f"#item-{machine.pk} ~ details summary").click()
    page.fill(f'input[name="note_{machine.pk}"]', "叫号机故障，已报修")
    shot(page, "checklists-1-lobby-manager-ticks")
    page.click(".patrol-form button.primary")
    page.wait_for_load_state()
    assert page.url.endswith("/checklists/outlets/GZ0101/patrols/")
    assert _fits(page)
    shot(page, "checklists-2-round-recorded")
    sheet = PatrolSheet.objects.get()
    # 4 of 5 items in order.
    assert (sheet.items_checked, sheet.items_passed, sheet.filled_by_id) == (5, 4, lobby_manager.pk)

    # 3. The outlet head sees it the same day: a badge in the header, the failed item and its note.
    page.context.clear_cookies()
    sign_in(page, server.url, outlet_head)
    page.goto(f"{server.url}/checklists/outlets/GZ0101/patrols/")
    assert page.locator(".topnav .badge").first.inner_text().strip() == "1"
    assert "叫号机故障，已报修" in page.locator(".failed-items").inner_text()
    assert "80.0%" in page.locator(".checklist-figures").inner_text()
    assert _fits(page)
    page.check('input[name="sheet"]')
    page.click("form button.primary")
    page.wait_for_load_state()
    sheet.refresh_from_db()
    assert sheet.seen_by_id == outlet_head.pk
    assert page.locator(".topnav .badge").count() == 0
    shot(page, "checklists-3-outlet-head-looked")
