"""The data of the target-plan tests: the network of tests/conftest.py with a third outlet under 天河支行
(GZ01: GZ0101, GZ0102, GZ0103), October 2026 rolled up, and a few staff.

October's deposit growth (存款净增, 万元: the balance of 31 October minus that of 30 September), worked
out from the balances below:  GZ0101 5,300 − 5,000 = +300;  GZ0102 3,950 − 4,000 = −50;
GZ0103 2,100 − 2,000 = +100.  Mobile-banking sign-ups in October (户): GZ0101 60, GZ0102 30, GZ0103 10;
staff of GZ0101: 黄丽娟 S1001 (teller) 20, 王强 S1002 (customer manager) 30, 李娜 S1003 (wealth manager) 0.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from kpi.models import Fact
from kpi.services.rollup import rollup_day
from staff.access import scope_for_user
from staff.models import StaffMember
from tests.factories import AssignmentFactory, OrgUnitFactory, StaffMemberFactory
from tests.kpi.factories import metric

D = datetime.date
OCTOBER_END = D(2026, 10, 31)


@pytest.fixture
def gz0103(network):
    return OrgUnitFactory.outlet_of(network["GZ01"], code="GZ0103", name_zh="体育西网点", name_en="Tiyu West Outlet")


@pytest.fixture
def staff_of_gz0101(network, teller) -> dict[str, StaffMember]:
    teller_record = StaffMember.objects.get(code="S1001")
    wang = StaffMemberFactory(code="S1002", name="王强")
    li = StaffMemberFactory(code="S1003", name="李娜")
    AssignmentFactory(staff=wang, unit=network["GZ0101"], post="customer_manager")
    AssignmentFactory(staff=li, unit=network["GZ0101"], post="wealth_manager")
    return {"S1001": teller_record, "S1002": wang, "S1003": li}


def _fact(day, unit, code, value, staff=None) -> Fact:
    return Fact(date=day, unit=unit, staff=staff, metric=metric(code), value=Decimal(str(value)))


@pytest.fixture
def october(network, gz0103, staff_of_gz0101):
    """October 2026 rolled up (its last day, from scratch): the figures of the module's docstring."""
    outlets = {"GZ0101": network["GZ0101"], "GZ0102": network["GZ0102"], "GZ0103": gz0103}
    facts = []
    for code, (before, after, signups) in {
        "GZ0101": (5000, 5300, 60),
        "GZ0102": (4000, 3950, 30),
        "GZ0103": (2000, 2100, 10),
    }.items():
        facts.append(_fact(D(2026, 9, 30), outlets[code], "deposit_balance", before))
        facts.append(_fact(OCTOBER_END, outlets[code], "deposit_balance", after))
        facts.append(_fact(D(2026, 10, 15), outlets[code], "mobile_banking_signups", signups))
    for code, signups in {"S1001": 20, "S1002": 30, "S1003": 0}.items():
        facts.append(
            _fact(D(2026, 10, 15), network["GZ0101"], "mobile_banking_signups", signups, staff=staff_of_gz0101[code])
        )
    Fact.objects.bulk_create(facts)
    rollup_day(day=OCTOBER_END)
    return outlets


@pytest.fixture
def hq_scope(hq_admin):
    return scope_for_user(hq_admin)


@pytest.fixture
def manager_scope(unit_manager):
    return scope_for_user(unit_manager)
