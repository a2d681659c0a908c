"""The ledger's pages (ledger/views.py): recording from a phone, the outlet head's batch approval with the
suspected duplicates, the entries behind a scorecard line, and a photo served only inside scope."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kpi.models import Fact, MonthClose
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


# -- withdrawing one's own entry (撤回) ------------------------------------------------------------------


def _withdraw_url(entry: LedgerEntry) -> str:
    return f"/ledger/entries/{entry.pk}/withdraw/"


def test_the_teller_withdraws_a_mistyped_entry_from_the_ledger_page_and_records_the_right_one_from_the_form_filled_in(
    client, english, teller, outlet_head, ledger_metric, today
):
    item = card_item()
    mistyped = _record(teller, item, today, 4, customer_code="C0001024", note="柜面推荐")
    counted = _record(teller, leaflet_item(), today, 10, photo=SimpleUploadedFile("a.png", PNG))
    client.force_login(teller)

    page = client.get("/ledger/").content.decode()
    # The button on the entry that waits, none on the one counted at once.
    assert f'action="{_withdraw_url(mistyped)}"' in page
    assert f'action="{_withdraw_url(counted)}"' not in page

    response = client.post(_withdraw_url(mistyped))

    assert response.status_code == 302
    assert response["Location"] == f"/ledger/?again={mistyped.pk}"
    page = client.get(response["Location"]).content.decode()
    assert f"Withdrawn: Credit card opened × 4 of {today}; it counts nothing. Record the right entry again." in page
    assert "Withdrawn</span>" in page  # kept in her list, as withdrawn
    # The form as the entry was: the item, the day, 4, the customer number and the note; she changes 4 to 1.
    assert f'<option value="{item.pk}" selected>' in page
    assert f'<option value="{today.isoformat()}" selected>' in page
    assert 'name="entry-quantity" value="4"' in page
    assert 'name="entry-customer_code" value="C0001024"' in page
    assert 'name="entry-note" value="柜面推荐"' in page
    posted = client.post(
        "/ledger/",
        {
            "action": "entry",
            "entry-item": item.pk,
            "entry-day": today.isoformat(),
            "entry-quantity": "1",
            "entry-customer_code": "C0001024",
        },
    )
    assert posted.status_code == 302
    client.force_login(outlet_head)
    waiting = client.get("/ledger/approve/").content.decode().split('id="approved-title"')[0]
    # One entry waits, 1 × 2.5 = 2.50 points, not flagged as a duplicate of the withdrawn one.
    assert waiting.count('name="entry" value=') == 1 and "2.50 pts" in waiting
    assert "ledger-entry-duplicate" not in waiting


def test_the_withdraw_button_on_the_list_of_entries_comes_back_to_the_list(
    client, english, teller, ledger_metric, today
):
    entry = _record(teller, card_item(), today, 1, customer_code="C1")
    client.force_login(teller)
    page = client.get("/ledger/entries/", {"status": "pending"}).content.decode()
    assert f'action="{_withdraw_url(entry)}"' in page
    assert '<input type="hidden" name="next" value="/ledger/entries/?status=pending">' in page

    response = client.post(_withdraw_url(entry), {"next": "/ledger/entries/?status=pending"})

    assert response["Location"] == "/ledger/entries/?status=pending"
    entry.refresh_from_db()
    assert entry.status == EntryStatus.WITHDRAWN
    # Somewhere else than this site is not followed: back to the ledger.
    other = _record(teller, card_item(), today, 1, customer_code="C2")
    away = client.post(_withdraw_url(other), {"next": "https://example.com/ledger/"})
    assert away["Location"] == f"/ledger/?again={other.pk}"


def test_a_second_click_on_withdraw_changes_nothing_and_says_the_entry_was_already_withdrawn(
    client, english, teller, ledger_metric, today
):
    entry = _record(teller, card_item(), today, 2, customer_code="C1")
    client.force_login(teller)
    client.post(_withdraw_url(entry))

    response = client.post(_withdraw_url(entry), follow=True)

    assert response.status_code == 200
    assert f"Credit card opened × 2 of {today} was already withdrawn." in response.content.decode()
    assert entry.changes.count() == 2  # recorded, withdrawn once


def test_an_entry_approved_meanwhile_is_not_withdrawn_and_the_page_says_why(
    client, english, teller, outlet_head, ledger_metric, today
):
    entry = _record(teller, card_item(), today, 1, customer_code="C1")
    client.force_login(teller)
    assert f'action="{_withdraw_url(entry)}"' in client.get("/ledger/").content.decode()
    entries_decide(scope=scope_of(outlet_head), user=outlet_head, entry_ids=[entry.pk], action=Action.APPROVE)

    response = client.post(_withdraw_url(entry), {"next": "/ledger/"}, follow=True)

    page = response.content.decode()
    assert (
        f"Credit card opened of {today} is Approved: only an entry waiting for approval may be withdrawn; "
        "ask your outlet head to correct it."
    ) in page
    assert f'action="{_withdraw_url(entry)}"' not in page
    entry.refresh_from_db()
    assert entry.status == EntryStatus.APPROVED


def test_someone_elses_entry_is_a_403_one_out_of_sight_a_404_and_nothing_changes(
    client, teller, outlet_head, teller_staff, neighbour, ledger_metric, today
):
    neighbour.user = UserFactory(username="liu.yang", role="staff")
    neighbour.save()
    theirs = _record(neighbour.user, card_item(), today, 1, customer_code="C9")
    mine = _record(teller, card_item(), today, 1, customer_code="C1")
    pending = discipline_item()
    pending.requires_approval = True
    pending.save()
    against_her = _record(outlet_head, pending, today, 1, staff=teller_staff, note="迟到")

    client.force_login(teller)
    assert client.post(_withdraw_url(theirs)).status_code == 404  # another outlet's: not found
    assert client.post(_withdraw_url(against_her)).status_code == 403  # she sees it, it is not hers
    assert client.post("/ledger/entries/99999999999999999999/withdraw/").status_code == 404
    assert client.get(_withdraw_url(mine)).status_code == 405
    client.force_login(outlet_head)
    assert client.post(_withdraw_url(mine)).status_code == 403  # the head rejects it, she does not withdraw it
    client.logout()
    assert client.post(_withdraw_url(mine)).status_code == 302  # to the sign-in
    assert set(LedgerEntry.objects.values_list("status", flat=True)) == {EntryStatus.PENDING}


def test_the_withdraw_button_needs_the_pages_csrf_token(teller, ledger_metric, today):
    entry = _record(teller, card_item(), today, 1, customer_code="C1")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(teller)

    assert browser.post(_withdraw_url(entry)).status_code == 403
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PENDING
    page = browser.get("/ledger/").content.decode()
    form = f'action="{_withdraw_url(entry)}" class="ledger-withdraw">'
    assert f'{form}<input type="hidden" name="csrfmiddlewaretoken"' in page


def test_no_withdraw_button_on_the_approval_page_or_on_a_deduction_against_the_teller(
    client, teller, outlet_head, teller_staff, ledger_metric, today
):
    _record(teller, card_item(), today, 1, customer_code="C1")
    pending = discipline_item()
    pending.requires_approval = True
    pending.save()
    _record(outlet_head, pending, today, 1, staff=teller_staff, note="迟到")

    client.force_login(outlet_head)
    assert "ledger-withdraw" not in client.get("/ledger/approve/").content.decode()
    client.force_login(teller)
    page = client.get("/ledger/").content.decode()
    assert page.count('class="ledger-withdraw"') == 1  # her card, not the deduction


# -- problems said at their field -----------------------------------------------------------------------


def _card_form(item, day, **fields) -> dict:
    return {"action": "entry", "entry-item": item.pk, "entry-day": day.isoformat(), **fields}


def test_a_missing_customer_number_is_said_at_that_field_marked_invalid_and_what_was_typed_stays(
    client, english, teller, ledger_metric, today
):
    item = card_item()
    client.force_login(teller)

    response = client.post("/ledger/", _card_form(item, today, **{"entry-quantity": "3", "entry-note": "柜面推荐"}))

    assert response.status_code == 400
    page = response.content.decode()
    assert (
        '<input type="text" name="entry-customer_code" maxlength="32" aria-invalid="true" '
        'aria-describedby="id_entry-customer_code_helptext id_entry-customer_code_error" '
        'id="id_entry-customer_code">'
    ) in page
    said = "Credit card opened needs the customer number."
    assert f'<p class="error" id="id_entry-customer_code_error">{said}</p>' in page
    assert page.count("needs the customer number") == 1  # at the field, not at the top of the page too
    # Nothing else is marked; what was typed stays.
    assert page.count('aria-invalid="true"') == 1
    assert 'name="entry-quantity" value="3"' in page
    assert 'name="entry-note" value="柜面推荐"' in page
    assert f'<option value="{item.pk}" selected>' in page
    assert not LedgerEntry.objects.exists()


def test_the_daily_cap_is_said_at_the_quantity_and_a_closed_month_at_the_day(
    client, english, teller, ledger_metric, yesterday
):
    item = card_item()
    _record(teller, item, yesterday, 4, customer_code="C1")
    client.force_login(teller)

    # 4 + 2 = 6 cards, over the cap of 5.
    capped = client.post(
        "/ledger/", _card_form(item, yesterday, **{"entry-quantity": "2", "entry-customer_code": "C2"})
    ).content.decode()
    assert (
        '<p class="error" id="id_entry-quantity_error">Credit card opened counts at most 5 a day a person; 4 already '
        f"recorded on {yesterday}.</p>"
    ) in capped
    assert (
        '<input type="number" name="entry-quantity" value="2" inputmode="numeric" min="1" max="1000" required '
        'aria-invalid="true" aria-describedby="id_entry-quantity_error" id="id_entry-quantity">'
    ) in capped

    MonthClose.objects.create(month=yesterday.replace(day=1))
    closed = client.post(
        "/ledger/", _card_form(item, yesterday, **{"entry-quantity": "1", "entry-customer_code": "C2"})
    ).content.decode()
    assert '<select name="entry-day" aria-invalid="true" aria-describedby="id_entry-day_error"' in closed
    assert f"{yesterday:%Y-%m} is closed (月结)" in closed.split('id="id_entry-day_error">')[1].split("</p>")[0]


def test_a_problem_about_no_field_of_the_form_is_said_at_the_top_of_the_form(
    client, english, teller, teller_staff, ledger_metric, today, yesterday
):
    # Her assignment ended yesterday: today she works at no outlet, which no field of the form is about.
    teller_staff.assignments.update(end=yesterday)
    item = card_item()
    client.force_login(teller)

    response = client.post("/ledger/", _card_form(item, today, **{"entry-quantity": "1", "entry-customer_code": "C1"}))

    assert response.status_code == 400
    page = response.content.decode()
    assert (
        f'<div class="error ledger-form-errors" role="alert"><p>黄丽娟 works at no outlet on {today}.</p></div>'
    ) in page
    assert 'aria-invalid="true"' not in page
    assert 'name="entry-customer_code" value="C1"' in page
