from __future__ import annotations

import datetime

import pytest
from django.utils import translation

from staff.models import StaffMember
from tests.factories import AssignmentFactory, StaffMemberFactory

# The day the tests stand on: the campaign of tests.campaigns.factories (2026-11-20 – 2026-12-10) has
# counted 14 days (20 November to 3 December).
TODAY = datetime.date(2026, 12, 3)


@pytest.fixture(autouse=True)
def _messages_in_english():
    """The services' messages in English (their msgids); pages follow the request's language."""
    with translation.override("en"):
        yield


@pytest.fixture
def teller_staff(teller) -> StaffMember:
    """黄丽娟 S1001, teller at 天河路网点 GZ0101 (tests/conftest.py)."""
    return StaffMember.objects.get(user=teller)


@pytest.fixture
def mover(network) -> StaffMember:
    """李明 S3001, customer manager at 天河路网点 GZ0101 until 30 November, at 珠江新城网点 GZ0102 from
    1 December: mid-campaign."""
    member = StaffMemberFactory(code="S3001", name="李明")
    AssignmentFactory(
        staff=member,
        post="customer_manager",
        unit=network["GZ0101"],
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 11, 30),
    )
    AssignmentFactory(staff=member, post="customer_manager", unit=network["GZ0102"], start=datetime.date(2026, 12, 1))
    return member
