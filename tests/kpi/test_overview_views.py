"""The overview of a unit (kpi/views/overview.py, templates/kpi/overview.html): the heatmap of the units
below by key metric, the ranking, what is behind pace, its scope and downloads."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from openpyxl import load_workbook

from kpi.selectors.overview import BEHIND_PACE_LIMIT
from tests.factories import OrgUnitFactory
from tests.kpi.overview_data import TEMPLATE_METRICS, card, line, outlet_template, rolled_up_network


@pytest.fixture
def rolled_up(network):
    """2026-11-24 published: the scorecards of tests/kpi/overview_data.py (figures worked out there)."""
    return rolled_up_network(network)


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _states(response) -> dict[str, list[str]]:
    """Unit code → the state of each heatmap cell, in column order."""
    return {row.unit.code: [cell.state for cell in row.cells] for row in response.context["heatmap"].rows}


def _post_forms(page: str) -> list[str]:
    """The action of every form that posts."""
    forms = re.findall(r"<form\b[^>]*>", page)
    return [re.search(r'action="([^"]*)"', form).group(1) for form in forms if 'method="post"' in form]


@pytest.mark.django_db
def test_the_unit_manager_lands_on_the_heatmap_of_her_outlets(english, unit_manager, rolled_up):
    english.force_login(unit_manager)

    response = english.get("/")

    page = _page(response)
    assert "kpi/overview.html" in [template.name for template in response.templates]
    assert response.context["unit"].code == "GZ01"
    assert [metric.code for metric in response.context["heatmap"].metrics] == TEMPLATE_METRICS
    # GZ0101: deposits 46,123.45 of 50,000 = 0.922469 (amber), sign-ups 420 of 500 = 0.84 against a time
    # progress of 0.8 = 1.05 (green), risk events without a target. GZ0102: 0.75 and 0.625 (red), no
    # risk-events line.
    assert _states(response) == {"GZ0101": ["amber", "green", "none"], "GZ0102": ["red", "red", "missing"]}
    assert "Good morning, 陈志强" in page
    assert "Tianhe Road Outlet" in page and "Zhujiang New Town Outlet" in page


def test_each_cell_says_its_status_in_a_sign_and_a_word_with_its_pace(english, unit_manager, rolled_up):
    english.force_login(unit_manager)

    page = _page(english.get("/"))

    assert '<span class="chip chip-amber"><span aria-hidden="true">!</span> Slightly behind</span>' in page
    assert '<span class="chip chip-green"><span aria-hidden="true">✓</span> On pace</span>' in page
    assert '<span class="chip chip-red"><span aria-hidden="true">✕</span> Behind</span>' in page
    assert '<span aria-hidden="true">○</span> No target' in page
    assert '<span class="visually-hidden"> No figures</span>' in page
    for pace in ("92.2%", "105.0%", "75.0%", "62.5%"):
        assert f'<small class="pace">{pace}</small>' in page, pace


def test_a_row_links_to_the_childs_overview_or_to_its_scorecard(english, hq_admin, unit_manager, rolled_up):
    english.force_login(unit_manager)
    outlets = english.get("/?period=month").context["rows"]
    english.force_login(hq_admin)
    branches = english.get("/").context["rows"]

    assert [entry["url"] for entry in outlets] == [
        "/units/GZ0101/scorecard/?period=month",
        "/units/GZ0102/scorecard/?period=month",
    ]
    assert [entry["url"] for entry in branches] == [
        "/units/GZ/overview/?period=month",
        "/units/SZ/overview/?period=month",
    ]


def test_the_heatmap_is_drawn_from_the_same_cells_by_a_static_script(english, unit_manager, rolled_up):
    english.force_login(unit_manager)

    page = _page(english.get("/"))

    data = json.loads(re.search(r'<script id="overview-data" type="application/json">(.*?)</script>', page).group(1))
    assert data["metrics"] == ["Deposit balance", "Mobile banking sign-ups", "Internal-control risk events"]
    assert [unit["code"] for unit in data["units"]] == ["GZ0101", "GZ0102"]
    # [metric, unit, state (green amber red none missing), pace %]
    assert data["cells"] == [
        [0, 0, 1, 92.2],
        [1, 0, 0, 105.0],
        [2, 0, 3, None],
        [0, 1, 2, 75.0],
        [1, 1, 2, 62.5],
        [2, 1, 4, None],
    ]
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts == [
        '<script id="overview-data" type="application/json">',
        '<script src="/static/vendor/echarts-6.1.0/echarts.min.js" defer>',
        '<script src="/static/js/numbers.js" defer>',  # writes the cells' percentages as the table does
        '<script src="/static/js/heatmap.js" defer>',
    ]
    assert 'id="overview-heatmap"' in page


def test_the_ranking_lists_the_outlets_of_the_subtree_best_first(english, unit_manager, rolled_up):
    english.force_login(unit_manager)

    response = english.get("/")

    # 88.1235 before 62.5.
    assert [(row.outlet.code, row.rank) for row in response.context["ranking"]] == [("GZ0101", 1), ("GZ0102", 2)]
    assert "88.12" in _page(response)


def test_behind_pace_lists_the_red_lines_most_behind_first_with_a_link(english, unit_manager, rolled_up):
    english.force_login(unit_manager)

    response = english.get("/")

    assert [(line.scorecard.unit.code, line.metric.code) for line in response.context["behind"]] == [
        ("GZ0102", "mobile_banking_signups"),  # 0.625
        ("GZ0102", "deposit_balance"),  # 0.75
        ("GZ01", "deposit_balance"),  # 0.845816
        ("GZ01", "mobile_banking_signups"),  # 0.861111
    ]
    page = _page(response)
    assert "Behind pace" in page
    assert '<a href="/units/GZ0102/scorecard/?period=month">Zhujiang New Town Outlet</a>' in page


def test_behind_pace_says_how_many_it_leaves_out(english, unit_manager, rolled_up, network):
    for number in range(BEHIND_PACE_LIMIT):
        outlet = OrgUnitFactory.outlet_of(network["GZ01"], code=f"GZ01{number + 10}", name_zh=f"网点{number}")
        line(card(rolled_up, outlet), "customers_served", 1, 100, "0.01", "red")
    english.force_login(unit_manager)

    response = english.get("/")

    assert (len(response.context["behind"]), response.context["behind_count"]) == (20, 24)
    assert "The 20 furthest behind of 24." in _page(response)


def test_hq_lands_on_the_network_overview(english, hq_admin, rolled_up):
    english.force_login(hq_admin)

    response = english.get("/")

    assert response.context["unit"].code == "HQ"
    # No template scores branches: the default columns; GZ 1.05 green, SZ 0.92 amber on deposit growth.
    assert _states(response) == {
        "GZ": ["green", "missing", "missing", "missing", "missing", "missing"],
        "SZ": ["amber", "missing", "missing", "missing", "missing", "missing"],
    }
    # The whole network's outlets, and every red line (SZ0101 0.05 first).
    assert [row.outlet.code for row in response.context["ranking"]] == ["GZ0101", "GZ0102", "GZ0201", "SZ0101"]
    assert response.context["behind"][0].scorecard.unit.code == "SZ0101"


def test_the_auditor_reads_the_network_overview_without_any_form_that_changes_something(english, auditor, rolled_up):
    english.force_login(auditor)

    response = english.get("/")

    page = _page(response)
    assert response.context["unit"].code == "HQ"
    assert sorted(_post_forms(page)) == ["/accounts/logout/", "/i18n/setlang/"]
    assert "<form" in page and page.count("<form") == 2


def test_the_period_switch_shows_the_year(english, unit_manager, rolled_up):
    english.force_login(unit_manager)

    response = english.get("/overview/?period=year")

    # Only GZ0101 has a year scorecard: sign-ups 5,210 of 6,000, 0.966284 against the year's pace: amber.
    assert _states(response) == {"GZ0101": ["missing", "amber", "missing"], "GZ0102": ["missing"] * 3}
    links = [(link["url"], link["current"]) for link in response.context["period_links"]]
    assert links == [
        ("/overview/?period=day", False),
        ("/overview/?period=week", False),
        ("/overview/?period=month", False),
        ("/overview/?period=quarter", False),
        ("/overview/?period=year", True),
    ]
    assert 'aria-current="page">Year</a>' in _page(response)


def test_a_period_that_is_not_one_is_reported_and_the_month_shown(english, unit_manager, rolled_up):
    english.force_login(unit_manager)

    response = english.get("/overview/?period=fortnight")

    assert "“fortnight” is not a period" in _page(response)
    assert _states(response)["GZ0101"] == ["amber", "green", "none"]


# -- scope ---------------------------------------------------------------------------------------------


def test_the_unit_managers_overview_shows_nothing_outside_her_subtree(english, unit_manager, rolled_up):
    english.force_login(unit_manager)

    page = _page(english.get("/"))

    for outside in ("GZ0201", "Taiping Town Outlet", "SZ0101", "Huaqiangbei Outlet", "Futian", "Shenzhen"):
        assert outside not in page, outside


def test_an_overview_outside_the_scope_is_not_found(client, unit_manager, rolled_up):
    client.force_login(unit_manager)

    assert client.get("/units/SZ01/overview/").status_code == 404
    assert client.get("/units/GZ/overview/").status_code == 404  # above her own unit
    assert client.get("/units/NOPE/overview/").status_code == 404


def test_hq_opens_a_sub_branchs_overview_with_the_way_back_up(english, hq_admin, rolled_up):
    english.force_login(hq_admin)

    response = english.get("/units/GZ01/overview/?period=month")

    assert _states(response) == {"GZ0101": ["amber", "green", "none"], "GZ0102": ["red", "red", "missing"]}
    assert [unit.code for unit in response.context["ancestors"]] == ["HQ", "GZ"]
    assert '<a href="/units/GZ/overview/?period=month">Guangzhou Branch</a>' in _page(response)
    assert "Good morning" not in _page(response)


def test_an_outlets_overview_is_its_scorecard(client, unit_manager, rolled_up):
    client.force_login(unit_manager)

    response = client.get("/units/GZ0101/overview/?period=year")

    assert (response.status_code, response.url) == (302, "/units/GZ0101/scorecard/?period=year")


def test_outlet_heads_and_staff_have_no_overview_of_their_own(client, outlet_head, teller, rolled_up):
    client.force_login(outlet_head)
    assert client.get("/overview/").status_code == 404
    client.force_login(teller)
    assert client.get("/overview/").status_code == 404
    assert client.get("/units/GZ01/overview/").status_code == 404


# -- downloads -----------------------------------------------------------------------------------------


def test_the_heatmap_downloads_as_csv_with_status_and_pace(english, unit_manager, rolled_up):
    english.force_login(unit_manager)

    response = english.get("/overview/?period=month&export=csv&table=overview")

    assert response["Content-Disposition"] == 'attachment; filename="overview-GZ01-2026-11-24-month.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        [
            "Unit code",
            "Unit",
            "Deposit balance: status",
            "Deposit balance: pace-adjusted attainment",
            "Mobile banking sign-ups: status",
            "Mobile banking sign-ups: pace-adjusted attainment",
            "Internal-control risk events: status",
            "Internal-control risk events: pace-adjusted attainment",
        ],
        ["GZ0101", "Tianhe Road Outlet", "Slightly behind", "0.922469", "On pace", "1.050000", "No target", ""],
        ["GZ0102", "Zhujiang New Town Outlet", "Behind", "0.750000", "Behind", "0.625000", "No figures", ""],
    ]


def test_the_ranking_downloads_as_excel_with_numbers_as_numbers(english, unit_manager, rolled_up):
    english.force_login(unit_manager)

    response = english.get("/overview/?period=month&export=xlsx&table=ranking")

    assert response["Content-Disposition"] == 'attachment; filename="ranking-GZ01-2026-11-24-month.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["Rank", "Outlet code", "Outlet", "Score", "Vetoed", "Veto reason"],
        [1, "GZ0101", "Tianhe Road Outlet", 88.1235, None, None],
        [2, "GZ0102", "Zhujiang New Town Outlet", 62.5, None, None],
    ]


def test_a_download_defuses_a_unit_name_a_spreadsheet_would_run(english, hq_admin, network, rolled_up):
    OrgUnitFactory.outlet_of(network["GZ01"], code="GZ0199", name_zh="x", name_en='=HYPERLINK("http://evil")')
    english.force_login(hq_admin)

    response = english.get("/units/GZ01/overview/?export=csv")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[-1][:2] == ["GZ0199", '\'=HYPERLINK("http://evil")']


def test_a_download_outside_the_scope_is_not_found(client, unit_manager, rolled_up):
    client.force_login(unit_manager)

    assert client.get("/units/SZ01/overview/?export=csv").status_code == 404


# -- a bounded number of queries -----------------------------------------------------------------------


@pytest.fixture
def big_sub_branch(network, rolled_up):
    """GZ09 with 15 outlets scored by the template, each red on deposits and green on sign-ups."""
    template = outlet_template("T-BIG")
    big = OrgUnitFactory.sub_branch_of(network["GZ"], code="GZ09", name_zh="大支行")
    for number in range(15):
        outlet = OrgUnitFactory.outlet_of(big, code=f"GZ09{number:02d}", name_zh=f"网点{number}")
        scored = card(rolled_up, outlet, template=template, score=number)
        line(scored, "deposit_balance", 100, 200, "0.5", "red")
        line(scored, "mobile_banking_signups", 100, 100, "1.25", "green")
    return big


@pytest.mark.parametrize("code, outlets", [("GZ01", 2), ("GZ09", 15)])
def test_the_overview_issues_as_many_queries_for_two_outlets_as_for_fifteen(
    client, hq_admin, big_sub_branch, django_assert_num_queries, code, outlets
):
    client.force_login(hq_admin)

    # session, user, the unit, the latest day, heatmap 5, ranking 5 + its freshness 2 (HQ's cut-off, who
    # reported the day), behind pace 2, the units above, the header's unit of the login, the header's
    # alert badge; for HQ the operations line: yesterday published, rollup runs stuck, tiering runs stuck
    with django_assert_num_queries(24):
        response = client.get(f"/units/{code}/overview/")

    assert len(response.context["heatmap"].rows) == outlets
