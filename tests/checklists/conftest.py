from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation

from staff.models import Role, StaffMember
from tests.factories import AssignmentFactory, StaffMemberFactory, UserFactory

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 2000


@pytest.fixture(autouse=True)
def _messages_in_english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _evidence_in_a_temporary_folder(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "ledger_evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "evidence"), "base_url": None},
        },
    }


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def lobby_user(network):
    """何静 S1003, lobby manager (大堂经理) at 天河路网点 GZ0101 since 2026-01-01, with a login."""
    user = UserFactory(username="he.jing", first_name="何静", role=Role.STAFF)
    member = StaffMemberFactory(code="S1003", name="何静", user=user)
    AssignmentFactory(staff=member, post="lobby_manager", unit=network["GZ0101"], start=datetime.date(2026, 1, 1))
    return user


@pytest.fixture
def lobby_staff(lobby_user) -> StaffMember:
    return StaffMember.objects.get(user=lobby_user)
