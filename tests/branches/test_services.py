"""The units import and the default peer groups (branches/services.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from branches.models import Area, OrgUnit, OutletFormat, PeerGroup, UnitStatus
from branches.services import UNIT_COLUMNS, peer_groups_rebuild, units_import
from lib.csvimport import CsvRow, ImportRejected, ImportResult, Problem, read_csv
from tests.factories import OrgUnitFactory

HEADER = "code,parent,name_zh,name_en,kind,area,format,status\n"

# Children before their parents on purpose: the file order must not matter.
GOOD_FILE = (
    HEADER + "GZ0101,GZ01,天河路网点,Tianhe Road Outlet,outlet,urban,full,\n"
    "GZ01,GZ,天河支行,Tianhe Sub-branch,sub_branch,,,\n"
    "GZ0102,GZ01,珠江新城网点,Zhujiang New Town Outlet,outlet,county,light,closed\n"
    "GZ,HQ,广州分行,Guangzhou Branch,branch,,,active\n"
    "HQ,,总行,Head office,hq,,,\n"
)


def _rows(text: str) -> list[CsvRow]:
    return read_csv(text.encode("utf-8"), columns=UNIT_COLUMNS)


def _row_of(unit: OrgUnit, **changes: str) -> str:
    """The CSV line that describes `unit` as it is (or with `changes`)."""
    values = {
        "code": unit.code,
        "parent": unit.parent.code if unit.parent_id else "",
        "name_zh": unit.name_zh,
        "name_en": unit.name_en,
        "kind": unit.kind,
        "area": unit.area,
        "format": unit.format,
        "status": unit.status,
        **changes,
    }
    return ",".join(values[column] for column in UNIT_COLUMNS) + "\n"


def _problems(text: str) -> list[Problem]:
    with pytest.raises(ImportRejected) as caught:
        units_import(rows=_rows(text))
    return caught.value.problems


def _snapshot() -> list[tuple]:
    return list(OrgUnit.objects.order_by("code").values_list("code", "name_zh", "parent__code", "path", "status"))


# -- units_import: good files ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_good_file_creates_every_unit_even_with_children_listed_before_parents():
    result = units_import(rows=_rows(GOOD_FILE))

    assert result == ImportResult(created=5, updated=0, unchanged=0)
    units = {unit.code: unit for unit in OrgUnit.objects.select_related("parent")}
    assert {code: (unit.path, unit.depth) for code, unit in units.items()} == {
        "HQ": ("/HQ/", 0),
        "GZ": ("/HQ/GZ/", 1),
        "GZ01": ("/HQ/GZ/GZ01/", 2),
        "GZ0101": ("/HQ/GZ/GZ01/GZ0101/", 3),
        "GZ0102": ("/HQ/GZ/GZ01/GZ0102/", 3),
    }
    assert units["GZ0101"].parent.code == "GZ01"
    assert units["HQ"].parent is None


@pytest.mark.django_db
def test_a_good_file_sets_the_outlet_attributes_and_defaults_an_empty_status_to_active():
    units_import(rows=_rows(GOOD_FILE))

    tianhe_road = OrgUnit.objects.get(code="GZ0101")
    zhujiang = OrgUnit.objects.get(code="GZ0102")
    assert (tianhe_road.name_zh, tianhe_road.name_en) == ("天河路网点", "Tianhe Road Outlet")
    assert (tianhe_road.area, tianhe_road.format, tianhe_road.status) == ("urban", "full", "active")
    assert (zhujiang.area, zhujiang.format, zhujiang.status) == ("county", "light", "closed")
    assert OrgUnit.objects.get(code="GZ01").area == ""


@pytest.mark.django_db
def test_importing_the_same_file_again_changes_nothing():
    units_import(rows=_rows(GOOD_FILE))
    before = _snapshot()

    result = units_import(rows=_rows(GOOD_FILE))

    assert result == ImportResult(created=0, updated=0, unchanged=5)
    assert str(result) == "0 created, 0 updated, 5 unchanged"
    assert _snapshot() == before


def test_a_file_against_the_network_counts_created_updated_and_unchanged_units(network):
    text = (
        HEADER
        + _row_of(network["GZ0101"])  # unchanged
        + _row_of(network["GZ0102"], name_zh="珠江新城支行营业部")  # renamed: updated
        + _row_of(network["SZ0101"], status="closed")  # closed: updated
        + "GZ0103,GZ01,体育西网点,Tiyu West Outlet,outlet,urban,smart,\n"  # new
    )

    result = units_import(rows=_rows(text))

    assert result == ImportResult(created=1, updated=2, unchanged=1)
    assert OrgUnit.objects.get(code="GZ0102").name_zh == "珠江新城支行营业部"
    assert OrgUnit.objects.get(code="SZ0101").status == UnitStatus.CLOSED
    assert OrgUnit.objects.get(code="GZ0103").path == "/HQ/GZ/GZ01/GZ0103/"
    assert OrgUnit.objects.count() == 11


def test_moving_a_sub_branch_in_the_file_moves_its_outlets_too(network):
    # Only GZ01 is in the file; its outlets are not, yet their paths must follow.
    text = HEADER + _row_of(network["GZ01"], parent="SZ")

    result = units_import(rows=_rows(text))

    assert result == ImportResult(created=0, updated=1, unchanged=0)
    paths = dict(OrgUnit.objects.values_list("code", "path"))
    assert paths["GZ01"] == "/HQ/SZ/GZ01/"
    assert paths["GZ0101"] == "/HQ/SZ/GZ01/GZ0101/"
    assert paths["GZ0102"] == "/HQ/SZ/GZ01/GZ0102/"
    assert OrgUnit.objects.get(code="GZ01").parent.code == "SZ"


def test_a_new_unit_can_hang_under_a_unit_already_in_the_database(network):
    text = HEADER + "GZ0202,GZ02,鳌头镇网点,Aotou Town Outlet,outlet,township,light,\n"

    units_import(rows=_rows(text))

    assert OrgUnit.objects.get(code="GZ0202").path == "/HQ/GZ/GZ02/GZ0202/"


# -- units_import: bad files -------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_bad_row_is_reported_with_its_line_column_and_message_and_nothing_is_written():
    text = (
        HEADER  # line 1
        + "HQ,,总行,Head office,hq,,,\n"  # 2: fine
        "GZ,HQ,广州分行,,branch,,,\n"  # 3: fine
        "GZ01,GZ,天河支行,,sub_branch,urban,,\n"  # 4: area on a sub-branch
        "GZ0101,GZ01,天河路网点,,outlet,,full,\n"  # 5: outlet without area
        "GZ0102,GZX,珠江新城网点,,outlet,urban,full,\n"  # 6: unknown parent
        "GZ0103,GZ01,体育西网点,,office,,,\n"  # 7: bad kind
        "GZ0101,GZ01,天河路网点,,outlet,urban,full,\n"  # 8: duplicate code
        "GZ010101,GZ0101,自助银行,,outlet,urban,smart,\n"  # 9: under an outlet
        "AA,BB,甲支行,,sub_branch,,,\n"  # 10: AA under BB …
        "BB,AA,乙支行,,sub_branch,,,\n"  # 11: … and BB under AA
    )

    problems = _problems(text)

    assert problems == [
        Problem(4, "area", "only outlets have an area; leave it empty for a sub-branch"),
        Problem(5, "area", "is required (one of urban, county, township)"),
        Problem(6, "parent", "unit 'GZX' is neither in the file nor already known"),
        Problem(7, "kind", "'office' is not one of hq, branch, sub_branch, outlet"),
        Problem(8, "code", "'GZ0101' appears twice (first on line 5)"),
        Problem(9, "parent", "'GZ0101' is an outlet; no unit can sit under an outlet"),
        Problem(10, "parent", "'BB' is below 'AA' in the tree; that would make a loop"),
        Problem(11, "parent", "'AA' is below 'BB' in the tree; that would make a loop"),
    ]
    assert str(problems[0]) == "line 4, column 'area': only outlets have an area; leave it empty for a sub-branch"
    assert OrgUnit.objects.count() == 0


@pytest.mark.django_db
def test_a_format_on_a_branch_is_refused_like_an_area():
    problems = _problems(HEADER + "HQ,,总行,,hq,,,\nGZ,HQ,广州分行,,branch,,smart,\n")

    assert problems == [Problem(3, "format", "only outlets have a format; leave it empty for a branch")]


@pytest.mark.django_db
def test_a_head_office_with_a_parent_and_a_branch_without_one_are_refused():
    problems = _problems(HEADER + "HQ,ROOT,总行,,hq,,,\nGZ,,广州分行,,branch,,,\n")

    assert problems == [
        Problem(2, "parent", "the head office (kind hq) has no parent; leave it empty"),
        Problem(2, "parent", "unit 'ROOT' is neither in the file nor already known"),
        Problem(3, "parent", "is required for every unit but the head office"),
    ]


def test_a_cycle_through_units_already_in_the_database_is_refused(network):
    # GZ01 is under GZ in the database; putting GZ under GZ01 closes a loop.
    problems = _problems(HEADER + _row_of(network["GZ"], parent="GZ01"))

    assert problems == [Problem(2, "parent", "'GZ01' is below 'GZ' in the tree; that would make a loop")]


def test_a_child_under_an_outlet_already_in_the_database_is_refused(network):
    problems = _problems(HEADER + "GZ010101,GZ0101,自助银行,,outlet,urban,smart,\n")

    assert problems == [Problem(2, "parent", "'GZ0101' is an outlet; no unit can sit under an outlet")]


def test_one_bad_row_keeps_the_good_rows_of_the_same_file_from_being_written(network):
    before = _snapshot()
    text = (
        HEADER
        + _row_of(network["GZ0101"], name_zh="天河路支行营业部")  # good on its own
        + _row_of(network["GZ01"], parent="SZ")  # good on its own
        + "GZ0103,GZ01,体育西网点,,outlet,urban,full,\n"  # good on its own
        + "GZ0104,GZ01,岗顶网点,,outlet,downtown,full,\n"  # bad area
    )

    problems = _problems(text)

    assert problems == [Problem(5, "area", "'downtown' is not one of urban, county, township")]
    assert _snapshot() == before


@pytest.mark.django_db
def test_a_file_without_a_required_column_is_refused_before_any_row_is_read():
    with pytest.raises(ImportRejected) as caught:
        _rows("code,parent,name_zh,kind,area,format,status\nHQ,,总行,hq,,,\n")

    assert caught.value.problems == [
        Problem(1, "name_en", f"the header has no 'name_en' column (expected {','.join(UNIT_COLUMNS)})")
    ]


# -- peer_groups_rebuild -----------------------------------------------------------------------------


@pytest.fixture
def peer_network(network) -> dict[str, OrgUnit]:
    """The network plus a county outlet under GZ01 and a closed urban one."""
    network["GZ0103"] = OrgUnitFactory.outlet_of(
        network["GZ01"], code="GZ0103", name_zh="龙洞网点", area=Area.COUNTY, format=OutletFormat.LIGHT
    )
    network["GZ0104"] = OrgUnitFactory.outlet_of(
        network["GZ01"], code="GZ0104", name_zh="岗顶网点", area=Area.URBAN, status=UnitStatus.CLOSED
    )
    return network


def _groups() -> dict[str, set[str]]:
    return {
        group.code: {outlet.code for outlet in group.members.all()}
        for group in PeerGroup.objects.prefetch_related("members")
    }


def test_there_is_one_default_group_per_sub_branch_and_area_with_its_active_outlets(peer_network):
    count = peer_groups_rebuild()

    assert count == 4
    assert _groups() == {
        "GZ01-urban": {"GZ0101", "GZ0102"},  # GZ0104 is closed
        "GZ01-county": {"GZ0103"},
        "GZ02-township": {"GZ0201"},
        "SZ01-urban": {"SZ0101"},
    }


def test_a_default_group_is_named_after_its_sub_branch_and_area(peer_network):
    peer_groups_rebuild()

    group = PeerGroup.objects.get(code="GZ01-urban")
    assert group.is_default
    assert (group.parent_unit.code, group.area) == ("GZ01", "urban")
    assert group.name_zh == "天河支行·城区网点"
    assert group.name_en == "Tianhe Sub-branch · urban outlets"


def test_rebuilding_twice_writes_nothing_the_second_time(peer_network):
    peer_groups_rebuild()
    before = _groups()
    pks = set(PeerGroup.objects.values_list("pk", flat=True))

    with CaptureQueriesContext(connection) as queries:
        count = peer_groups_rebuild()

    writes = [
        query["sql"] for query in queries.captured_queries if query["sql"].split()[0] in {"INSERT", "UPDATE", "DELETE"}
    ]
    assert writes == []
    assert count == 4
    assert _groups() == before
    assert set(PeerGroup.objects.values_list("pk", flat=True)) == pks


def test_a_hand_made_group_is_left_as_it_is(peer_network):
    benchmark_class = PeerGroup.objects.create(code="BENCHMARK-2026", name_zh="标杆网点对标组", is_default=False)
    benchmark_class.members.set([peer_network["GZ0101"], peer_network["SZ0101"], peer_network["GZ0104"]])

    peer_groups_rebuild()

    benchmark_class.refresh_from_db()
    assert benchmark_class.name_zh == "标杆网点对标组"
    assert not benchmark_class.is_default
    # Its closed member stays: HQ maintains this list, not the nightly job.
    assert _groups()["BENCHMARK-2026"] == {"GZ0101", "SZ0101", "GZ0104"}


def test_closing_an_outlet_takes_it_out_and_an_emptied_group_goes_away(peer_network):
    peer_groups_rebuild()
    OrgUnit.objects.filter(code__in=["GZ0102", "GZ0103"]).update(status=UnitStatus.CLOSED)

    count = peer_groups_rebuild()

    assert count == 3
    assert _groups() == {
        "GZ01-urban": {"GZ0101"},
        "GZ02-township": {"GZ0201"},
        "SZ01-urban": {"SZ0101"},
    }


def test_an_outlet_moved_to_another_sub_branch_changes_group(peer_network):
    peer_groups_rebuild()
    zhujiang = peer_network["GZ0102"]
    zhujiang.parent = peer_network["SZ01"]
    zhujiang.save()

    peer_groups_rebuild()

    groups = _groups()
    assert groups["GZ01-urban"] == {"GZ0101"}
    assert groups["SZ01-urban"] == {"SZ0101", "GZ0102"}


def test_a_default_group_renamed_by_hand_gets_its_name_back(peer_network):
    peer_groups_rebuild()
    PeerGroup.objects.filter(code="GZ01-urban").update(name_zh="随手改的名字")

    peer_groups_rebuild()

    assert PeerGroup.objects.get(code="GZ01-urban").name_zh == "天河支行·城区网点"


@pytest.fixture(autouse=True)
def _english_problems():
    """The problems asserted here are the English source texts (every test starts in Chinese; an import
    in Chinese: tests/bankops/test_i18n_complete.py)."""
    with translation.override("en"):
        yield
