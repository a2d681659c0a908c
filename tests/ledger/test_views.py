"""The ledger's pages (ledger/views.py): recording from a phone, the outlet head's batch approval with the
suspected duplicates, the entries behind a scorecard line, and a photo served only inside scope."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kpi.models import Fact
from ledger.models import EntryStatus, LedgerEntry
from ledger.services import Action, entries_decide, entry_create
from tests.factories import UserFactory
from tests.ledger.conftest import JPEG, PNG, scope_of
from tests.ledger.factories import card_item, discipline_item, leaflet_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client, settings):
    """Pages in English, so what the tests read does not depend on the zh-Hans catalog."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _record(user, item, day, quantity, **kwargs) -> LedgerEntry:
    return entry_create(scope=scope_of(user), user=user, item=item, day=day, quantity=quantity, **kwargs)


def test_a_teller_records_two_cards_from_the_ledger_page_and_sees_them_waiting(
    client, english, teller, ledger_metric, today
):
    item = card_item()
    client.force_login(teller)
    assert client.get("/ledger/").status_code == 200

    response = client.post(
        "/ledger/",
        {
            "action": "entry",
            "entry-item": item.pk,
            "entry-day": today.isoformat(),
            "entry-quantity": "2",
            "entry-customer_code": "C0001024",
            "entry-note": "柜面推荐",
        },
        follow=True,
    )

    # 2 cards × 2.5 = 5 points, waiting: the page says so, today's approved points stay 0.00.
    page = response.content.decode()
    assert response.status_code == 200
    assert "Recorded: 5.00 points, waiting for approval." in page
    entry = LedgerEntry.objects.get()
    assert (entry.quantity, entry.points, entry.status) == (2, Decimal(5), EntryStatus.PENDING)


def test_a_refused_entry_shows_the_form_again_with_why_and_writes_nothing(
    client, english, teller, ledger_metric, today
):
    item = card_item()
    client.force_login(teller)
    response = client.post(
        "/ledger/",
        {"action": "entry", "entry-item": item.pk, "entry-day": today.isoformat(), "entry-quantity": "1"},
    )
    assert response.status_code == 400
    assert "needs the customer number" in response.content.decode()
    assert not LedgerEntry.objects.exists()


def test_a_photo_is_uploaded_with_the_entry(client, teller, ledger_metric, today):
    item = leaflet_item()
    client.force_login(teller)
    client.post(
        "/ledger/",
        {
            "action": "entry",
            "entry-item": item.pk,
            "entry-day": today.isoformat(),
            "entry-quantity": "30",
            "entry-photo": SimpleUploadedFile("a.png", PNG, content_type="image/png"),
        },
    )
    entry = LedgerEntry.objects.get()
    # 30 × 0.1 = 3 points, counted at once (no approval needed).
    assert (entry.points, entry.status, entry.photo_type) == (Decimal(3), EntryStatus.APPROVED, "image/png")


def test_the_outlet_head_enters_a_deduction_for_the_teller_with_its_reason(
    client, outlet_head, teller_staff, ledger_metric, yesterday
):
    item = discipline_item()
    client.force_login(outlet_head)
    response = client.post(
        "/ledger/",
        {
            "action": "deduction",
            "deduction-staff": teller_staff.pk,
            "deduction-item": item.pk,
            "deduction-day": yesterday.isoformat(),
            "deduction-quantity": "1",
            "deduction-note": "早会迟到",
        },
    )
    assert response.status_code == 302
    assert Fact.objects.get(staff=teller_staff, date=yesterday, metric=ledger_metric).value == Decimal(-5)


def test_a_login_without_a_staff_record_or_outlet_has_no_ledger(client, auditor, outsider):
    for user in (auditor, outsider):
        client.force_login(user)
        assert client.get("/ledger/").status_code == 404


def test_the_outlet_head_approves_the_ticked_entries_and_sees_a_suspected_duplicate(
    client, english, teller, outlet_head, wealth_manager, teller_staff, ledger_metric, yesterday
):
    item = card_item()
    mine = _record(teller, item, yesterday, 1, customer_code="C0001024")
    # 王强 claims the same customer's card the same day: both are flagged.
    wealth_user = UserFactory(username="wang.qiang", role="staff")
    wealth_manager.user = wealth_user
    wealth_manager.save()
    theirs = _record(wealth_user, item, yesterday, 1, customer_code="C0001024")
    other = _record(teller, item, yesterday, 1, customer_code="C0002048")

    client.force_login(outlet_head)
    page = client.get("/ledger/approve/").content.decode()
    assert page.count("ledger-entry-duplicate") == 2
    assert "2 entries name a customer, item and day that another entry names too" in page

    response = client.post("/ledger/approve/?unit=GZ0101", {"entry": [mine.pk, other.pk], "action": Action.APPROVE})
    assert response.status_code == 302
    # (1 + 1) × 2.5 = 5 points for 黄丽娟; 王强's claim still waits.
    assert Fact.objects.get(staff=teller_staff, date=yesterday, metric=ledger_metric).value == Decimal(5)
    theirs.refresh_from_db()
    assert theirs.status == EntryStatus.PENDING


def test_an_entry_number_beyond_any_id_is_a_400_not_a_500(client, teller, outlet_head, ledger_metric, yesterday):
    entry = _record(teller, card_item(), yesterday, 1, customer_code="C1")
    client.force_login(outlet_head)

    for wrong in ("99999999999999999999", "0", "1.5"):
        response = client.post("/ledger/approve/", {"entry": [entry.pk, wrong], "action": Action.APPROVE})
        assert response.status_code == 400, wrong
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PENDING


def test_a_rejection_without_a_reason_is_a_400_and_changes_nothing(
    client, teller, outlet_head, ledger_metric, yesterday
):
    entry = _record(teller, card_item(), yesterday, 1, customer_code="C1")
    client.force_login(outlet_head)
    response = client.post("/ledger/approve/", {"entry": [entry.pk], "action": Action.REJECT, "reason": ""})
    assert response.status_code == 400
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PENDING


def test_a_refused_rejection_keeps_the_ticked_entries_and_the_page_says_why_at_the_reason_field(
    client, english, teller, outlet_head, ledger_metric, yesterday
):
    first, second, third = (_record(teller, card_item(), yesterday, 1, customer_code=f"C{n}") for n in (1, 2, 3))
    client.force_login(outlet_head)

    response = client.post(
        "/ledger/approve/?unit=GZ0101", {"entry": [first.pk, third.pk], "action": Action.REJECT, "reason": " "}
    )

    assert response.status_code == 400
    page = response.content.decode()
    # The two ticked stay ticked, the third is not; "select all" is not ticked for two of three.
    assert f'name="entry" value="{first.pk}" checked' in page
    assert f'name="entry" value="{third.pk}" checked' in page
    assert f'name="entry" value="{second.pk}">' in page
    assert "data-select-all-box>" in page
    # Why, at the reason field, and tied to it.
    assert 'aria-invalid="true" aria-describedby="reject-reason-error"' in page
    assert (
        '<p class="error" id="reject-reason-error" role="alert">'
        "Say why the entries are rejected; the staff member reads it.</p>"
    ) in page
    assert set(LedgerEntry.objects.values_list("status", flat=True)) == {EntryStatus.PENDING}


def test_a_refused_approval_keeps_the_ticks_and_the_reason_typed_and_says_which_entry_is_wrong(
    client, english, teller, outlet_head, ledger_metric, yesterday
):
    kept, gone = (_record(teller, card_item(), yesterday, 1, customer_code=f"C{n}") for n in (1, 2))
    client.force_login(outlet_head)
    # Another approver rejects the second entry while this page is open.
    entries_decide(
        scope=scope_of(outlet_head), user=outlet_head, entry_ids=[gone.pk], action=Action.REJECT, reason="重复"
    )

    response = client.post(
        "/ledger/approve/?unit=GZ0101", {"entry": [kept.pk, gone.pk], "action": Action.APPROVE, "reason": "客户号待核"}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert f'name="entry" value="{kept.pk}" checked' in page
    assert "data-select-all-box checked" in page  # the one entry still waiting is ticked
    assert 'name="reason" maxlength="200" value="客户号待核">' in page
    assert f'<p class="error" role="alert">#{gone.pk} {yesterday} 黄丽娟' in page
    assert "is Rejected, not Waiting for approval.</p>" in page
    kept.refresh_from_db()
    assert kept.status == EntryStatus.PENDING


def test_staff_and_auditors_have_no_approval_page(client, teller, auditor):
    for user in (teller, auditor):
        client.force_login(user)
        assert client.get("/ledger/approve/").status_code == 404


def test_a_unit_manager_chooses_the_outlet_and_may_not_open_one_outside_the_sub_branch(
    client, teller, unit_manager, ledger_metric, yesterday
):
    _record(teller, card_item(), yesterday, 1, customer_code="C1")
    client.force_login(unit_manager)
    page = client.get("/ledger/approve/").content.decode()
    assert "GZ0102" in page and "C1" in page  # the switch, and 天河路网点's entry waiting first
    assert client.get("/ledger/approve/?unit=SZ0101").status_code == 404
    assert client.get("/ledger/approve/?unit=GZ01").status_code == 404  # approved per outlet


def test_the_entries_behind_a_line_list_each_entry_with_its_points_and_approver(
    client, teller, outlet_head, teller_staff, ledger_metric, yesterday
):
    cards = _record(teller, card_item(), yesterday, 3, customer_code="C1")
    entries_decide(scope=scope_of(outlet_head), user=outlet_head, entry_ids=[cards.pk], action=Action.APPROVE)
    _record(outlet_head, discipline_item(), yesterday, 1, staff=teller_staff, note="迟到")

    client.force_login(outlet_head)
    response = client.get(
        "/ledger/entries/", {"staff": "S1001", "metric": "ledger_points", "date": yesterday.isoformat()}
    )
    page = response.content.decode()
    # 3 × 2.5 − 5 = 2.50 approved; 7.50 and -5.00 on their lines; the approver named.
    assert response.status_code == 200
    assert "2.50" in page and "7.50" in page and "-5.00" in page
    assert "林晓燕" in page


def test_the_entries_behind_a_days_line_stop_at_that_day_as_its_figure_does(client, teller, outlet_head, ledger_metric):
    # The month-to-date line of 19 November counts 3 cards (7.50); the card of the 20th is not in it.
    nineteenth, twentieth = datetime.date(2026, 11, 19), datetime.date(2026, 11, 20)
    cards = _record(teller, card_item(), nineteenth, 3, customer_code="C1", today=nineteenth)
    later = _record(teller, card_item(), twentieth, 1, customer_code="C2", today=twentieth)
    entries_decide(scope=scope_of(outlet_head), user=outlet_head, entry_ids=[cards.pk, later.pk], action=Action.APPROVE)

    client.force_login(outlet_head)
    page = client.get(
        "/ledger/entries/", {"staff": "S1001", "metric": "ledger_points", "date": "2026-11-19", "period": "month"}
    )

    assert page.context["approved_total"] == Decimal("7.50")
    assert [row.entry.pk for row in page.context["rows"]] == [cards.pk]


def test_the_entries_of_someone_outside_scope_are_a_404(client, teller, network, neighbour, ledger_metric):
    client.force_login(teller)
    assert client.get("/ledger/entries/", {"staff": "S2001"}).status_code == 404
    assert client.get("/ledger/entries/", {"unit": "GZ0101"}).status_code == 404
    assert client.get("/ledger/entries/", {"metric": "customers_served"}).status_code == 404
    assert client.get("/ledger/entries/").status_code == 200  # her own


def test_a_photo_is_served_to_who_may_see_the_entry_and_to_nobody_else(
    client, teller, outlet_head, unit_manager, network, ledger_metric, today
):
    entry = _record(
        teller, leaflet_item(), today, 10, photo=SimpleUploadedFile("a.jpg", JPEG, content_type="image/jpeg")
    )
    url = f"/ledger/entries/{entry.pk}/photo/"
    for user in (teller, outlet_head, unit_manager):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, user
        assert b"".join(response.streaming_content) == JPEG
        assert response["Content-Type"] == "image/jpeg"
        assert "private" in response["Cache-Control"]
    other_head = UserFactory(username="he.jun", role="outlet_head", unit=network["GZ0102"])
    client.force_login(other_head)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the sign-in


def test_the_scorecard_line_of_a_points_metric_links_to_its_entries(
    client, teller, outlet_head, teller_staff, ledger_metric, yesterday
):
    from kpi.services.rollup import rollup_day

    cards = _record(teller, card_item(), yesterday, 2, customer_code="C1")
    entries_decide(scope=scope_of(outlet_head), user=outlet_head, entry_ids=[cards.pk], action=Action.APPROVE)
    rollup_day(day=yesterday)

    client.force_login(teller)
    page = client.get("/scorecard/", {"date": yesterday.isoformat(), "period": "day"}).content.decode()
    assert "/ledger/entries/?staff=S1001&amp;metric=ledger_points" in page
    assert page.count("ledger-detail-link") == 2  # the table's row and the phone's card


def test_the_menu_offers_the_ledger_to_staff_outlet_heads_and_unit_managers(
    client, teller, outlet_head, unit_manager, hq_admin, auditor
):
    for user, shown in ((teller, True), (outlet_head, True), (unit_manager, True), (hq_admin, False), (auditor, False)):
        client.force_login(user)
        page = client.get("/scorecard/").content.decode()
        assert ('href="/ledger/"' in page) is shown, user
