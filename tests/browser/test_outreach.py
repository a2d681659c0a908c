"""A call list worked on a phone (issue 18), in real headless Chromium at 390 × 844: 王强 (customer manager,
S1002, 天河路网点) opens his list 降级客户回访 of three customers who moved down, and works them one after the
other from their cards: the first is reached (接通), the second is interested in 理财 with a follow-up in
three days, the third asks not to be called again (勿扰). The list's page then shows 3 of 3 contacted, and
the third customer is flagged so that no later list takes them.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from customers.models import CustomerMonth
from outreach.models import Contact, DoNotContact, ListAssignment
from outreach.services.building import ListFilter, list_build
from staff.access import scope_for_user
from staff.models import Role
from tests.browser.conftest import needs_chromium, shot, sign_in
from tests.customers.factories import CustomerFactory
from tests.factories import AssignmentFactory, StaffMemberFactory, UserFactory

PHONE = {"width": 390, "height": 844}
NARROWEST = {"width": 360, "height": 844}
NOVEMBER, OCTOBER = datetime.date(2026, 11, 1), datetime.date(2026, 10, 1)


@pytest.fixture
def worked_list(network, outlet_head):
    user = UserFactory(username="wang.qiang", first_name="王强", role=Role.STAFF)
    manager = StaffMemberFactory(code="S1002", name="王强", user=user)
    AssignmentFactory(staff=manager, post="customer_manager", unit=network["GZ0101"], start=datetime.date(2026, 1, 1))
    for code, name, before, now in (
        ("C0101", "张伟", ("star4", 4, "300000"), ("star3", 3, "150000")),
        ("C0102", "李秀英", ("star4", 4, "250000"), ("star3", 3, "90000")),
        ("C0103", "欧阳建国", ("star3", 3, "80000"), ("star2", 2, "40000")),
    ):
        customer = CustomerFactory(code=code, name=name, home_outlet=network["GZ0101"], relationship_manager=manager)
        for month, (tier, rank, aum) in ((OCTOBER, before), (NOVEMBER, now)):
            CustomerMonth.objects.create(
                customer=customer, month=month, outlet=customer.home_outlet, relationship_manager=manager,
                tier_code=tier, tier_rank=rank, aum_avg_daily=Decimal(aum),
            )  # fmt: skip
    today = timezone.localdate()
    built = list_build(
        scope=scope_for_user(outlet_head), user=outlet_head, unit=network["GZ0101"], name="降级客户回访",
        criteria=ListFilter(month=NOVEMBER, movement="down"), assign_mode="manager",
        starts_on=today, due_on=today + datetime.timedelta(days=7),
    )  # fmt: skip
    return user, built


def _fits(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.django_db
@needs_chromium
def test_a_customer_manager_works_three_customers_of_his_list_from_a_phone(page, server, worked_list):
    user, built = worked_list
    follow_up = timezone.localdate() + datetime.timedelta(days=3)
    page.set_viewport_size(PHONE)
    sign_in(page, server.url, user)

    page.goto(f"{server.url}/customers/lists/")
    assert _fits(page)
    page.click("#mine-title + ul a")
    page.wait_for_load_state()
    assert page.locator(".outreach-card").count() == 3
    assert _fits(page)
    # The phone allows its location (天河路, Guangzhou): asked once the form is being filled, not on opening.
    page.context.grant_permissions(["geolocation"], origin=server.url)
    page.context.set_geolocation({"latitude": 23.1291, "longitude": 113.2644})
    page.click(".outreach-card a >> nth=0")  # the biggest AUM first: 张伟
    page.wait_for_load_state()
    page.wait_for_timeout(300)
    assert page.input_value("form[data-outreach-contact] input[name=latitude]") == ""

    # The facts are written by a task after each save; the page is what is tested here.
    with mock.patch("outreach.services.contacts._queue_facts"):
        for outcome, product, next_day in (
            ("connected", "", None),
            ("interested", "理财", follow_up),
            ("dnd", "", None),
        ):
            assert _fits(page)
            page.check(f"input[name=outcome][value={outcome}]")
            page.wait_for_function(
                "() => document.querySelector('form[data-outreach-contact] input[name=latitude]').value !== ''"
            )
            if product:
                page.fill("input[name=product]", product)
            if next_day:
                page.fill("input[name=next_follow_up]", next_day.isoformat())
            page.click("form[data-outreach-contact] button.primary")
            page.wait_for_load_state()
    shot(page, "outreach-work-phone")

    # Back on his list: all three contacted, the third flagged 勿扰.
    assert page.url.endswith(f"/customers/lists/{built.pk}/work/")
    assert page.locator(".outreach-waiting").count() == 0
    assert page.locator(".outreach-dnd").count() == 1
    assert _fits(page)
    outcomes = dict(ListAssignment.objects.filter(outreach_list=built).values_list("customer__code", "last_outcome"))
    assert outcomes == {"C0101": "connected", "C0102": "interested", "C0103": "dnd"}
    interested = ListAssignment.objects.get(outreach_list=built, customer__code="C0102")
    assert (interested.product_interest, interested.next_follow_up) == ("理财", follow_up)
    assert Contact.objects.count() == 3
    first = Contact.objects.get(assignment__customer__code="C0101")
    assert (first.latitude, first.longitude) == (Decimal("23.129100"), Decimal("113.264400"))
    assert list(DoNotContact.objects.values_list("customer__code", flat=True)) == ["C0103"]

    # The list's progress on the narrowest phone: each name keeps its shape (a column of 7.5em, 120 px,
    # not one character a line) and the table scrolls in its own box, never the page.
    page.set_viewport_size(NARROWEST)
    page.goto(f"{server.url}/customers/lists/{built.pk}/")
    assert _fits(page)
    names = page.locator(".outreach-progress-table tbody th[scope=row]")
    assert names.count() >= 1
    assert min(names.nth(index).bounding_box()["width"] for index in range(names.count())) >= 120
