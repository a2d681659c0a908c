"""The org tree as a materialised path (branches/models.py)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from branches.models import OrgUnit, UnitKind
from tests.factories import OrgUnitFactory


def _paths() -> dict[str, tuple[str, int]]:
    return {code: (path, depth) for code, path, depth in OrgUnit.objects.values_list("code", "path", "depth")}


def test_a_unit_path_lists_the_codes_from_the_head_office_down(network):
    assert network["HQ"].path == "/HQ/"
    assert network["GZ"].path == "/HQ/GZ/"
    assert network["GZ01"].path == "/HQ/GZ/GZ01/"
    assert network["GZ0101"].path == "/HQ/GZ/GZ01/GZ0101/"


def test_depth_counts_the_levels_below_the_head_office(network):
    assert [network[code].depth for code in ("HQ", "GZ", "GZ01", "GZ0101")] == [0, 1, 2, 3]


def test_ancestor_codes_are_read_off_the_path(network):
    assert network["GZ0101"].ancestor_codes == ["HQ", "GZ", "GZ01"]
    assert network["HQ"].ancestor_codes == []


def test_subtree_is_one_query_and_holds_the_unit_and_everything_under_it(network, django_assert_num_queries):
    with django_assert_num_queries(1):
        codes = [unit.code for unit in OrgUnit.objects.subtree(network["GZ"])]

    assert codes == ["GZ", "GZ01", "GZ0101", "GZ0102", "GZ02", "GZ0201"]


def test_subtree_of_an_outlet_is_the_outlet_alone(network):
    assert list(OrgUnit.objects.subtree(network["GZ0101"])) == [network["GZ0101"]]


def test_subtree_leaves_out_a_sibling_whose_code_begins_with_the_same_letters(network):
    # "/HQ/GZ/" must not match "/HQ/GZX/": the trailing separator in the path is what keeps them apart.
    OrgUnitFactory.branch_of(network["HQ"], code="GZX")

    codes = set(OrgUnit.objects.subtree(network["GZ"]).values_list("code", flat=True))

    assert "GZX" not in codes
    assert codes == {"GZ", "GZ01", "GZ0101", "GZ0102", "GZ02", "GZ0201"}


def test_renaming_a_code_rewrites_the_path_of_every_unit_below_it(network):
    gz = network["GZ"]
    gz.code = "CAN"
    gz.save()

    paths = _paths()
    assert paths["CAN"] == ("/HQ/CAN/", 1)
    assert paths["GZ01"] == ("/HQ/CAN/GZ01/", 2)
    assert paths["GZ0101"] == ("/HQ/CAN/GZ01/GZ0101/", 3)
    assert paths["GZ0102"] == ("/HQ/CAN/GZ01/GZ0102/", 3)
    assert paths["GZ02"] == ("/HQ/CAN/GZ02/", 2)
    assert paths["GZ0201"] == ("/HQ/CAN/GZ02/GZ0201/", 3)
    # The other branch is not touched.
    assert paths["SZ01"] == ("/HQ/SZ/SZ01/", 2)


def test_moving_a_sub_branch_to_another_branch_moves_its_outlets_along(network):
    gz01 = network["GZ01"]
    gz01.parent = network["SZ"]
    gz01.save()

    paths = _paths()
    assert paths["GZ01"] == ("/HQ/SZ/GZ01/", 2)
    assert paths["GZ0101"] == ("/HQ/SZ/GZ01/GZ0101/", 3)
    assert paths["GZ0102"] == ("/HQ/SZ/GZ01/GZ0102/", 3)
    assert set(OrgUnit.objects.subtree(network["SZ"]).values_list("code", flat=True)) == {
        "SZ",
        "SZ01",
        "SZ0101",
        "GZ01",
        "GZ0101",
        "GZ0102",
    }
    assert set(OrgUnit.objects.subtree(network["GZ"]).values_list("code", flat=True)) == {"GZ", "GZ02", "GZ0201"}


def test_moving_a_unit_a_level_deeper_adds_one_to_the_depth_of_everything_below(network):
    # GZ02 becomes a second-level sub-branch under GZ01 (支行 under 支行: depth is not fixed).
    gz02 = network["GZ02"]
    gz02.parent = network["GZ01"]
    gz02.save()

    paths = _paths()
    assert paths["GZ02"] == ("/HQ/GZ/GZ01/GZ02/", 3)
    assert paths["GZ0201"] == ("/HQ/GZ/GZ01/GZ02/GZ0201/", 4)


def test_moving_a_unit_a_level_up_takes_one_off_the_depth_of_everything_below(network):
    gz01 = network["GZ01"]
    gz01.parent = network["HQ"]
    gz01.save()

    paths = _paths()
    assert paths["GZ01"] == ("/HQ/GZ01/", 1)
    assert paths["GZ0101"] == ("/HQ/GZ01/GZ0101/", 2)


def test_saving_a_unit_that_stays_in_place_does_not_rewrite_the_subtree(network):
    before = _paths()
    gz = network["GZ"]
    gz.name_zh = "广州分行营业部"

    with CaptureQueriesContext(connection) as queries:
        gz.save()

    updates = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("UPDATE")]
    assert len(updates) == 1  # the unit's own row, nothing else
    assert _paths() == before


def test_clean_refuses_to_move_a_unit_under_one_of_its_own_units(network):
    gz = network["GZ"]
    gz.parent = network["GZ01"]

    with pytest.raises(ValidationError) as caught:
        gz.clean()

    assert list(caught.value.message_dict) == ["parent"]


def test_clean_refuses_to_make_a_unit_its_own_parent(network):
    gz = network["GZ"]
    gz.parent = gz

    with pytest.raises(ValidationError) as caught:
        gz.clean()

    assert list(caught.value.message_dict) == ["parent"]


def test_clean_accepts_moving_a_sub_branch_to_another_branch(network):
    gz01 = network["GZ01"]
    gz01.parent = network["SZ"]

    gz01.clean()  # no error


def test_clean_refuses_a_unit_without_parent_unless_it_is_the_head_office(network):
    orphan = OrgUnit(code="GZ03", name_zh="番禺支行", kind=UnitKind.SUB_BRANCH)

    with pytest.raises(ValidationError) as caught:
        orphan.clean()

    assert list(caught.value.message_dict) == ["parent"]


def test_an_outlet_needs_an_area_and_a_format(network):
    outlet = OrgUnit(code="GZ0103", name_zh="体育西网点", kind=UnitKind.OUTLET, parent=network["GZ01"])

    with pytest.raises(ValidationError) as caught:
        outlet.clean()

    assert sorted(caught.value.message_dict) == ["area", "format"]


def test_a_sub_branch_needs_no_area_or_format(network):
    sub_branch = OrgUnit(code="GZ03", name_zh="番禺支行", kind=UnitKind.SUB_BRANCH, parent=network["GZ"])

    sub_branch.clean()  # no error


def test_the_factory_refuses_a_unit_without_parent_unless_it_is_the_head_office(db):
    with pytest.raises(ValueError, match="parent"):
        OrgUnitFactory(sub_branch=True)
