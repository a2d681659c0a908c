"""GET /api/v1/units/ and /api/v1/units/{code}/ (staff/api_org.py): the org units a reader may see.

The network of tests/conftest.py, in tree (path) order:
HQ, GZ, GZ01, GZ0101, GZ0102, GZ02, GZ0201, SZ, SZ01, SZ0101.
"""

from __future__ import annotations

import datetime

import pytest
from rest_framework.test import APIClient

from branches.models import Transformation, UnitStatus
from staff.services import api_token_create
from tests.factories import OrgUnitFactory

URL = "/api/v1/units/"
TREE_ORDER = ["HQ", "GZ", "GZ01", "GZ0101", "GZ0102", "GZ02", "GZ0201", "SZ", "SZ01", "SZ0101"]


def _token_client(unit, *, scopes: str = "read") -> APIClient:
    _token, key = api_token_create(name=f"{unit.code} {scopes}", unit=unit, scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [unit["code"] for unit in response.json()["results"]]


@pytest.fixture
def gz01_reader(network) -> APIClient:
    """The Tianhe sub-branch's integration, with a read token."""
    return _token_client(network["GZ01"])


@pytest.fixture
def hq(hq_admin) -> APIClient:
    return _session_client(hq_admin)


# -- scope ---------------------------------------------------------------------------------------------


def test_a_sub_branch_token_sees_its_subtree_and_nothing_else(gz01_reader):
    assert _codes(gz01_reader.get(URL)) == ["GZ01", "GZ0101", "GZ0102"]


def test_the_hq_administrator_sees_the_whole_network_in_tree_order(hq):
    assert _codes(hq.get(URL)) == TREE_ORDER


def test_an_outlet_is_described_in_full(gz01_reader, network):
    outlet = network["GZ0101"]
    outlet.transformation = Transformation.TRANSFORMED
    outlet.transformed_on = datetime.date(2025, 6, 30)
    outlet.is_benchmark = True
    outlet.opened_on = datetime.date(2008, 3, 18)
    outlet.save()

    response = gz01_reader.get(f"{URL}GZ0101/")

    assert response.status_code == 200
    assert response.json() == {
        "code": "GZ0101",
        "name": "Tianhe Road Outlet",
        "name_zh": "天河路网点",
        "name_en": "Tianhe Road Outlet",
        "kind": "outlet",
        "parent": "GZ01",
        "depth": 3,
        "area": "urban",
        "format": "full",
        "transformation": "transformed",
        "transformed_on": "2025-06-30",
        "is_benchmark": True,
        "benchmark": None,
        "status": "active",
        "opened_on": "2008-03-18",
        "closed_on": None,
    }


def test_the_top_of_a_tokens_subtree_does_not_name_the_parent_outside_it(gz01_reader, hq):
    # GZ01 hangs under GZ, which the Tianhe token may not see: its parent reads null, not "GZ".
    mine = gz01_reader.get(f"{URL}GZ01/").json()
    assert mine["parent"] is None
    assert hq.get(f"{URL}GZ01/").json()["parent"] == "GZ"


def test_units_above_outlets_have_no_outlet_attributes(hq):
    branch = hq.get(f"{URL}GZ/").json()

    assert (branch["kind"], branch["parent"], branch["depth"]) == ("branch", "HQ", 1)
    assert (branch["area"], branch["format"]) == (None, None)


def test_a_benchmark_is_named_only_when_the_reader_sees_it(network, gz01_reader, hq):
    # 珠江新城 replicates 华强北 in Shenzhen: HQ sees the link, the Tianhe token does not learn SZ0101.
    network["SZ0101"].is_benchmark = True
    network["SZ0101"].save()
    network["GZ0102"].benchmark = network["SZ0101"]
    network["GZ0102"].save()

    assert hq.get(f"{URL}GZ0102/").json()["benchmark"] == "SZ0101"
    assert gz01_reader.get(f"{URL}GZ0102/").json()["benchmark"] is None


def test_a_unit_outside_the_tokens_subtree_is_a_404_in_the_error_format(gz01_reader):
    response = gz01_reader.get(f"{URL}SZ0101/")

    assert response.status_code == 404
    assert response.json() == {"errors": [{"field": "", "message": "No such unit.", "row": None}]}


def test_an_unknown_code_answers_exactly_like_one_out_of_scope(gz01_reader):
    unknown = gz01_reader.get(f"{URL}ZZ9999/")
    elsewhere = gz01_reader.get(f"{URL}GZ/")

    assert unknown.status_code == elsewhere.status_code == 404
    assert unknown.json() == elsewhere.json()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("hq_admin", TREE_ORDER),
        ("auditor", TREE_ORDER),
        ("unit_manager", ["GZ01", "GZ0101", "GZ0102"]),
        ("outlet_head", ["GZ0101"]),
        ("teller", []),
        ("outsider", []),
    ],
)
def test_each_role_sees_its_own_part_of_the_tree(db, persona, expected, request):
    client = _session_client(request.getfixturevalue(persona))

    assert _codes(client.get(URL)) == expected


def test_the_outlet_head_gets_a_404_for_the_sibling_outlet(outlet_head):
    assert _session_client(outlet_head).get(f"{URL}GZ0102/").status_code == 404


def test_an_anonymous_request_is_refused_in_the_error_format(network):
    response = APIClient().get(URL)

    assert response.status_code == 401
    assert response.json()["errors"][0]["field"] == ""


def test_a_token_without_the_read_scope_is_refused(network):
    response = _token_client(network["GZ01"], scopes="ingest").get(URL)

    assert response.status_code == 403
    assert response.json() == {
        "errors": [{"field": "", "message": "This token does not have the scope this request needs.", "row": None}]
    }


# -- filters -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "outlet"}, ["GZ0101", "GZ0102", "GZ0201", "SZ0101"]),
        ({"kind": "branch"}, ["GZ", "SZ"]),
        ({"parent": "GZ"}, ["GZ01", "GZ02"]),
        ({"parent": "GZ0101"}, []),
        ({"under": "GZ02"}, ["GZ02", "GZ0201"]),
        ({"under": "SZ", "kind": "outlet"}, ["SZ0101"]),
        ({"area": "township"}, ["GZ0201"]),
        ({"format": "light"}, ["GZ0102", "GZ0201"]),
        ({"format": "light", "area": "urban"}, ["GZ0102"]),
        ({"q": "天河"}, ["GZ01", "GZ0101"]),
        ({"q": "gz02"}, ["GZ02", "GZ0201"]),
        ({"q": "town"}, ["GZ0102", "GZ0201"]),
    ],
)
def test_the_filters_narrow_the_list(hq, query, expected):
    assert _codes(hq.get(URL, query)) == expected


def test_status_transformation_and_benchmark_filters(hq, network):
    network["GZ0201"].status = UnitStatus.CLOSED
    network["GZ0201"].closed_on = datetime.date(2026, 9, 30)
    network["GZ0201"].save()
    network["GZ0101"].transformation = Transformation.ROLLING_OUT
    network["GZ0101"].is_benchmark = True
    network["GZ0101"].save()

    assert _codes(hq.get(URL, {"status": "closed"})) == ["GZ0201"]
    assert _codes(hq.get(URL, {"status": "active", "kind": "outlet"})) == ["GZ0101", "GZ0102", "SZ0101"]
    assert _codes(hq.get(URL, {"transformation": "rolling_out"})) == ["GZ0101"]
    assert _codes(hq.get(URL, {"is_benchmark": "true"})) == ["GZ0101"]
    assert _codes(hq.get(URL, {"is_benchmark": "false", "kind": "outlet"})) == ["GZ0102", "GZ0201", "SZ0101"]
    assert hq.get(f"{URL}GZ0201/").json()["closed_on"] == "2026-09-30"


def test_a_parent_or_subtree_outside_the_scope_is_a_404(gz01_reader):
    for query in ({"parent": "GZ"}, {"under": "SZ"}, {"under": "ZZ9999"}):
        response = gz01_reader.get(URL, query)
        assert response.status_code == 404, query
        assert response.json() == {"errors": [{"field": "", "message": "No such unit.", "row": None}]}


@pytest.mark.parametrize(
    ("query", "field"),
    [({"kind": "shop"}, "kind"), ({"area": "suburb"}, "area"), ({"is_benchmark": "yes"}, "is_benchmark")],
)
def test_a_bad_filter_value_is_a_400_naming_the_parameter(hq, query, field):
    response = hq.get(URL, query)

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_the_name_is_chinese_when_the_request_asks_for_it(gz01_reader):
    # The API speaks English unless asked (bankops/middleware.py); name_zh and name_en are always both there.
    response = gz01_reader.get(f"{URL}GZ0101/", HTTP_ACCEPT_LANGUAGE="zh-Hans")

    assert response.json()["name"] == "天河路网点"
    assert response.json()["name_en"] == "Tianhe Road Outlet"


# -- ordering and pages ----------------------------------------------------------------------------------


def test_ordering_by_code_descending(hq):
    assert _codes(hq.get(URL, {"ordering": "-code"})) == [
        "SZ0101",
        "SZ01",
        "SZ",
        "HQ",
        "GZ0201",
        "GZ02",
        "GZ0102",
        "GZ0101",
        "GZ01",
        "GZ",
    ]


def test_ordering_by_depth_keeps_tree_order_inside_a_level(hq):
    assert _codes(hq.get(URL, {"ordering": "depth"})) == [
        "HQ",
        "GZ",
        "SZ",
        "GZ01",
        "GZ02",
        "SZ01",
        "GZ0101",
        "GZ0102",
        "GZ0201",
        "SZ0101",
    ]


def test_pages_of_a_tied_ordering_list_every_unit_once(hq):
    # Depth ties three and four times over: a cursor on depth alone would repeat or skip units.
    seen, response = [], hq.get(URL, {"ordering": "depth", "page_size": 2})
    while True:
        seen += _codes(response)
        if not response.json()["next"]:
            break
        response = hq.get(response.json()["next"])

    assert seen == ["HQ", "GZ", "SZ", "GZ01", "GZ02", "SZ01", "GZ0101", "GZ0102", "GZ0201", "SZ0101"]


def test_an_unknown_ordering_is_a_400_naming_ordering(hq):
    response = hq.get(URL, {"ordering": "opened_on"})

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "ordering"
    assert "path, code, name_zh, name_en, depth" in error["message"]


def test_the_list_costs_the_same_queries_for_2_units_as_for_12(hq, network, django_assert_num_queries):
    hq.get(URL)  # the first request of a session may touch the session row
    # session, user, the `parent` unit, the page (benchmarks joined): 4 whatever the page holds.
    with django_assert_num_queries(4):
        assert len(_codes(hq.get(URL, {"parent": "GZ01"}))) == 2

    for number in range(10):
        # Half of them replicate GZ0101, so the benchmark link is read too.
        OrgUnitFactory.outlet_of(
            network["GZ01"], code=f"GZ01{number + 50}", benchmark=network["GZ0101"] if number % 2 else None
        )

    with django_assert_num_queries(4):
        assert len(_codes(hq.get(URL, {"parent": "GZ01"}))) == 12
