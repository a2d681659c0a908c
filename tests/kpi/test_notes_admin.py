"""Notes (标注) in the admin (kpi/admin_notes.py): the same checks and the same rule of who may write as the
notes page and the API. The notes are those of tests/kpi/notes_data.py."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from kpi.models import Annotation
from tests.factories import UserFactory
from tests.kpi import notes_data
from tests.kpi.notes_data import D

pytestmark = pytest.mark.django_db

notes = notes_data.notes  # the fixture

URL = "/admin/kpi/annotation/"


@pytest.fixture
def hq_in_admin(client, db):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(UserFactory(username="zhang.guodong", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def manager_in_admin(client, unit_manager):
    """The Tianhe sub-branch's manager, given the admin's note permissions."""
    unit_manager.is_staff = True
    unit_manager.save()
    codenames = ["view_annotation", "add_annotation", "change_annotation", "delete_annotation"]
    unit_manager.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(unit_manager)
    return client


def _form(**changes) -> dict:
    return {
        "unit": "",
        "kind": "holiday",
        "start": "2027-02-16",
        "end": "2027-02-22",
        "metric": "",
        "text": "春节",
        **changes,
    }


def test_hq_adds_a_holiday_for_the_whole_network(hq_in_admin, network):
    response = hq_in_admin.post(f"{URL}add/", _form(unit=network["HQ"].pk))

    assert response.status_code == 302, response.content.decode()[:2000]
    written = Annotation.objects.get(text="春节")
    assert (written.unit.code, written.start, written.end, written.created_by.username) == (
        "HQ",
        D(2027, 2, 16),
        D(2027, 2, 22),
        "zhang.guodong",
    )


def test_the_admin_refuses_a_note_that_ends_before_it_starts(hq_in_admin, network):
    response = hq_in_admin.post(f"{URL}add/", _form(unit=network["HQ"].pk, end="2027-02-15"))

    assert response.status_code == 200
    assert "The note ends before it starts." in response.content.decode()
    assert not Annotation.objects.exists()


def test_a_manager_in_the_admin_lists_the_notes_she_reads_and_writes_only_in_her_subtree(
    manager_in_admin, network, notes
):
    listed = manager_in_admin.get(URL).content.decode()
    refused = manager_in_admin.post(f"{URL}add/", _form(unit=network["HQ"].pk))

    assert "国庆节" in listed and "核心系统升级" in listed and "华强北停电" not in listed
    assert "You may not write notes on this unit." in refused.content.decode()
    assert manager_in_admin.post(f"{URL}{notes['holiday'].pk}/delete/", {"post": "yes"}).status_code == 403
    assert manager_in_admin.post(f"{URL}{notes['maturity'].pk}/delete/", {"post": "yes"}).status_code == 302
    assert Annotation.objects.count() == 4
