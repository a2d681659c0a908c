"""Territories (网格): the owner must be one of the outlet's staff (定员定岗定责); HQ and the outlet head edit."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from customers.models import Territory
from customers.services.territories import territory_save
from staff.access import scope_for_user
from tests.factories import AssignmentFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def save(user, network, owner, **fields):
    values = {"kind": "community", "name": "幸福社区", **fields}
    return territory_save(scope=scope_for_user(user), outlet=network["GZ0101"], owner=owner, **values)


def test_the_outlet_head_gives_a_territory_to_one_of_the_outlets_staff(outlet_head, teller, network):
    territory = save(outlet_head, network, teller.staff_member)
    assert (territory.outlet.code, territory.owner.code, territory.active) == ("GZ0101", "S1001", True)


def test_an_owner_not_assigned_to_the_outlet_is_refused_with_the_reason(outlet_head, network):
    elsewhere = StaffMemberFactory(code="S2001")
    AssignmentFactory(staff=elsewhere, unit=network["GZ0102"])
    with pytest.raises(ValidationError) as refused:
        save(outlet_head, network, elsewhere)
    assert refused.value.message_dict["owner"][0].startswith("S2001 is not assigned to outlet GZ0101 on ")
    assert "must be one of the outlet's staff" in refused.value.message_dict["owner"][0]
    assert not Territory.objects.exists()


def test_the_unit_manager_and_a_teller_may_not_edit_territories(unit_manager, teller, network):
    for user in (unit_manager, teller):
        with pytest.raises(PermissionDenied):
            save(user, network, teller.staff_member)


def test_a_name_is_used_once_per_outlet(hq_admin, teller, network):
    save(hq_admin, network, teller.staff_member)
    with pytest.raises(ValidationError) as refused:
        save(hq_admin, network, teller.staff_member, kind="village")
    assert "already has a territory of that name" in refused.value.message_dict["name"][0]
