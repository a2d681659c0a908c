"""The 晨会 on a phone (issue 17), in real headless Chromium at 390 × 844: the outlet head opens today's sheet
from the menu, sets two people's goals for the day, marks attendance and saves; the page fits the
screen, and what she saved is what the database holds.

The data: tests/browser/conftest.py's morning (天河路网点 rolled up through 24 November 2026) with two
people who have November targets of mobile banking sign-ups: the teller 黄丽娟 (S1001, 40) and the lobby
manager 张伟 (S1002, 60), each with sign-ups of their own through the 24th.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from kpi.models import Fact, Metric, Target
from meetings.models import Attendance, Goal, GoalChange
from staff.models import StaffMember
from tests.browser.conftest import ARTIFACTS, NOVEMBER, needs_chromium, reading_the_shared_morning, shot, sign_in
from tests.factories import AssignmentFactory, StaffMemberFactory

pytestmark = [needs_chromium, pytest.mark.django_db]

network, outlet_head, teller, unit_manager, morning = reading_the_shared_morning()  # made once for the module
PHONE = {"width": 390, "height": 844}


def before_the_rollup(network, people) -> None:
    """Before the morning's rollup (tests/browser/conftest.py's shared_morning): 张伟 joins 黄丽娟 at 天河路网点,
    and both have sign-ups and targets."""
    outlet = network["GZ0101"]
    zhang = StaffMemberFactory(code="S1002", name="张伟")
    AssignmentFactory(staff=zhang, post="lobby_manager", unit=outlet, start=datetime.date(2026, 1, 1))
    signups = Metric.objects.get(code="mobile_banking_signups")
    huang = StaffMember.objects.get(code="S1001")
    facts = []
    for day in range(1, 25):
        date = datetime.date(2026, 11, day)
        facts.append(Fact(date=date, unit=outlet, staff=huang, metric=signups, value=Decimal(1)))
        facts.append(Fact(date=date, unit=outlet, staff=zhang, metric=signups, value=Decimal(2)))
    Fact.objects.bulk_create(facts)
    for person, value in ((huang, "40"), (zhang, "60")):
        Target.objects.create(
            staff=person,
            metric=signups,
            period_kind=NOVEMBER.kind,
            period=NOVEMBER.code,
            period_start=NOVEMBER.start,
            period_end=NOVEMBER.end,
            value=Decimal(value),
        )


def test_the_outlet_head_sets_two_goals_and_marks_attendance_on_her_phone(page, server, morning):
    base = server.url
    page.set_viewport_size(PHONE)
    sign_in(page, base, morning)

    # The menu's 会议 opens today's sheet of her outlet (on a phone the menu opens from its button first).
    page.locator("label.menu-button").click()
    with page.expect_navigation():
        page.locator("nav.topnav a[href='/meetings/']").click()
    assert page.url.startswith(f"{base}/meetings/GZ0101/morning/")
    assert "天河路网点" in page.locator("h1").inner_text()
    cards = page.locator("li.person-card")
    assert cards.count() == 2
    # Nothing sticks out sideways at 390 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "20-morning-sheet-phone")

    page.fill("input[name='goal-S1001-mobile_banking_signups']", "3")
    page.fill("input[name='goal-S1002-mobile_banking_signups']", "2")
    page.select_option("select[name='attendance-S1001']", "present")
    page.select_option("select[name='attendance-S1002']", "late")
    with page.expect_navigation():
        page.locator("form.sheet-form button[type=submit]").click()

    assert page.locator("ul.messages li.success").count() == 1
    assert page.locator("input[name='goal-S1001-mobile_banking_signups']").input_value() == "3"
    assert page.locator("select[name='attendance-S1002']").input_value() == "late"
    shot(page, "21-morning-sheet-saved-phone")
    assert sorted(Goal.objects.values_list("staff__code", "value")) == [("S1001", Decimal(3)), ("S1002", Decimal(2))]
    assert dict(Attendance.objects.values_list("staff__code", "status")) == {"S1001": "present", "S1002": "late"}
    assert GoalChange.objects.filter(changed_by=morning).count() == 2

    # Printed, the sheet is the 《晨会记录表》 on A4: one table, a row per person and metric, no forms.
    page.emulate_media(media="print")
    assert page.locator("table.print-table").is_visible()
    assert not page.locator("form.sheet-form").is_visible()
    assert not page.locator("header.topbar").is_visible()
    rows = page.locator("table.print-table tbody tr")
    assert rows.count() == 2
    assert "3" in rows.filter(has_text="黄丽娟").inner_text()
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    shot(page, "23-morning-sheet-print")
    page.pdf(path=str(ARTIFACTS / "23-morning-sheet-a4.pdf"), format="A4")
    page.emulate_media(media="screen")


def test_a_goal_that_is_no_number_is_marked_beside_its_field_and_nothing_is_saved(page, server, morning):
    base = server.url
    page.set_viewport_size(PHONE)
    sign_in(page, base, morning)
    page.goto(f"{base}/meetings/GZ0101/morning/")

    page.fill("input[name='goal-S1001-mobile_banking_signups']", "3")
    page.fill("input[name='goal-S1002-mobile_banking_signups']", "两个")
    with page.expect_navigation():
        page.locator("form.sheet-form button[type=submit]").click()

    field = page.locator("input[name='goal-S1002-mobile_banking_signups']")
    assert field.get_attribute("aria-invalid") == "true"
    assert field.input_value() == "两个"
    assert page.locator("li.person-card p.error").count() == 1
    assert not Goal.objects.exists()
    shot(page, "22-morning-sheet-refused-phone")
