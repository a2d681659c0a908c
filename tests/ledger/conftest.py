from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation

from staff.access import scope_for_user
from staff.models import StaffMember
from tests.factories import AssignmentFactory, StaffMemberFactory
from tests.ledger.factories import points_metric

# Image headers: what the evidence check reads (a file's first bytes), padded to a plausible size.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 2000
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 2000


@pytest.fixture(autouse=True)
def _messages_in_english():
    """The services' messages in English (their msgids), so what the tests read does not depend on the
    zh-Hans catalog; pages follow the request's language (tests/ledger/test_views.py `english`)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _evidence_in_a_temporary_folder(settings, tmp_path):
    """Photos go to a folder of the test, never the project's private/ folder."""
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
def yesterday(today) -> datetime.date:
    return today - datetime.timedelta(days=1)


@pytest.fixture
def ledger_metric(db):
    return points_metric()


@pytest.fixture
def teller_staff(teller) -> StaffMember:
    """黄丽娟 S1001, teller at 天河路网点 GZ0101 (tests/conftest.py)."""
    return StaffMember.objects.get(user=teller)


@pytest.fixture
def wealth_manager(network) -> StaffMember:
    """王强 S1002, wealth manager at 天河路网点 GZ0101 since 2026-01-01."""
    member = StaffMemberFactory(code="S1002", name="王强")
    AssignmentFactory(staff=member, post="wealth_manager", unit=network["GZ0101"], start=datetime.date(2026, 1, 1))
    return member


@pytest.fixture
def neighbour(network) -> StaffMember:
    """刘洋 S2001, teller at 珠江新城网点 GZ0102 (the same sub-branch, another outlet)."""
    member = StaffMemberFactory(code="S2001", name="刘洋")
    AssignmentFactory(staff=member, post="teller", unit=network["GZ0102"], start=datetime.date(2026, 1, 1))
    return member


def scope_of(user):
    return scope_for_user(user)
