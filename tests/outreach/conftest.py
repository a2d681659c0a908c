from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from customers.models import CustomerMonth, Group, TieringRun
from staff.models import Role, StaffMember
from tests.customers.factories import CustomerFactory
from tests.factories import AssignmentFactory, StaffMemberFactory, UserFactory

OCTOBER = datetime.date(2026, 10, 1)
NOVEMBER = datetime.date(2026, 11, 1)
# Image headers: what the evidence check reads (a file's first bytes), padded to a plausible size.
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
def teller_staff(teller) -> StaffMember:
    """黄丽娟 S1001, teller at 天河路网点 GZ0101 (tests/conftest.py), with a login of the staff role."""
    return StaffMember.objects.get(user=teller)


@pytest.fixture
def manager_user(network):
    """王强 S1002, customer manager at 天河路网点 GZ0101, signs in with the staff role."""
    user = UserFactory(username="wang.qiang", first_name="王强", role=Role.STAFF)
    member = StaffMemberFactory(code="S1002", name="王强", user=user)
    AssignmentFactory(staff=member, post="customer_manager", unit=network["GZ0101"], start=datetime.date(2026, 1, 1))
    return user


@pytest.fixture
def customer_manager(manager_user) -> StaffMember:
    return StaffMember.objects.get(user=manager_user)


def tiered(customer, month, tier_code: str, rank: int, aum: str):
    """The customer's CustomerMonth row, as the monthly tiering writes it."""
    return CustomerMonth.objects.create(
        customer=customer,
        month=month,
        outlet=customer.home_outlet,
        relationship_manager=customer.relationship_manager,
        tier_code=tier_code,
        tier_rank=rank,
        aum_avg_daily=Decimal(aum),
    )


@pytest.fixture
def book(network, customer_manager, teller_staff):
    """Six customers of 天河路网点 GZ0101 tiered in October and November 2026:

    code      Oct → Nov             Nov AUM   manager  groups
    C-DOWN1   star4 → star3 (down)   80,000   S1002    silver
    C-DOWN2   star5 → star3 (down)  150,000   S1002
    C-SAME    star3 → star3         120,000   S1001    merchant
    C-UP      star2 → star3 (up)     60,000   S1001
    C-NEW     —     → star2 (new)    20,000   —
    C-LOST    star2 → —   (lost)     (Oct 30,000)
    and C-SZ of 华强北网点 SZ0101, moved down too (outside GZ01).
    """
    outlet = network["GZ0101"]
    made = {}
    for code, manager, groups in (
        ("C-DOWN1", customer_manager, Group.SILVER),
        ("C-DOWN2", customer_manager, 0),
        ("C-SAME", teller_staff, Group.MERCHANT),
        ("C-UP", teller_staff, 0),
        ("C-NEW", None, 0),
        ("C-LOST", None, 0),
    ):
        made[code] = CustomerFactory(code=code, home_outlet=outlet, relationship_manager=manager, groups=int(groups))
    made["C-SZ"] = CustomerFactory(code="C-SZ", home_outlet=network["SZ0101"])
    for code, before, now in (
        ("C-DOWN1", ("star4", 4, "250000"), ("star3", 3, "80000")),
        ("C-DOWN2", ("star5", 5, "1500000"), ("star3", 3, "150000")),
        ("C-SAME", ("star3", 3, "110000"), ("star3", 3, "120000")),
        ("C-UP", ("star2", 2, "40000"), ("star3", 3, "60000")),
        ("C-NEW", None, ("star2", 2, "20000")),
        ("C-LOST", ("star2", 2, "30000"), None),
        ("C-SZ", ("star4", 4, "300000"), ("star2", 2, "20000")),
    ):
        if before:
            tiered(made[code], OCTOBER, *before)
        if now:
            tiered(made[code], NOVEMBER, *now)
    TieringRun.objects.create(month=OCTOBER, status=TieringRun.Status.DONE, progress=100)
    TieringRun.objects.create(month=NOVEMBER, status=TieringRun.Status.DONE, progress=100)
    return made


@pytest.fixture
def moved_down(outlet_head, network, book, customer_manager, today):
    """降级客户回访 of GZ0101: C-DOWN2 and C-DOWN1, both to 王强 S1002."""
    from outreach.services.building import ListFilter, list_build
    from staff.access import scope_for_user

    return list_build(
        scope=scope_for_user(outlet_head),
        user=outlet_head,
        unit=network["GZ0101"],
        name="降级客户回访",
        criteria=ListFilter(month=NOVEMBER, movement="down"),
        assign_mode="even",
        staff=[customer_manager],
        starts_on=today,
        due_on=today + datetime.timedelta(days=14),
    )
