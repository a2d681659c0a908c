"""The outreach pages: building, a list's page and export, the phone's cards and the contact form, the
photo, and masking."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from outreach.models import Contact, DoNotContact, ListAssignment, OutreachList
from outreach.selectors import card, with_details
from outreach.services.building import ListFilter, list_build
from outreach.tables import assignments_table
from staff.access import Scope, scope_for_user
from tests.factories import AssignmentFactory, StaffMemberFactory, UserFactory
from tests.outreach.conftest import JPEG

pytestmark = pytest.mark.django_db


def rows(outreach_list):
    return {row.customer.code: row for row in ListAssignment.objects.filter(outreach_list=outreach_list)}


def test_an_outlet_head_builds_a_list_from_the_form(client, outlet_head, network, book, customer_manager, today):
    client.force_login(outlet_head)
    form = {
        "name": "降级客户回访",
        "unit": "GZ0101",
        "channel": "call",
        "month": "2026-11",
        "movement": "down",
        "assign_mode": "even",
        "staff": ["S1002"],
        "starts_on": today.isoformat(),
        "due_on": (today + datetime.timedelta(days=7)).isoformat(),
    }
    # In English, as the tests read the pages (the default language is zh-Hans).
    counted = client.post(reverse("outreach:new"), {**form, "action": "count"}, HTTP_ACCEPT_LANGUAGE="en")
    assert counted.status_code == 200
    assert "The filter takes 2 customers." in counted.content.decode()
    assert not OutreachList.objects.exists()
    built = client.post(reverse("outreach:new"), {**form, "action": "build"})
    outreach_list = OutreachList.objects.get()
    assert built.url == reverse("outreach:list", args=[outreach_list.pk])
    assert outreach_list.customers == 2
    page = client.get(built.url).content.decode()
    assert "王强" in page and "降级客户回访" in page


def test_a_staff_member_may_not_open_the_build_page(client, teller):
    client.force_login(teller)
    assert client.get(reverse("outreach:new")).status_code == 404


def test_a_staff_member_works_their_customers_and_goes_on_to_the_next(client, manager_user, moved_down, book):
    client.force_login(manager_user)
    work = client.get(reverse("outreach:work", args=[moved_down.pk])).content.decode()
    assert book["C-DOWN2"].name in work
    first, second = rows(moved_down)["C-DOWN2"], rows(moved_down)["C-DOWN1"]
    response = client.post(
        reverse("outreach:card", args=[first.pk]),
        {"outcome": "interested", "channel": "call", "product": "理财", "next_follow_up": ""},
    )
    assert response.status_code == 302
    assert response.url == reverse("outreach:card", args=[second.pk])
    first.refresh_from_db()
    assert (first.last_outcome, first.product_interest, first.first_contact_on is not None) == (
        "interested",
        "理财",
        True,
    )


def test_the_outcome_do_not_disturb_flags_the_customer_and_a_later_list_leaves_them_out(
    client, manager_user, outlet_head, moved_down, book, network, customer_manager, today
):
    client.force_login(manager_user)
    target = rows(moved_down)["C-DOWN1"]
    client.post(reverse("outreach:card", args=[target.pk]), {"outcome": "dnd", "channel": "call"})
    assert DoNotContact.objects.filter(customer=book["C-DOWN1"], by_outcome=True).exists()
    later = list_build(
        scope=scope_for_user(outlet_head),
        user=outlet_head,
        unit=network["GZ0101"],
        name="沉睡客户唤醒",
        criteria=ListFilter(),
        assign_mode="even",
        staff=[customer_manager],
        starts_on=today,
        due_on=today,
    )
    assert "C-DOWN1" not in rows(later)
    assert later.customers == 5  # the six of GZ0101 but C-DOWN1


def test_the_flag_is_set_and_lifted_by_hand(client, manager_user, moved_down, book):
    client.force_login(manager_user)
    target = rows(moved_down)["C-DOWN2"]
    client.post(reverse("outreach:card", args=[target.pk]), {"action": "flag"})
    assert DoNotContact.objects.filter(customer=book["C-DOWN2"], by_outcome=False).exists()
    client.post(reverse("outreach:card", args=[target.pk]), {"action": "unflag"})
    assert not DoNotContact.objects.exists()


def test_another_staff_members_customer_is_not_found(client, teller, moved_down):
    client.force_login(teller)  # 黄丽娟: none of the list is hers
    target = rows(moved_down)["C-DOWN2"]
    assert client.get(reverse("outreach:card", args=[target.pk])).status_code == 404
    assert client.get(reverse("outreach:list", args=[moved_down.pk])).status_code == 404


def test_another_outlets_head_does_not_see_the_list(client, network, moved_down):
    head = UserFactory(username="sz.head", role="outlet_head", unit=network["SZ0101"])
    client.force_login(head)
    assert client.get(reverse("outreach:list", args=[moved_down.pk])).status_code == 404


def test_a_visit_photo_is_served_only_to_those_who_see_the_customer(
    client, manager_user, outlet_head, network, moved_down
):
    client.force_login(manager_user)
    target = rows(moved_down)["C-DOWN2"]
    photo = SimpleUploadedFile("visit.jpg", JPEG, content_type="image/jpeg")
    response = client.post(
        reverse("outreach:card", args=[target.pk]),
        {"outcome": "connected", "channel": "visit", "photo": photo, "latitude": "23.135821", "longitude": "113.3275"},
    )
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert contact.photo.startswith("outreach/") and str(contact.latitude) == "23.135821"
    url = reverse("outreach:photo", args=[contact.pk])
    assert client.get(url).status_code == 200
    client.force_login(outlet_head)
    assert client.get(url).status_code == 200
    head = UserFactory(username="sz.head", role="outlet_head", unit=network["SZ0101"])
    client.force_login(head)
    assert client.get(url).status_code == 404


def test_a_call_carries_no_photo(client, manager_user, moved_down):
    client.force_login(manager_user)
    target = rows(moved_down)["C-DOWN2"]
    photo = SimpleUploadedFile("call.jpg", JPEG, content_type="image/jpeg")
    response = client.post(
        reverse("outreach:card", args=[target.pk]), {"outcome": "connected", "channel": "call", "photo": photo}
    )
    assert response.status_code == 400
    assert not Contact.objects.exists()


def test_the_export_has_the_names_for_a_reader_with_the_personal_data_right(client, outlet_head, moved_down, book):
    client.force_login(outlet_head)
    response = client.get(reverse("outreach:list", args=[moved_down.pk]), {"export": "csv"})
    text = response.content.decode("utf-8-sig")
    assert book["C-DOWN2"].name in text and "C-DOWN2" in text


def test_lists_cards_and_exports_are_masked_for_a_reader_without_the_personal_data_right(moved_down, book, network):
    masked = Scope(unit_path=network["GZ01"].path, personal_data=False)
    target = with_details(ListAssignment.objects.filter(customer=book["C-DOWN2"])).get()
    shown = card(masked, target)
    assert book["C-DOWN2"].name not in shown.name and "*" in shown.name
    assert shown.code != "C-DOWN2"
    assert shown.staff_name == "王*"
    table = assignments_table(scope=masked)
    (file_row,) = table.file_rows([target])
    assert book["C-DOWN2"].name not in file_row and "王强" not in file_row
    assert not masked.may_export_customers


def test_the_lists_page_shows_my_lists_to_a_staff_member(client, manager_user, moved_down):
    client.force_login(manager_user)
    page = client.get(reverse("outreach:lists")).content.decode()
    assert "降级客户回访" in page and reverse("outreach:work", args=[moved_down.pk]) in page


def test_an_outlet_head_assigns_the_unassigned_by_hand(client, outlet_head, network, book, customer_manager, today):
    built = list_build(
        scope=scope_for_user(outlet_head),
        user=outlet_head,
        unit=network["GZ0101"],
        name="代发工资客户走访",
        criteria=ListFilter(),
        assign_mode="hand",
        starts_on=today,
        due_on=today,
    )
    client.force_login(outlet_head)
    response = client.post(reverse("outreach:list", args=[built.pk]), {"staff": "S1002", "count": "4"})
    assert response.status_code == 302
    assert ListAssignment.objects.filter(outreach_list=built, staff=customer_manager).count() == 4


def test_a_staff_member_of_another_outlet_is_not_offered(client, outlet_head, network, book, today):
    stranger = StaffMemberFactory(code="S9001", name="孙悟")
    AssignmentFactory(staff=stranger, post="teller", unit=network["SZ0101"], start=datetime.date(2026, 1, 1))
    client.force_login(outlet_head)
    page = client.get(reverse("outreach:new")).content.decode()
    assert "S9001" not in page
