"""The checklist pages: the lobby manager ticks a round on the patrol page, the outlet head sees what
failed and marks it looked at, an auditor records an inspection whose finding the alert links back to;
everything outside one's scope is a 404."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from alerts.models import Alert
from checklists.models import ChecklistItem, Finding, Frequency, Inspection, PatrolSheet, SheetStatus
from checklists.services import FindingIn, inspection_record
from staff.access import scope_for_user
from tests.checklists.factories import control_checklist, lobby_patrol

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def daily_patrol():
    """The lobby patrol walked once a day, so a round is open whenever the test runs."""
    patrol = lobby_patrol()
    patrol.frequency, patrol.times = Frequency.DAILY, []
    patrol.save()
    return patrol


def _tick_data(patrol, failed=()):
    data = {"note": ""}
    for item in ChecklistItem.objects.filter(section__template=patrol):
        data[f"item_{item.pk}"] = "0" if item.text in failed else "1"
        data[f"note_{item.pk}"] = "叫号机故障，已报修" if item.text in failed else ""
    return data


def test_the_lobby_manager_ticks_the_round_and_the_outlet_head_sees_the_failed_item(
    client, english, network, lobby_user, outlet_head, daily_patrol
):
    client.force_login(lobby_user)
    # Her one outlet opens at once.
    assert client.get("/checklists/").url == "/checklists/outlets/GZ0101/patrols/"
    page = client.get("/checklists/outlets/GZ0101/patrols/").content.decode()
    tick_url = f"/checklists/outlets/GZ0101/patrols/{daily_patrol.pk}/day/"
    assert tick_url in page
    response = client.post(tick_url, _tick_data(daily_patrol, failed=("叫号机、自助设备运行正常",)), follow=True)
    assert "Round recorded: 4 of 5 items in order." in response.content.decode()
    sheet = PatrolSheet.objects.get()
    assert (sheet.status, sheet.items_checked, sheet.items_passed) == (SheetStatus.DONE, 5, 4)

    client.force_login(outlet_head)
    page = client.get("/checklists/outlets/GZ0101/patrols/").content.decode()
    assert "叫号机故障，已报修" in page and "1 item not in order" in page
    refused = client.post("/checklists/outlets/GZ0101/patrols/", {"sheet": [sheet.pk, "99999999999999999999"]})
    assert refused.status_code in (302, 400)  # said on the page, never a 500
    sheet.refresh_from_db()
    assert sheet.seen_by is None
    client.post("/checklists/outlets/GZ0101/patrols/", {"sheet": [sheet.pk]})
    sheet.refresh_from_db()
    assert sheet.seen_by == outlet_head


def test_an_unanswered_item_shows_the_form_again_and_writes_nothing(client, english, network, lobby_user, daily_patrol):
    client.force_login(lobby_user)
    data = _tick_data(daily_patrol)
    data.pop(next(key for key in data if key.startswith("item_")))
    response = client.post(f"/checklists/outlets/GZ0101/patrols/{daily_patrol.pk}/day/", data)
    assert response.status_code == 400
    assert not PatrolSheet.objects.exists()


def test_another_outlets_patrol_is_not_found(client, network, lobby_user, outlet_head, daily_patrol):
    client.force_login(lobby_user)
    assert client.get("/checklists/outlets/GZ0102/patrols/").status_code == 404
    client.force_login(outlet_head)
    assert client.get("/checklists/outlets/SZ0101/patrols/").status_code == 404


def test_an_auditor_records_an_inspection_and_the_alert_links_back_to_the_finding(
    client, english, network, auditor, unit_manager, outlet_head, lobby_staff
):
    control_checklist()
    client.force_login(auditor)
    today = timezone.localdate()
    response = client.post(
        "/checklists/inspections/new/",
        {
            "unit": "GZ0101",
            "day": today.isoformat(),
            "title": "内控检查",
            "f1_text": "尾箱未双人核对",
            "f1_severity": "major",
            "f1_staff": "S1003",
            "f1_deadline": (today + datetime.timedelta(days=7)).isoformat(),
            "f2_severity": "minor",
            "f3_severity": "minor",
        },
    )
    finding = Finding.objects.get()
    assert response.status_code == 302 and response.url == f"/checklists/inspections/{finding.inspection_id}/"
    detail = client.get(response.url).content.decode()
    assert "尾箱未双人核对" in detail and "何静" in detail

    # The outlet head reads the alert and, from it, the finding it was raised for.
    client.force_login(outlet_head)
    alert_page = client.get(f"/alerts/{finding.alert_id}/").content.decode()
    assert f"/checklists/inspections/{finding.inspection_id}/#finding-{finding.pk}" in alert_page
    # An outlet head does not inspect.
    assert client.get("/checklists/inspections/new/").status_code == 403


def test_an_inspection_that_found_nothing_is_recorded_with_its_summary_and_opens_no_alert(
    client, english, network, auditor
):
    client.force_login(auditor)
    today = timezone.localdate()
    empty_rows = {"f1_severity": "minor", "f2_severity": "minor", "f3_severity": "minor"}
    form = {"unit": "GZ0101", "day": today.isoformat(), "title": "内控检查", **empty_rows}

    # Neither a finding nor a summary: refused, said at the summary, and what was typed is kept.
    refused = client.post("/checklists/inspections/new/", form)
    page = refused.content.decode()
    assert refused.status_code == 400
    summary_field = page.split('for="id_summary"', 1)[1].split('<div class="field">', 1)[0]
    assert "say in the summary that the inspection found nothing" in summary_field
    assert 'value="内控检查"' in page

    recorded = client.post("/checklists/inspections/new/", {**form, "summary": "检查未发现问题，尾箱、印章管理规范。"})

    inspection = Inspection.objects.get()
    assert recorded.status_code == 302 and recorded.url == f"/checklists/inspections/{inspection.pk}/"
    assert (inspection.summary, inspection.findings.count(), Alert.objects.count()) == (
        "检查未发现问题，尾箱、印章管理规范。",
        0,
        0,
    )
    detail = client.get(recorded.url).content.decode()
    assert "No finding to show." in detail and "The inspection is recorded, with nothing found." in detail


def test_a_staff_member_sees_the_findings_naming_her_and_no_other_inspection(
    client, english, network, auditor, lobby_user, lobby_staff, teller
):
    today = timezone.localdate()
    inspection = inspection_record(
        scope=scope_for_user(auditor), user=auditor, unit=network["GZ0101"], day=today, title="稽核检查",
        findings=[FindingIn(text="工号牌未佩戴", severity="minor", deadline=today, staff=lobby_staff)],
    )  # fmt: skip
    client.force_login(lobby_user)
    assert client.get(f"/checklists/inspections/{inspection.pk}/").status_code == 200
    client.force_login(teller)
    assert client.get(f"/checklists/inspections/{inspection.pk}/").status_code == 404
    assert Alert.objects.count() == 1


def test_the_outlets_page_shows_each_outlets_pass_rate_to_the_unit_manager(
    client, english, network, unit_manager, lobby_user, daily_patrol
):
    client.force_login(lobby_user)
    client.post(f"/checklists/outlets/GZ0101/patrols/{daily_patrol.pk}/day/", _tick_data(daily_patrol))
    client.force_login(unit_manager)
    page = client.get("/checklists/").content.decode()
    # GZ0101: 5 of 5 today = 100.0 %; GZ0102 has no round recorded yet.
    assert "100.0%" in page and "GZ0102" in page and "SZ0101" not in page
