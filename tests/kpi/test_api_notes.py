"""/api/v1/annotations/ (kpi/api/notes.py): notes read in scope (the units seen and those above them),
written and deleted by whoever may annotate the unit, refused in the error format otherwise. The notes
are those of tests/kpi/notes_data.py."""

from __future__ import annotations

import pytest

from kpi.models import Annotation
from tests.kpi import notes_data

pytestmark = pytest.mark.django_db

notes = notes_data.notes  # the fixture

URL = "/api/v1/annotations/"
MATURITY = {
    "unit": "GZ0101",
    "metric": "deposit_balance",
    "kind": "large_maturity",
    "start": "2026-11-25",
    "text": "某企业 3,000 万元定期存款到期转出",
}


def _texts(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["text"] for row in response.json()["results"]]


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    [error] = response.json()["errors"]
    return error


# -- reading -------------------------------------------------------------------------------------------


def test_a_sub_branch_token_reads_the_notes_of_its_subtree_and_of_the_units_above(token_client, network, notes):
    client = token_client(network["GZ01"])

    assert _texts(client.get(URL)) == ["国庆节", "核心系统升级", "3,000 万元定期到期", "网点装修"]
    assert client.get(f"{URL}{notes['holiday'].pk}/").json() == {
        "id": notes["holiday"].pk,
        "unit": "HQ",
        "metric": None,
        "kind": "holiday",
        "start": "2026-10-01",
        "end": "2026-10-07",
        "text": "国庆节",
        "created_at": notes["holiday"].created_at.astimezone().isoformat(),
    }


def test_filters_by_the_charts_of_a_unit_metric_kind_and_days(token_client, network, notes):
    client = token_client(network["HQ"])

    assert _texts(client.get(URL, {"shown_on": "GZ0101"})) == ["国庆节", "核心系统升级", "3,000 万元定期到期"]
    assert _texts(client.get(URL, {"shown_on": "GZ0101", "metric": "customers_served"})) == ["国庆节", "核心系统升级"]
    assert _texts(client.get(URL, {"on": "2026-11-20", "under": "GZ"})) == ["核心系统升级", "3,000 万元定期到期"]
    assert _texts(client.get(URL, {"kind": "holiday"})) == ["国庆节"]
    assert _texts(client.get(URL, {"since": "2026-11-21"})) == ["网点装修"]
    assert _texts(client.get(URL, {"until": "2026-10-31", "unit": "HQ"})) == ["国庆节"]


def test_a_note_or_a_unit_out_of_scope_is_404_in_the_error_format(token_client, network, notes):
    client = token_client(network["GZ01"])

    assert _error(client.get(f"{URL}{notes['shenzhen'].pk}/"), 404)["field"] == ""
    assert client.get(URL, {"shown_on": "SZ0101"}).status_code == 404
    assert client.get(URL, {"kind": "typhoon"}).status_code == 400
    assert _error(client.get(URL, {"on": "2026-02-30"}), 400)["field"] == "on"


# -- writing -------------------------------------------------------------------------------------------


def test_an_admin_token_writes_a_note_in_its_subtree(token_client, network, notes):
    response = token_client(network["GZ01"], "read,admin").post(URL, MATURITY, content_type="application/json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["unit"], body["metric"], body["kind"], body["start"], body["end"]) == (
        "GZ0101",
        "deposit_balance",
        "large_maturity",
        "2026-11-25",
        "2026-11-25",
    )
    assert Annotation.objects.get(pk=body["id"]).created_by is None


def test_the_outlet_head_signed_in_writes_on_her_outlet_but_not_on_the_sub_branch(client, outlet_head, notes):
    client.force_login(outlet_head)

    assert client.post(URL, MATURITY, content_type="application/json").status_code == 201
    # She reads the sub-branch's notes, but the sub-branch is not hers: as an unknown unit.
    refused = client.post(URL, {**MATURITY, "unit": "GZ01"}, content_type="application/json")
    assert _error(refused, 400) == {"field": "unit", "message": "unit 'GZ01' is not known", "row": None}


def test_the_auditor_signed_in_sees_every_unit_and_writes_on_none(client, auditor, notes):
    client.force_login(auditor)

    refused = client.post(URL, MATURITY, content_type="application/json")

    assert _error(refused, 403)["message"] == "You may not write notes on this unit."


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"unit": "GZ9999"}, "unit"),
        ({"unit": "SZ0101"}, "unit"),  # out of the token's subtree: as unknown
        ({"metric": "no_such_metric"}, "metric"),
        ({"kind": "typhoon"}, "kind"),
        ({"start": "2026-02-30"}, "start"),
        ({"start": "2026-11-5"}, "start"),
        ({"start": "0001-01-01"}, "start"),
        ({"end": "2026-11-24"}, "end"),  # before the start
        ({"end": "2027-03-01"}, "end"),  # 97 days
        ({"text": ""}, "text"),
        ({"text": "字" * 201}, "text"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_note_is_a_400_naming_the_field(changes, field, token_client, network):
    client = token_client(network["GZ01"], "read,admin")

    response = client.post(URL, {**MATURITY, **changes}, content_type="application/json")

    assert _error(response, 400)["field"] == field
    assert not Annotation.objects.exists()


def test_a_read_token_writes_nothing(token_client, network):
    response = token_client(network["GZ01"], "read").post(URL, MATURITY, content_type="application/json")

    _error(response, 403)
    assert not Annotation.objects.exists()


# -- deleting ------------------------------------------------------------------------------------------


def test_an_admin_token_deletes_a_note_of_its_subtree(token_client, network, notes):
    client = token_client(network["GZ01"], "read,admin")

    assert client.delete(f"{URL}{notes['upgrade'].pk}/").status_code == 204
    assert client.delete(f"{URL}{notes['shenzhen'].pk}/").status_code == 404
    assert client.delete(f"{URL}{notes['holiday'].pk}/").status_code == 403  # HQ's: read, not deleted
    assert sorted(Annotation.objects.values_list("unit__code", flat=True)) == ["GZ0101", "GZ0102", "HQ", "SZ0101"]


def test_the_auditor_deletes_nothing(client, auditor, notes):
    client.force_login(auditor)

    _error(client.delete(f"{URL}{notes['maturity'].pk}/"), 403)
    assert Annotation.objects.count() == 5
