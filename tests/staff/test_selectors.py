"""The one answer to "may this user see this unit / this staff member" (staff/selectors.py, DOMAIN.md §7)."""

from __future__ import annotations

import datetime

import pytest
from django.http import Http404

from branches.models import OrgUnit
from staff.models import Role, StaffMember
from staff.selectors import Scope, get_staff_or_404, get_unit_or_404, scope_for_user
from tests.factories import AssignmentFactory, StaffMemberFactory, UserFactory

ALL_UNITS = {"HQ", "GZ", "GZ01", "GZ0101", "GZ0102", "GZ02", "GZ0201", "SZ", "SZ01", "SZ0101"}


@pytest.fixture
def roster(network, teller) -> dict[str, StaffMember]:
    """Staff across the network besides the teller 黄丽娟 (S1001, GZ0101).

    S1002 何静   lobby manager at GZ0101
    S1003 罗刚   customer manager at GZ0102
    S1004 梁敏   teller at GZ0201 (Conghua)
    S1005 谢芳   wealth manager at SZ0101 (Shenzhen)
    """
    people = {"S1001": teller.staff_member}
    for code, name, post, unit in [
        ("S1002", "何静", "lobby_manager", "GZ0101"),
        ("S1003", "罗刚", "customer_manager", "GZ0102"),
        ("S1004", "梁敏", "teller", "GZ0201"),
        ("S1005", "谢芳", "wealth_manager", "SZ0101"),
    ]:
        people[code] = StaffMemberFactory(code=code, name=name)
        AssignmentFactory(staff=people[code], post=post, unit=network[unit])
    return people


def _unit_codes(scope: Scope) -> set[str]:
    return set(scope.units().values_list("code", flat=True))


def _staff_codes(scope: Scope) -> set[str]:
    return set(scope.staff().values_list("code", flat=True))


# -- who sees which units ----------------------------------------------------------------------------


def test_the_hq_admin_sees_every_unit_and_may_change_things(hq_admin, roster):
    scope = scope_for_user(hq_admin)

    assert scope.everything
    assert not scope.read_only
    assert _unit_codes(scope) == ALL_UNITS
    assert _staff_codes(scope) == {"S1001", "S1002", "S1003", "S1004", "S1005"}


def test_the_auditor_sees_every_unit_but_read_only(auditor, roster):
    scope = scope_for_user(auditor)

    assert scope.everything
    assert scope.read_only
    assert _unit_codes(scope) == ALL_UNITS
    assert _staff_codes(scope) == {"S1001", "S1002", "S1003", "S1004", "S1005"}


def test_a_superuser_without_a_role_sees_everything(network):
    scope = scope_for_user(UserFactory(is_superuser=True, is_staff=True))

    assert _unit_codes(scope) == ALL_UNITS


def test_the_unit_manager_sees_the_sub_branch_and_its_outlets_only(unit_manager):
    scope = scope_for_user(unit_manager)

    assert not scope.everything
    assert _unit_codes(scope) == {"GZ01", "GZ0101", "GZ0102"}


def test_the_unit_manager_sees_neither_the_parent_branch_nor_a_sibling_nor_another_branch(unit_manager, network):
    scope = scope_for_user(unit_manager)

    assert scope.can_see_unit(network["GZ0102"])
    for code in ("HQ", "GZ", "GZ02", "GZ0201", "SZ", "SZ0101"):
        assert not scope.can_see_unit(network[code]), code


def test_the_outlet_head_sees_only_their_outlet(outlet_head, network):
    scope = scope_for_user(outlet_head)

    assert _unit_codes(scope) == {"GZ0101"}
    assert not scope.can_see_unit(network["GZ0102"])
    assert not scope.can_see_unit(network["GZ01"])


def test_the_teller_sees_no_unit(teller, network):
    scope = scope_for_user(teller)

    assert _unit_codes(scope) == set()
    assert not scope.can_see_unit(network["GZ0101"])


def test_the_outsider_sees_nothing(outsider, roster, network):
    scope = scope_for_user(outsider)

    assert scope == Scope.nothing()
    assert _unit_codes(scope) == set()
    assert _staff_codes(scope) == set()
    assert not scope.can_see_unit(network["HQ"])


def test_a_deactivated_hq_admin_sees_nothing(hq_admin):
    hq_admin.is_active = False
    hq_admin.save()

    assert scope_for_user(hq_admin) == Scope.nothing()


def test_a_unit_manager_whose_unit_is_missing_sees_nothing(db):
    # The admin refuses this (User.clean) but the scope must not fall back to "everything".
    assert scope_for_user(UserFactory(role=Role.UNIT_MANAGER, unit=None)) == Scope.nothing()


def test_a_staff_login_with_no_staff_record_sees_nothing(network):
    assert scope_for_user(UserFactory(role=Role.STAFF)) == Scope.nothing()


def test_the_scope_follows_a_sub_branch_that_moved(unit_manager, network):
    gz01 = network["GZ01"]
    gz01.parent = network["SZ"]
    gz01.save()
    unit_manager.refresh_from_db()

    assert _unit_codes(scope_for_user(unit_manager)) == {"GZ01", "GZ0101", "GZ0102"}


# -- who sees which staff ----------------------------------------------------------------------------


def test_the_unit_manager_sees_the_staff_of_every_outlet_under_the_sub_branch(unit_manager, roster):
    assert _staff_codes(scope_for_user(unit_manager)) == {"S1001", "S1002", "S1003"}


def test_the_outlet_head_sees_the_staff_of_their_outlet_only(outlet_head, roster):
    scope = scope_for_user(outlet_head)

    assert _staff_codes(scope) == {"S1001", "S1002"}
    assert scope.can_see_staff(roster["S1002"])
    assert not scope.can_see_staff(roster["S1003"])


def test_the_teller_sees_her_own_record_and_no_colleague(teller, roster):
    scope = scope_for_user(teller)

    assert _staff_codes(scope) == {"S1001"}
    assert scope.can_see_staff(teller.staff_member)
    assert not scope.can_see_staff(roster["S1002"])


def test_a_transferred_staff_member_stays_visible_where_they_worked_and_becomes_visible_where_they_went(
    outlet_head, network, roster
):
    # 梁敏 leaves Conghua (GZ0201) at the end of March and joins Tianhe Road (GZ0101) in April.
    liang = roster["S1004"]
    liang.assignments.update(end=datetime.date(2026, 3, 31))
    conghua_head = UserFactory(first_name="邓建华", role=Role.OUTLET_HEAD, unit=network["GZ0201"])
    assert not scope_for_user(outlet_head).can_see_staff(liang)

    AssignmentFactory(staff=liang, post="teller", unit=network["GZ0101"], start=datetime.date(2026, 4, 1))

    # Past scorecards stay readable where the work was done, and the new outlet sees its teller.
    assert scope_for_user(conghua_head).can_see_staff(liang)
    assert scope_for_user(outlet_head).can_see_staff(liang)


def test_a_staff_member_with_no_assignment_is_seen_only_by_the_whole_network_roles(
    hq_admin, unit_manager, outlet_head, network
):
    newcomer = StaffMemberFactory(code="S9001", name="钟思远")

    assert scope_for_user(hq_admin).can_see_staff(newcomer)
    assert not scope_for_user(unit_manager).can_see_staff(newcomer)
    assert not scope_for_user(outlet_head).can_see_staff(newcomer)


# -- the 404 helpers ---------------------------------------------------------------------------------


def test_get_unit_or_404_returns_a_unit_in_scope(unit_manager, network):
    assert get_unit_or_404(scope_for_user(unit_manager), "GZ0102") == network["GZ0102"]


def test_get_unit_or_404_answers_a_unit_out_of_scope_exactly_like_a_missing_one(unit_manager, network):
    scope = scope_for_user(unit_manager)
    assert OrgUnit.objects.filter(code="SZ0101").exists()

    with pytest.raises(Http404) as out_of_scope:
        get_unit_or_404(scope, "SZ0101")
    with pytest.raises(Http404) as missing:
        get_unit_or_404(scope, "NOPE01")

    assert str(out_of_scope.value) == str(missing.value)


@pytest.mark.parametrize("persona", ["teller", "outsider"])
def test_get_unit_or_404_refuses_every_unit_to_those_who_see_none(persona, request, network):
    scope = scope_for_user(request.getfixturevalue(persona))

    for code in ("HQ", "GZ0101"):
        with pytest.raises(Http404):
            get_unit_or_404(scope, code)


def test_get_staff_or_404_answers_a_colleague_out_of_scope_exactly_like_a_missing_one(outlet_head, roster):
    scope = scope_for_user(outlet_head)

    assert get_staff_or_404(scope, "S1002") == roster["S1002"]
    with pytest.raises(Http404) as out_of_scope:
        get_staff_or_404(scope, "S1005")
    with pytest.raises(Http404) as missing:
        get_staff_or_404(scope, "S9999")
    assert str(out_of_scope.value) == str(missing.value)


def test_get_staff_or_404_gives_the_teller_her_own_record_only(teller, roster):
    scope = scope_for_user(teller)

    assert get_staff_or_404(scope, "S1001") == teller.staff_member
    with pytest.raises(Http404):
        get_staff_or_404(scope, "S1002")
