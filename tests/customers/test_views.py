"""Customers by tier pages (customers/views.py): /units/<code>/customers/ for the units in one's scope and
/customers/ for one's own, on the six customers of tests/customers/conftest.py tiered for October and
November 2026. The figures are those worked out in tests/customers/test_selectors.py."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from customers.services.tiering import tiering_run
from staff.models import Role
from tests.customers.clients import page_text
from tests.customers.conftest import NOV, OCT
from tests.customers.factories import CustomerFactory, SnapshotFactory
from tests.factories import AssignmentFactory, OrgUnitFactory, StaffMemberFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/units/{}/customers/"


def _chart(response) -> dict:
    found = re.search(r'<script id="tiers-data" type="application/json">(.*?)</script>', page_text(response), re.S)
    assert found, "no chart data on the page"
    return json.loads(found.group(1))


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# -- who may open what -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["hq_admin", "auditor", "unit_manager", "outlet_head"])
def test_the_roles_that_manage_an_outlet_see_names_and_identity_numbers(request, english, tiered, persona):
    english.force_login(request.getfixturevalue(persona))

    page = page_text(english.get(URL.format("GZ0101")))

    assert "欧阳娜娜" in page and "110101199003075678" in page
    assert "欧**娜" not in page


def test_a_unit_manager_never_sees_another_branchs_outlet(client, unit_manager, tiered):
    client.force_login(unit_manager)

    assert client.get(URL.format("SZ0101")).status_code == 404
    assert client.get(URL.format("SZ0101") + "?export=csv").status_code == 404
    assert client.get(URL.format("GZ")).status_code == 404  # above the manager's own unit
    assert client.get(URL.format("NOPE")).status_code == 404


def test_an_outlet_head_opens_their_outlet_but_not_the_neighbouring_one(client, outlet_head, tiered):
    client.force_login(outlet_head)

    assert client.get(URL.format("GZ0101")).status_code == 200
    assert client.get(URL.format("GZ0102")).status_code == 404


def test_a_login_without_a_role_sees_nothing(client, outsider, tiered):
    client.force_login(outsider)

    assert client.get("/customers/").status_code == 404
    assert client.get(URL.format("GZ0101")).status_code == 404


def test_signing_in_is_required(client, tiered):
    response = client.get(URL.format("GZ0101"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_my_customers_takes_a_unit_manager_to_their_unit_keeping_the_month(client, unit_manager, tiered):
    client.force_login(unit_manager)

    response = client.get("/customers/?month=2026-10")

    assert (response.status_code, response["Location"]) == (302, "/units/GZ01/customers/?month=2026-10")


def test_my_customers_takes_an_auditor_to_the_whole_network(client, auditor, tiered):
    client.force_login(auditor)

    assert client.get("/customers/")["Location"] == "/units/HQ/customers/"


# -- a relationship manager (the staff role) -------------------------------------------------------------


def test_a_relationship_manager_sees_their_own_customers_and_no_unit_page(english, teller, tiered):
    english.force_login(teller)

    response = english.get("/customers/")
    page = page_text(response)

    pyramid = response.context["pyramid"]
    # C1–C5, not C6 (no manager): C3 was the only 1-star in October.
    assert {row.tier.code: (row.customers_before, row.customers) for row in pyramid.tiers}["star1"] == (1, 0)
    assert response.context["matrix"].totals == {"up": 2, "down": 1, "same": 0, "new": 1, "lost": 1}
    assert [entry["row"].code for entry in response.context["rows"]] == ["C2"]
    assert "欧阳娜娜" in page  # their own customer, to call
    assert "My customers" in page
    assert english.get(URL.format("GZ0101")).status_code == 404


def test_a_teller_who_manages_nobody_gets_an_empty_page(english, network, tiered):
    user = UserFactory(username="li.na", first_name="李娜", role=Role.STAFF)
    staff_member = StaffMemberFactory(code="S1002", name="李娜", user=user)
    AssignmentFactory(staff=staff_member, post="teller", unit=network["GZ0102"], start=datetime.date(2026, 1, 1))
    english.force_login(user)

    response = english.get("/customers/")
    page = page_text(response)

    assert (response.context["pyramid"].total, response.context["pyramid"].total_before) == (0, 0)
    assert response.context["matrix"].customers == 0
    assert response.context["rows"] == []
    assert "No customer moved down this month." in page
    assert "欧阳娜娜" not in page


# -- the figures -----------------------------------------------------------------------------------------


def test_the_page_shows_the_latest_tiered_month_against_the_month_before(english, outlet_head, tiered):
    english.force_login(outlet_head)

    response = english.get(URL.format("GZ0101"))
    page = page_text(response)

    assert (response.context["month"], response.context["previous"]) == (NOV, OCT)
    pyramid = response.context["pyramid"]
    assert (pyramid.premium_before, pyramid.premium) == (2, 3)
    # The table, highest tier first, with each change as an arrow and words.
    assert [row.tier.code for row in response.context["pyramid_rows"]] == [
        "private",
        "star5",
        "star4",
        "star3",
        "star2",
        "star1",
    ]
    assert "up 2" in page and "down 1" in page and "unchanged" in page


def test_the_chart_data_repeats_the_tables(english, unit_manager, tiered):
    english.force_login(unit_manager)

    chart = _chart(english.get(URL.format("GZ01")))

    assert chart["pyramid"]["tiers"] == ["Private banking", "5-star", "4-star", "3-star", "2-star", "1-star"]
    assert chart["pyramid"]["before"] == [1, 0, 1, 0, 1, 2]
    assert chart["pyramid"]["now"] == [0, 1, 0, 2, 1, 1]
    assert chart["pyramid"]["changes"][0] == "down 1"
    assert chart["matrix"]["from"] == ["1-star", "2-star", "3-star", "4-star", "5-star", "Private banking", "New"]
    assert chart["matrix"]["to"] == ["1-star", "2-star", "3-star", "4-star", "5-star", "Private banking", "Lost"]
    # [column, row, customers]: star1→star1, star1→star2, star2→star3, star4→star3, private→lost, new→star5
    assert sorted(chart["matrix"]["cells"]) == sorted(
        [[0, 0, 1], [1, 0, 1], [2, 1, 1], [2, 3, 1], [6, 5, 1], [4, 6, 1]]
    )
    page = page_text(english.get(URL.format("GZ01")))
    assert 'id="tier-pyramid"' in page and 'id="tier-matrix"' in page
    assert "js/tiers.js" in page


def test_the_migration_totals_are_on_the_page(english, unit_manager, tiered):
    english.force_login(unit_manager)

    response = english.get(URL.format("GZ01"))

    assert response.context["matrix"].totals == {"up": 2, "down": 1, "same": 1, "new": 1, "lost": 1}
    assert [row.total for row in response.context["matrix_rows"]] == [2, 1, 0, 1, 0, 1, 1]


def test_an_earlier_month_can_be_chosen(english, outlet_head, tiered):
    english.force_login(outlet_head)

    response = english.get(URL.format("GZ0101") + "?month=2026-10")

    assert response.context["month"] == OCT
    assert response.context["matrix"].totals["new"] == 4  # the first month: everyone is new
    assert response.context["rows"] == []


@pytest.mark.parametrize(
    "month, message",
    [
        ("2026-13", "“2026-13” is not a month; pick one as YYYY-MM, e.g. 2026-11."),
        ("soon", "“soon” is not a month; pick one as YYYY-MM, e.g. 2026-11."),
        ("1999-01", "No tier scheme is in force in 1999-01."),
    ],
)
def test_a_bad_month_is_reported_and_the_latest_shown(english, outlet_head, tiered, month, message):
    english.force_login(outlet_head)

    response = english.get(URL.format("GZ0101") + f"?month={month}")

    assert response.context["errors"] == [message]
    assert response.context["month"] == NOV
    assert message.replace("“", "&ldquo;") in page_text(response) or message in page_text(response)


def test_a_month_not_yet_tiered_is_shown_empty_with_a_note(english, outlet_head, tiered):
    english.force_login(outlet_head)

    response = english.get(URL.format("GZ0101") + "?month=2026-12")

    assert response.context["month"] == datetime.date(2026, 12, 1)
    assert response.context["pyramid"].total == 0
    assert response.context["pyramid"].total_before == 4
    assert "has not been tiered yet" in page_text(response)


# -- the relationship manager filter ---------------------------------------------------------------------


def test_the_manager_filter_narrows_the_pyramid_matrix_and_list(english, unit_manager, tiered):
    english.force_login(unit_manager)

    response = english.get(URL.format("GZ01") + "?manager=S1001")

    assert response.context["manager"].code == "S1001"
    assert response.context["matrix"].totals == {"up": 2, "down": 1, "same": 0, "new": 1, "lost": 1}
    assert response.context["pyramid"].total == 4
    assert "黄丽娟" in page_text(response)
    assert "manager=S1001" in response.context["exports"]["moved_down_csv"]


@pytest.mark.parametrize("code", ["S9999", "S2003"])
def test_a_manager_unknown_or_out_of_scope_is_reported_and_everyone_shown(english, unit_manager, network, tiered, code):
    outside = StaffMemberFactory(code="S2003", name="张伟")
    AssignmentFactory(staff=outside, post="teller", unit=network["SZ0101"], start=datetime.date(2026, 1, 1))
    english.force_login(unit_manager)

    response = english.get(URL.format("GZ01") + f"?manager={code}")

    assert response.context["manager"] is None
    assert response.context["errors"] == [f"“{code}” is not a relationship manager you can see; showing everyone."]
    assert response.context["matrix"].totals["same"] == 1


# -- exports ---------------------------------------------------------------------------------------------


def test_the_moved_down_list_downloads_as_csv(english, unit_manager, tiered):
    english.force_login(unit_manager)

    rows = _csv(english.get(URL.format("GZ01") + "?month=2026-11&export=csv&table=moved_down"))

    assert rows[0][:3] == ["Customer id", "Name", "Identity number"]
    assert rows[1:] == [
        [
            "C2",
            "欧阳娜娜",
            "110101199003075678",
            "GZ0101",
            "Tianhe Road Outlet",
            "S1001",
            "黄丽娟",
            "4-star",
            "3-star",
            "1",
            "200000.00",
            "199999.99",
            "-0.01",
        ]
    ]


def test_the_matrix_downloads_as_excel(english, unit_manager, tiered):
    english.force_login(unit_manager)

    response = english.get(URL.format("GZ01") + "?export=xlsx&table=matrix")

    assert response["Content-Disposition"] == 'attachment; filename="tier-migration-GZ01-2026-11.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][1:] == ["1-star", "2-star", "3-star", "4-star", "5-star", "Private banking", "Lost", "Total"]
    assert rows[1] == ["1-star", 1, 1, 0, 0, 0, 0, 0, 2]
    assert rows[7] == ["New", 0, 0, 0, 0, 1, 0, None, 1]
    assert rows[8] == ["Total", 1, 1, 2, 0, 1, 0, 1, 6]


def test_an_export_cannot_smuggle_a_formula_into_a_spreadsheet(english, unit_manager, network, tiered):
    customer = CustomerFactory(code="C9", name="=HYPERLINK(1)", home_outlet=network["GZ0101"])
    SnapshotFactory(customer=customer, month=OCT, aum_avg_daily=Decimal("60000"))
    SnapshotFactory(customer=customer, month=NOV, aum_avg_daily=Decimal("100"))
    tiering_run(month=OCT)
    tiering_run(month=NOV)
    english.force_login(unit_manager)

    rows = _csv(english.get(URL.format("GZ01") + "?export=csv"))

    assert [row[:2] for row in rows[1:]] == [["C9", "'=HYPERLINK(1)"], ["C2", "欧阳娜娜"]]


def test_the_export_of_a_staff_member_is_of_their_own_customers(english, teller, tiered):
    english.force_login(teller)

    response = english.get("/customers/?export=csv")

    assert response["Content-Disposition"] == 'attachment; filename="moved-down-S1001-2026-11.csv"'
    assert [row[0] for row in _csv(response)[1:]] == ["C2"]


def test_exports_mask_personal_data_for_a_scope_without_it(english, unit_manager, tiered, monkeypatch):
    """No role of the pages lacks personal data today; the export follows the scope whatever it is."""
    from customers import views
    from staff.access import Scope

    monkeypatch.setattr(views, "scope_for_user", lambda user: Scope(unit_path="/HQ/GZ/GZ01/"))
    english.force_login(unit_manager)

    rows = _csv(english.get(URL.format("GZ01") + "?export=csv"))
    page = page_text(english.get(URL.format("GZ01")))

    assert rows[1][:3] == ["C2", "欧**娜", "110101********5678"]
    assert rows[1][6] == "黄*娟"
    assert "欧**娜" in page and "欧阳娜娜" not in page
    assert "Names and identity numbers are masked." in page


# -- paging and a bounded number of queries --------------------------------------------------------------


def _sixty_more(network) -> None:
    """Besides the six: a new outlet GZ0103 under GZ01 and 60 more customers across GZ0101–GZ0103 with two
    more relationship managers, every one of them falling from 4-star to 2-star; tiered again."""
    extra_outlet = OrgUnitFactory.outlet_of(network["GZ01"], code="GZ0103", name_zh="体育西网点")
    outlets = [network["GZ0101"], network["GZ0102"], extra_outlet]
    managers = []
    for number, outlet in enumerate(outlets[1:], start=2):
        manager = StaffMemberFactory(code=f"S100{number}", name=f"经理{number}")
        AssignmentFactory(staff=manager, post="customer_manager", unit=outlet, start=datetime.date(2026, 1, 1))
        managers.append(manager)
    for number in range(60):
        customer = CustomerFactory(
            code=f"D{number:03d}",
            home_outlet=outlets[number % 3],
            relationship_manager=managers[number % 2],
        )
        SnapshotFactory(customer=customer, month=OCT, aum_avg_daily=Decimal("300000") + number)
        SnapshotFactory(customer=customer, month=NOV, aum_avg_daily=Decimal("20000"))
    tiering_run(month=OCT)
    tiering_run(month=NOV)


@pytest.fixture
def bigger(network, tiered):
    _sixty_more(network)


def test_the_list_is_read_a_page_at_a_time(english, unit_manager, bigger):
    english.force_login(unit_manager)

    first = english.get(URL.format("GZ01"))
    second = english.get(URL.format("GZ01") + "?page=2")

    assert first.context["page"].paginator.count == 61
    # 2 tiers down first, the most AUM lost first (D059 lost 280,059), C2 (1 tier) last.
    assert [entry["row"].code for entry in first.context["rows"]][:3] == ["D059", "D058", "D057"]
    assert len(first.context["rows"]) == 50
    assert [entry["row"].code for entry in second.context["rows"]][-1] == "C2"
    assert "Page 1 of 2" in page_text(first)


def test_a_bad_page_number_shows_the_first_page(english, unit_manager, bigger):
    english.force_login(unit_manager)

    assert english.get(URL.format("GZ01") + "?page=x").context["page"].number == 1


def test_the_page_issues_as_many_queries_for_six_customers_as_for_sixty_six(
    english, unit_manager, network, tiered, django_assert_num_queries
):
    """The page's own queries: the unit, the tiered months, the scheme, its tiers, the pyramid, the matrix,
    the moved-down count, its page of ids and their rows, the units above and below, the managers offered
    (besides the session, the user and whatever the header reads)."""
    english.force_login(unit_manager)
    with CaptureQueriesContext(connection) as small:
        assert english.get(URL.format("GZ01")).context["page"].paginator.count == 1
    _sixty_more(network)

    with django_assert_num_queries(len(small.captured_queries)):
        response = english.get(URL.format("GZ01"))

    assert response.context["page"].paginator.count == 61
    assert len(response.context["rows"]) == 50
    assert len(response.context["children"]) == 3


def test_the_moved_down_list_writes_aum_in_wan_yuan_and_counts_with_separators(english, unit_manager, tiered):
    english.force_login(unit_manager)

    page = page_text(english.get(URL.format("GZ01")))

    # C2 fell from 4-star to 3-star: 200,000.00 元 → 199,999.99 元, in 万元 with two decimals (the
    # download keeps 元, exact).
    assert "Average daily AUM last month (万元)" in page and "Average daily AUM this month (万元)" in page
    assert page.count('<td class="num">20.00</td>') == 2
    assert "200,000.00" not in page and "200000.00" not in page
    assert not re.search(r"\d+\.\d{4}\b", page)
