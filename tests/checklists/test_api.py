"""The checklists over the API: templates read-only, a round ticked by the lobby manager (never a token),
an inspection recorded by an auditor with its finding's alert, findings in scope with names masked for a
token without the personal scope, and 404s outside scope."""

from __future__ import annotations

import pytest
from django.utils import timezone

from checklists.models import ChecklistItem, Finding, Frequency, PatrolSheet
from checklists.services import FindingIn, inspection_record
from staff.access import scope_for_user
from tests.checklists.factories import control_checklist, lobby_patrol

pytestmark = pytest.mark.django_db


@pytest.fixture
def daily_patrol():
    patrol = lobby_patrol()
    patrol.frequency, patrol.times = Frequency.DAILY, []
    patrol.save()
    return patrol


def _answers(patrol):
    return [{"item": item.pk, "passed": True} for item in ChecklistItem.objects.filter(section__template=patrol)]


def test_the_templates_are_listed_with_their_sections_and_items(client, network, outlet_head, daily_patrol):
    client.force_login(outlet_head)
    body = client.get("/api/v1/checklist-templates/").json()
    [template] = body["results"]
    assert (template["code"], template["frequency"], template["post"]) == ("lobby_patrol", "daily", "lobby_manager")
    assert [section["name"] for section in template["sections"]] == ["环境", "着装", "设备", "物料"]
    assert client.post("/api/v1/checklist-templates/", {}, content_type="application/json").status_code == 405


def test_the_lobby_manager_ticks_a_round_over_the_api_and_a_token_may_not(
    client, token_client, network, lobby_user, daily_patrol
):
    client.force_login(lobby_user)
    body = {"template": daily_patrol.pk, "unit": "GZ0101", "answers": _answers(daily_patrol)}
    response = client.post("/api/v1/patrol-sheets/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert (response.json()["items_checked"], response.json()["items_passed"]) == (5, 5)
    again = client.post("/api/v1/patrol-sheets/", body, content_type="application/json")
    assert again.status_code == 400 and PatrolSheet.objects.count() == 1

    client.logout()
    api = token_client(network["GZ01"], "read,ingest,admin")
    assert api.post("/api/v1/patrol-sheets/", body, content_type="application/json").status_code == 403


def test_an_auditor_records_an_inspection_over_the_api(client, network, auditor, lobby_staff):
    control_checklist()
    client.force_login(auditor)
    today = timezone.localdate().isoformat()
    body = {
        "unit": "GZ0101",
        "day": today,
        "title": "内控检查",
        "findings": [{"text": "尾箱未双人核对", "severity": "major", "deadline": today, "staff": "S1003"}],
    }
    response = client.post("/api/v1/inspections/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    [finding] = response.json()["findings"]
    assert (finding["staff"], finding["staff_name"], finding["alert_status"]) == ("S1003", "何静", "open")
    # A veto on a finding that is not severe is refused, nothing written.
    body["findings"][0]["vetoes"] = True
    assert client.post("/api/v1/inspections/", body, content_type="application/json").status_code == 400
    assert Finding.objects.count() == 1


def test_an_inspection_with_no_finding_needs_a_summary_saying_so_over_the_api(client, network, auditor):
    client.force_login(auditor)
    body = {"unit": "GZ0101", "day": timezone.localdate().isoformat(), "title": "内控检查", "findings": []}

    refused = client.post("/api/v1/inspections/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    recorded = client.post(
        "/api/v1/inspections/", {**body, "summary": "检查未发现问题"}, content_type="application/json"
    )

    assert refused.status_code == 400
    assert [error["field"] for error in refused.json()["errors"]] == ["summary"]
    assert recorded.status_code == 201, recorded.content
    assert (recorded.json()["summary"], recorded.json()["findings"]) == ("检查未发现问题", [])


def test_findings_are_masked_for_a_token_without_the_personal_scope_and_out_of_scope_is_404(
    token_client, network, auditor, lobby_staff
):
    today = timezone.localdate()
    inspection_record(
        scope=scope_for_user(auditor), user=auditor, unit=network["GZ0101"], day=today, title="稽核检查",
        findings=[FindingIn(text="工号牌未佩戴", severity="minor", deadline=today, staff=lobby_staff)],
    )  # fmt: skip
    api = token_client(network["GZ01"], "read")
    [finding] = api.get("/api/v1/inspection-findings/").json()["results"]
    assert finding["staff_name"] == "何*"
    assert api.get("/api/v1/inspection-findings/?open=true").json()["results"] != []
    assert api.get("/api/v1/inspection-findings/?unit=SZ0101").status_code == 404
    other = token_client(network["SZ01"], "read")
    assert other.get("/api/v1/inspections/").json()["results"] == []
