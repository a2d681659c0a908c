"""GET /api/v1/staff/ and /api/v1/staff/{code}/ (staff/api_views.py): people in scope, names masked for
readers without the right to personal data, and their assignments on a day.

The people, on Tuesday 2026-11-24 (all from 2026-01-01 unless told):
  S1001 黄丽娟  teller at GZ0101 (the `teller` persona)
  S2001 王芳    lobby manager at GZ0102
  S2002 李娜    customer manager at GZ0101 from 2025-01-01 to 2026-06-30, then wealth manager at GZ0201
  S2003 张伟    teller at SZ0101 (Shenzhen)
  S2004 刘洋    teller at GZ0101 and at SZ0101
  S2005 陈静    teller at GZ0101 and lobby manager at GZ0102
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from staff.services import api_token_create
from tests.factories import AssignmentFactory, StaffMemberFactory

URL = "/api/v1/staff/"
DAY = "2026-11-24"


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
    return [member["code"] for member in response.json()["results"]]


def _by_code(response) -> dict[str, dict]:
    assert response.status_code == 200, response.content
    return {member["code"]: member for member in response.json()["results"]}


def _held(unit: str, post: str, start: str = "2026-01-01", end: str | None = None) -> dict:
    return {"unit": unit, "post": post, "start": start, "end": end}


@pytest.fixture
def people(network, teller):
    jan = datetime.date(2026, 1, 1)
    wang = StaffMemberFactory(code="S2001", name="王芳")
    AssignmentFactory(staff=wang, unit=network["GZ0102"], post="lobby_manager", start=jan)
    li = StaffMemberFactory(code="S2002", name="李娜")
    AssignmentFactory(
        staff=li,
        unit=network["GZ0101"],
        post="customer_manager",
        start=datetime.date(2025, 1, 1),
        end=datetime.date(2026, 6, 30),
    )
    AssignmentFactory(staff=li, unit=network["GZ0201"], post="wealth_manager", start=datetime.date(2026, 7, 1))
    zhang = StaffMemberFactory(code="S2003", name="张伟")
    AssignmentFactory(staff=zhang, unit=network["SZ0101"], post="teller", start=jan)
    liu = StaffMemberFactory(code="S2004", name="刘洋")
    AssignmentFactory(staff=liu, unit=network["GZ0101"], post="teller", start=jan)
    AssignmentFactory(staff=liu, unit=network["SZ0101"], post="teller", start=jan)
    chen = StaffMemberFactory(code="S2005", name="陈静")
    AssignmentFactory(staff=chen, unit=network["GZ0101"], post="teller", start=jan)
    AssignmentFactory(staff=chen, unit=network["GZ0102"], post="lobby_manager", start=jan)


@pytest.fixture
def gz01_reader(network, people) -> APIClient:
    """The Tianhe sub-branch's integration, with a read token (no `personal` scope)."""
    return _token_client(network["GZ01"])


@pytest.fixture
def hq(hq_admin, people) -> APIClient:
    return _session_client(hq_admin)


# -- scope and masking -------------------------------------------------------------------------------


def test_a_sub_branch_token_sees_masked_names_and_only_assignments_inside_its_subtree(gz01_reader):
    response = gz01_reader.get(URL, {"date": DAY})

    # S2003 never worked in GZ01. S2002 left for GZ0201 (out of scope) on 2026-06-30: not GZ01's staff on the
    # day (staff.access: staff follow the dates of their assignments; she is listed on the days she was there,
    # test_someone_who_left_is_listed_on_the_days_they_were_there_and_not_after).
    # S2004's Shenzhen assignment is not shown: it would give away SZ0101.
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [
            {"code": "S1001", "name": "黄*娟", "name_masked": True, "assignments": [_held("GZ0101", "teller")]},
            {"code": "S2001", "name": "王*", "name_masked": True, "assignments": [_held("GZ0102", "lobby_manager")]},
            {"code": "S2004", "name": "刘*", "name_masked": True, "assignments": [_held("GZ0101", "teller")]},
            {
                "code": "S2005",
                "name": "陈*",
                "name_masked": True,
                "assignments": [_held("GZ0101", "teller"), _held("GZ0102", "lobby_manager")],
            },
        ],
    }


def test_someone_who_left_is_listed_on_the_days_they_were_there_and_not_after(gz01_reader):
    # 李娜 (S2002) was customer manager at GZ0101 until 2026-06-30, then went to GZ0201 (outside GZ01).
    march = _by_code(gz01_reader.get(URL, {"date": "2026-03-01"}))
    last_day = gz01_reader.get(f"{URL}S2002/", {"date": "2026-06-30"})
    first_day_gone = gz01_reader.get(f"{URL}S2002/", {"date": "2026-07-01"})

    assert march["S2002"]["assignments"] == [_held("GZ0101", "customer_manager", start="2025-01-01", end="2026-06-30")]
    assert last_day.status_code == 200
    assert first_day_gone.status_code == 404
    assert "S2002" not in _codes(gz01_reader.get(URL, {"date": "2026-07-01"}))
    # Today (no date) she is not GZ01's either.
    assert gz01_reader.get(f"{URL}S2002/").status_code == 404


def test_a_token_with_the_personal_scope_reads_names_in_full(network, people):
    client = _token_client(network["GZ01"], scopes="read,personal")

    member = client.get(f"{URL}S2001/").json()

    assert (member["name"], member["name_masked"]) == ("王芳", False)


def test_the_hq_administrator_sees_everyone_with_full_names_and_every_assignment(hq):
    found = _by_code(hq.get(URL, {"date": DAY}))

    assert list(found) == ["S1001", "S2001", "S2002", "S2003", "S2004", "S2005"]
    assert (found["S2001"]["name"], found["S2001"]["name_masked"]) == ("王芳", False)
    assert found["S2002"]["assignments"] == [_held("GZ0201", "wealth_manager", start="2026-07-01")]
    assert found["S2004"]["assignments"] == [_held("GZ0101", "teller"), _held("SZ0101", "teller")]


def test_assignments_are_read_on_the_day_asked_for(hq):
    # On 2026-03-01 李娜 was still customer manager at GZ0101, until 2026-06-30.
    member = hq.get(f"{URL}S2002/", {"date": "2026-03-01"}).json()

    assert member["assignments"] == [_held("GZ0101", "customer_manager", start="2025-01-01", end="2026-06-30")]


def test_without_a_date_assignments_are_read_today(network, hq_admin):
    today = timezone.localdate()
    member = StaffMemberFactory(code="S3001", name="赵敏")
    AssignmentFactory(
        staff=member, unit=network["GZ0101"], post="teller", start=today - datetime.timedelta(days=30), end=today
    )
    AssignmentFactory(staff=member, unit=network["GZ0102"], post="teller", start=today + datetime.timedelta(days=1))

    found = _session_client(hq_admin).get(f"{URL}S3001/").json()

    assert [held["unit"] for held in found["assignments"]] == ["GZ0101"]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("auditor", ["S1001", "S2001", "S2002", "S2003", "S2004", "S2005"]),
        # 李娜 (S2002) left GZ0101 on 2026-06-30: on the day she is staff of neither.
        ("unit_manager", ["S1001", "S2001", "S2004", "S2005"]),
        ("outlet_head", ["S1001", "S2004", "S2005"]),
        ("teller", ["S1001"]),
        ("outsider", []),
    ],
)
def test_each_role_sees_its_own_people(db, people, persona, expected, request):
    assert _codes(_session_client(request.getfixturevalue(persona)).get(URL, {"date": DAY})) == expected


def test_signed_in_managers_read_names_in_full(people, outlet_head):
    found = _by_code(_session_client(outlet_head).get(URL, {"date": DAY}))

    assert found["S2005"]["name"] == "陈静"
    assert found["S2005"]["name_masked"] is False
    # The outlet head sees GZ0101 only: 陈静's post at GZ0102 is not shown.
    assert found["S2005"]["assignments"] == [_held("GZ0101", "teller")]


def test_a_teller_sees_her_own_record(people, teller):
    found = _session_client(teller).get(f"{URL}S1001/", {"date": DAY}).json()

    assert found == {
        "code": "S1001",
        "name": "黄丽娟",
        "name_masked": False,
        "assignments": [_held("GZ0101", "teller")],
    }


def test_someone_outside_the_scope_is_a_404_in_the_error_format(gz01_reader):
    response = gz01_reader.get(f"{URL}S2003/")

    assert response.status_code == 404
    assert response.json() == {"errors": [{"field": "", "message": "No such staff member.", "row": None}]}


def test_an_unknown_code_answers_exactly_like_one_out_of_scope(gz01_reader):
    unknown, elsewhere = gz01_reader.get(f"{URL}S9999/"), gz01_reader.get(f"{URL}S2003/")

    assert unknown.status_code == elsewhere.status_code == 404
    assert unknown.json() == elsewhere.json()


def test_a_teller_gets_a_404_for_a_colleague(people, teller):
    assert _session_client(teller).get(f"{URL}S2004/").status_code == 404


def test_a_token_without_the_read_scope_is_refused(network, people):
    response = _token_client(network["GZ01"], scopes="ingest").get(URL)

    assert response.status_code == 403
    assert response.json()["errors"][0]["field"] == ""


# -- filters -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"unit": "GZ0101"}, ["S1001", "S2004", "S2005"]),
        ({"unit": "GZ0101", "date": "2026-03-01"}, ["S1001", "S2002", "S2004", "S2005"]),
        ({"unit": "GZ0101", "date": "2025-06-01"}, ["S2002"]),
        ({"under": "GZ01"}, ["S1001", "S2001", "S2004", "S2005"]),
        ({"under": "GZ"}, ["S1001", "S2001", "S2002", "S2004", "S2005"]),
        ({"post": "teller"}, ["S1001", "S2003", "S2004", "S2005"]),
        ({"post": "lobby_manager"}, ["S2001", "S2005"]),
        # unit and post must hold for one assignment: 陈静 is a teller at GZ0101, lobby manager at GZ0102.
        ({"unit": "GZ0101", "post": "lobby_manager"}, []),
        ({"unit": "GZ0102", "post": "lobby_manager"}, ["S2001", "S2005"]),
        ({"under": "SZ", "post": "teller"}, ["S2003", "S2004"]),
    ],
)
def test_the_filters_match_assignments_on_the_day(hq, query, expected):
    assert _codes(hq.get(URL, {"date": DAY, **query})) == expected


def test_a_post_held_outside_the_tokens_subtree_does_not_match(gz01_reader, hq):
    # 李娜 is a wealth manager at GZ0201, which the Tianhe token may not see.
    assert _codes(hq.get(URL, {"date": DAY, "post": "wealth_manager"})) == ["S2002"]
    assert _codes(gz01_reader.get(URL, {"date": DAY, "post": "wealth_manager"})) == []
    assert _codes(gz01_reader.get(URL, {"date": DAY, "post": "teller"})) == ["S1001", "S2004", "S2005"]


def test_a_unit_filter_outside_the_scope_is_a_404(gz01_reader):
    for query in ({"unit": "SZ0101"}, {"under": "GZ"}, {"unit": "ZZ9999"}):
        response = gz01_reader.get(URL, query)
        assert response.status_code == 404, query
        assert response.json() == {"errors": [{"field": "", "message": "No such unit.", "row": None}]}


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"date": "2026-13-01"}, "date", "'2026-13-01' is not a date as YYYY-MM-DD, e.g. 2026-11-24"),
        ({"date": "24.11.2026"}, "date", "'24.11.2026' is not a date as YYYY-MM-DD, e.g. 2026-11-24"),
        ({"post": "cashier"}, "post", None),
        ({"ordering": "name"}, "ordering", None),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_the_parameter(hq, query, field, message):
    response = hq.get(URL, query)

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == field
    if message:
        assert error["message"] == message


def test_an_unknown_post_lists_the_posts(hq):
    [error] = hq.get(URL, {"post": "cashier"}).json()["errors"]

    assert error["message"].startswith("“cashier” is not a post; use one of outlet_head, ")
    assert "teller" in error["message"]


def test_the_detail_refuses_a_bad_date_too(hq):
    response = hq.get(f"{URL}S1001/", {"date": "tomorrow"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "date"


# -- ordering and pages --------------------------------------------------------------------------------------


def test_ordering_by_code_descending(hq):
    assert _codes(hq.get(URL, {"ordering": "-code"})) == ["S2005", "S2004", "S2003", "S2002", "S2001", "S1001"]


def test_pages_follow_the_cursor(hq):
    seen, response = [], hq.get(URL, {"page_size": 4})
    first_page = _codes(response)
    while True:
        seen += _codes(response)
        if not response.json()["next"]:
            break
        response = hq.get(response.json()["next"])

    assert first_page == ["S1001", "S2001", "S2002", "S2003"]
    assert seen == ["S1001", "S2001", "S2002", "S2003", "S2004", "S2005"]


def test_the_list_costs_the_same_queries_for_2_people_as_for_12(network, django_assert_num_queries):
    client = _token_client(network["GZ01"])
    client.get(URL)  # the token's first use records last_used_at; later ones within a minute do not
    for number in range(2):
        member = StaffMemberFactory(code=f"S40{number:02d}")
        AssignmentFactory(staff=member, unit=network["GZ0102"], post="teller")
        AssignmentFactory(staff=member, unit=network["GZ0101"], post="lobby_manager")

    # token, the `unit` filter's unit, the page, its assignments (units and posts joined): 4 either way.
    with django_assert_num_queries(4):
        assert len(_codes(client.get(URL, {"unit": "GZ0102", "date": DAY}))) == 2

    for number in range(2, 12):
        member = StaffMemberFactory(code=f"S40{number:02d}")
        AssignmentFactory(staff=member, unit=network["GZ0102"], post="teller")
        AssignmentFactory(staff=member, unit=network["GZ0101"], post="lobby_manager")

    with django_assert_num_queries(4):
        found = _by_code(client.get(URL, {"unit": "GZ0102", "date": DAY}))
    assert len(found) == 12
    assert found["S4011"]["assignments"] == [_held("GZ0101", "lobby_manager"), _held("GZ0102", "teller")]
