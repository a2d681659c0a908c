"""Who plans targets and who acknowledges them (staff.access, issue 15), persona by persona."""

from __future__ import annotations

import pytest

from staff.access import scope_for_token, scope_for_user
from staff.services import api_token_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "persona, gz01_year, gz01_week, gz02_week, some",
    [
        ("hq_admin", True, True, True, True),
        ("unit_manager", False, True, False, True),  # 天河支行's weeks only (周例会)
        ("outlet_head", False, False, False, False),
        ("teller", False, False, False, False),
        ("auditor", False, False, False, False),
        ("outsider", False, False, False, False),
    ],
)
def test_hq_plans_anything_and_a_unit_manager_the_weeks_of_their_subtree(
    persona, gz01_year, gz01_week, gz02_week, some, request, network
):
    scope = scope_for_user(request.getfixturevalue(persona))
    assert scope.may_plan_targets(network["GZ01"], "year") is gz01_year
    assert scope.may_plan_targets(network["GZ01"], "week") is gz01_week
    assert scope.may_plan_targets(network["GZ02"], "week") is gz02_week
    assert scope.may_plan_some_targets is some


def test_a_token_plans_inside_its_subtree_when_it_may_write(network):
    _token, _key = api_token_create(name="GZ01 admin", unit=network["GZ01"], scopes="read,admin")
    scope = scope_for_token(_token)
    assert scope.may_plan_targets(network["GZ0101"], "year")
    assert not scope.may_plan_targets(network["GZ02"], "year")
    reader, _key = api_token_create(name="GZ01 read", unit=network["GZ01"], scopes="read")
    assert not scope_for_token(reader).may_plan_targets(network["GZ0101"], "week")


def test_only_a_units_own_head_acknowledges_its_targets(network, hq_admin, unit_manager, outlet_head, auditor):
    outlet, sub_branch = network["GZ0101"], network["GZ01"]
    assert scope_for_user(outlet_head).may_acknowledge_targets(outlet)
    assert not scope_for_user(outlet_head).may_acknowledge_targets(network["GZ0102"])
    assert scope_for_user(unit_manager).may_acknowledge_targets(sub_branch)
    assert not scope_for_user(unit_manager).may_acknowledge_targets(outlet)  # the level above set them
    assert not scope_for_user(hq_admin).may_acknowledge_targets(outlet)
    assert not scope_for_user(auditor).may_acknowledge_targets(outlet)
