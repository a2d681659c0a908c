"""The complaints register's pages: the list in scope (a staff member's own), recording, reply and review,
bad input answered with 400 and nothing written."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from complaints.models import Complaint, Validity

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _complaint(unit, **extra):
    today = timezone.localdate()
    return Complaint.objects.create(
        unit=unit, channel="book", category="waiting", received_on=today - datetime.timedelta(days=5),
        reply_due=today - datetime.timedelta(days=2), summary="排队四十分钟", complainant_name="陈美玲",
        complainant_phone="13812345678", **extra,
    )  # fmt: skip


def test_the_outlet_head_records_a_complaint_from_the_page(english, network, outlet_head):
    english.force_login(outlet_head)
    today = timezone.localdate()

    answer = english.post(
        "/complaints/new/",
        {"unit": "GZ0101", "channel": "hotline", "category": "attitude", "received_on": today.isoformat(),
         "summary": "柜员态度生硬", "complainant_name": "王丽", "complainant_phone": "13700001111"},
    )  # fmt: skip

    complaint = Complaint.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/complaints/{complaint.pk}/"
    assert complaint.reply_due == today + datetime.timedelta(days=2)


def test_a_bad_complaint_is_a_400_and_writes_nothing(english, network, outlet_head):
    english.force_login(outlet_head)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    answer = english.post(
        "/complaints/new/",
        {"unit": "GZ0101", "channel": "hotline", "category": "attitude", "received_on": tomorrow.isoformat(),
         "summary": "x", "complainant_phone": "call me"},
    )  # fmt: skip

    assert answer.status_code == 400
    assert not Complaint.objects.exists()


def test_the_list_marks_an_overdue_reply_and_masks_nothing_for_the_outlet_head(english, network, outlet_head):
    _complaint(network["GZ0101"])
    _complaint(network["SZ0101"])
    english.force_login(outlet_head)

    page = english.get("/complaints/").content.decode()

    assert page.count('class="card complaint"') == 1
    assert "Reply overdue" in page


def test_a_teller_reads_only_the_complaints_naming_them_with_the_complainant_masked(english, network, teller):
    from staff.models import StaffMember

    own = _complaint(network["GZ0101"], staff=StaffMember.objects.get(code="S1001"))
    other = _complaint(network["GZ0101"])
    english.force_login(teller)

    assert english.get(f"/complaints/{other.pk}/").status_code == 404
    page = english.get(f"/complaints/{own.pk}/").content.decode()
    # A staff member reads their own records unmasked, not the customer who complained about them.
    assert "陈*玲" in page and "138****5678" in page
    assert "陈美玲" not in page and "13812345678" not in page


def test_the_unit_manager_reviews_on_the_page_and_the_outlet_head_may_not(english, network, outlet_head, unit_manager):
    complaint = _complaint(network["GZ0101"])
    english.force_login(outlet_head)
    assert "Save the review" not in english.get(f"/complaints/{complaint.pk}/").content.decode()

    english.force_login(unit_manager)
    answer = english.post(f"/complaints/{complaint.pk}/", {"action": "review", "review-validity": "valid"})

    assert answer.status_code == 302
    complaint.refresh_from_db()
    assert complaint.validity == Validity.VALID
