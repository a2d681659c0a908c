"""The scorecard pages (kpi/views.py, templates/kpi/scorecard.html): what the outlet head opens at the
08:30 morning meeting, and the drill-down to child units and staff.

The figures are those of DOMAIN.md §4 worked by hand for Tuesday 2026-11-24: the month of November has
30 days, 24 of them gone, so time progress is 24/30 = 80 % and 6 days remain.

  mobile_banking_signups  actual 420 of 500 → 84 %; pace 84/80 = 105 % (green); gap 420 − 400 = +20;
                          (500 − 420) / 6 = 13.33 a day
  deposit_balance         46,123.45 of 50,000.00 万元 → 92.2 % (a level: pace = attainment, amber)
  avg_wait_minutes        12.5 min against ≤ 10 → 10 / 12.5 = 80 % (red)
  complaints              1, no target → no status
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpi.models import Metric
from tests.factories import AssignmentFactory, OrgUnitFactory, StaffMemberFactory
from tests.kpi.scorecard_factories import (
    BUSINESS_DATE,
    RollupRunFactory,
    ScorecardFactory,
    ScorecardLineFactory,
    metric,
    published_day,
)


@pytest.fixture
def english(client):
    """Read the pages in English, so the assertions do not depend on the zh-Hans catalog."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _month_lines(card) -> None:
    ScorecardLineFactory(
        scorecard=card,
        metric=metric("mobile_banking_signups"),
        actual="420",
        target="500",
        attainment="0.84",
        pace_attainment="1.05",
        status="green",
        gap_to_pace="20",
        required_per_day="13.3333",
    )
    ScorecardLineFactory(
        scorecard=card,
        metric=metric("deposit_balance"),
        actual="46123.45",
        target="50000",
        attainment="0.922469",
        pace_attainment="0.922469",
        status="amber",
    )
    ScorecardLineFactory(
        scorecard=card,
        metric=metric("avg_wait_minutes"),
        actual="12.5",
        target="10",
        attainment="0.8",
        pace_attainment="0.8",
        status="red",
    )
    ScorecardLineFactory(scorecard=card, metric=metric("complaints"), actual="1")


@pytest.fixture
def rolled_up(network, teller):
    """2026-11-24 rolled up: Tianhe Road's month and year, its sibling's month, the sub-branch's month
    and the teller's month."""
    day = published_day()
    run = day.published_run
    month = ScorecardFactory(run=run, unit=network["GZ0101"], period="month")
    _month_lines(month)
    year = ScorecardFactory(run=run, unit=network["GZ0101"], period="year")
    ScorecardLineFactory(
        scorecard=year,
        metric=metric("mobile_banking_signups"),
        actual="5210",
        target="6000",
        attainment="0.868333",
        time_progress="0.898630",
        pace_attainment="0.966284",
        status="amber",
        gap_to_pace="-181.78",
        required_per_day="21.9444",
    )
    for code in ("GZ0102", "GZ01", "SZ0101"):
        sibling = ScorecardFactory(run=run, unit=network[code], period="month")
        ScorecardLineFactory(scorecard=sibling, metric=metric("mobile_banking_signups"), actual="77")
    mine = ScorecardFactory(run=run, staff=teller.staff_member, period="month")
    ScorecardLineFactory(
        scorecard=mine,
        metric=metric("mobile_banking_signups"),
        actual="36",
        target="40",
        attainment="0.9",
        pace_attainment="1.125",
        status="green",
        gap_to_pace="4",
        required_per_day="0.6667",
    )
    return day


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# -- the outlet head's morning -----------------------------------------------------------------------


def test_the_outlet_head_sees_her_outlets_month_scorecard_with_the_numbers(english, outlet_head, rolled_up):
    english.force_login(outlet_head)

    page = _page(english.get("/scorecard/"))

    assert "Tianhe Road Outlet" in page
    assert "2026-11-24" in page
    assert "2026-11-01 – 2026-11-30" in page
    for figure in ("420", "500", "84.0%", "80.0%", "105.0%", "+20", "13.3"):
        assert f'<td class="num">{figure}</td>' in page, figure
    # Money with thousands separators and two decimals; minutes with one.
    assert '<td class="num">46,123.45</td>' in page
    assert '<td class="num">50,000.00</td>' in page
    assert '<td class="num">92.2%</td>' in page
    assert '<td class="num">12.5</td>' in page
    assert '<td class="num">10.0</td>' in page


def test_the_status_is_said_in_words_not_only_in_colour(english, outlet_head, rolled_up):
    english.force_login(outlet_head)

    page = _page(english.get("/scorecard/"))

    assert '<span class="chip chip-green"><span aria-hidden="true">✓</span> On pace</span>' in page
    assert '<span class="chip chip-amber"><span aria-hidden="true">!</span> Slightly behind</span>' in page
    assert '<span class="chip chip-red"><span aria-hidden="true">✕</span> Behind</span>' in page
    assert "No target" in page  # complaints has none


def test_the_lines_are_grouped_by_metric_category(english, outlet_head, rolled_up):
    english.force_login(outlet_head)

    response = english.get("/scorecard/")

    sections = [(str(label), [line.metric.code for line in lines]) for label, lines in response.context["sections"]]
    assert sections == [
        ("Deposits", ["deposit_balance"]),
        ("Channels", ["mobile_banking_signups"]),
        ("Service", ["avg_wait_minutes", "complaints"]),
    ]


def test_metric_names_follow_the_active_language(client, outlet_head, rolled_up):
    client.force_login(outlet_head)

    assert "手机银行签约" in _page(client.get("/scorecard/", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "Mobile banking sign-ups" in _page(client.get("/scorecard/", HTTP_ACCEPT_LANGUAGE="en"))


def test_the_outlet_head_switches_to_the_year(english, outlet_head, rolled_up):
    english.force_login(outlet_head)

    page = _page(english.get("/scorecard/?date=2026-11-24&period=year"))

    assert "2026-01-01 – 2026-12-31" in page
    for figure in ("5,210", "6,000", "86.8%", "89.9%", "96.6%", "-182", "21.9"):
        assert f'<td class="num">{figure}</td>' in page, figure


def test_the_period_switch_keeps_the_date_and_marks_the_current_period(english, outlet_head, rolled_up):
    english.force_login(outlet_head)

    response = english.get("/units/GZ0101/scorecard/?date=2026-11-24&period=quarter")

    links = {link["kind"]: (link["url"], link["current"]) for link in response.context["period_links"]}
    assert links == {
        "day": ("/units/GZ0101/scorecard/?date=2026-11-24&period=day", False),
        "week": ("/units/GZ0101/scorecard/?date=2026-11-24&period=week", False),
        "month": ("/units/GZ0101/scorecard/?date=2026-11-24&period=month", False),
        "quarter": ("/units/GZ0101/scorecard/?date=2026-11-24&period=quarter", True),
        "year": ("/units/GZ0101/scorecard/?date=2026-11-24&period=year", False),
    }
    assert 'aria-current="page">Quarter</a>' in _page(response)


def test_a_period_without_a_scorecard_says_so(english, outlet_head, rolled_up):
    english.force_login(outlet_head)

    page = _page(english.get("/scorecard/?period=week"))

    assert "There is no scorecard for this period on 2026-11-24" in page
    assert "2026-11-23 – 2026-11-29" in page  # the ISO week is still shown


def test_the_date_picker_shows_an_earlier_day(english, outlet_head, rolled_up, network):
    earlier = published_day(datetime.date(2026, 11, 20))
    card = ScorecardFactory(run=earlier.published_run, unit=network["GZ0101"])
    ScorecardLineFactory(scorecard=card, metric=metric("mobile_banking_signups"), actual="3333")
    english.force_login(outlet_head)

    response = english.get("/scorecard/?date=2026-11-20")

    assert response.context["scorecard"] == card
    page = _page(response)
    assert '<td class="num">3,333</td>' in page
    assert 'name="date" value="2026-11-20" max="2026-11-24"' in page
    assert "Show the latest rolled-up day (2026-11-24)" not in page  # only when the day has nothing


def test_a_bad_date_or_period_is_explained_and_the_latest_month_shown(english, outlet_head, rolled_up):
    english.force_login(outlet_head)

    response = english.get("/scorecard/?date=24.11.2026&period=fortnight")

    page = _page(response)
    assert "“24.11.2026” is not a date" in page
    assert "“fortnight” is not a period" in page
    assert response.context["day"] == BUSINESS_DATE
    assert response.context["period_kind"] == "month"
    assert '<td class="num">420</td>' in page


def test_an_unpublished_run_is_not_shown(english, outlet_head, network):
    published_day(BUSINESS_DATE)
    running = RollupRunFactory(date=BUSINESS_DATE, status="running")
    card = ScorecardFactory(run=running, unit=network["GZ0101"])
    ScorecardLineFactory(scorecard=card, metric=metric("mobile_banking_signups"), actual="999")
    english.force_login(outlet_head)

    page = _page(english.get("/scorecard/"))

    assert "999" not in page
    assert "There is no scorecard for this period" in page


def test_before_the_first_rollup_the_page_says_nothing_is_rolled_up_yet(english, outlet_head):
    english.force_login(outlet_head)

    page = _page(english.get("/scorecard/"))

    assert "Nothing has been rolled up yet." in page


# -- scope: out of scope is 404 ----------------------------------------------------------------------


@pytest.mark.parametrize("code", ["GZ0102", "GZ01", "SZ0101", "NOPE"])
def test_the_outlet_head_is_refused_any_other_unit(english, outlet_head, rolled_up, code):
    english.force_login(outlet_head)

    assert english.get(f"/units/{code}/scorecard/").status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, rolled_up):
    response = client.get("/units/GZ0101/scorecard/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_the_outsider_has_no_scorecard(english, outsider, rolled_up):
    english.force_login(outsider)

    assert english.get("/scorecard/").status_code == 404
    assert english.get("/units/GZ0101/scorecard/").status_code == 404


# -- drill-down --------------------------------------------------------------------------------------


def test_the_unit_manager_drills_down_from_the_sub_branch_to_an_outlet(english, unit_manager, rolled_up):
    english.force_login(unit_manager)

    page = _page(english.get("/scorecard/?date=2026-11-24&period=month"))

    assert "Tianhe Sub-branch" in page
    assert '<a href="/units/GZ0101/scorecard/?date=2026-11-24&amp;period=month">Tianhe Road Outlet</a>' in page
    assert '<a href="/units/GZ0102/scorecard/?date=2026-11-24&amp;period=month">Zhujiang New Town Outlet</a>' in page

    outlet_page = _page(english.get("/units/GZ0101/scorecard/?date=2026-11-24&period=month"))
    assert '<td class="num">420</td>' in outlet_page
    # Back up to the sub-branch, but not above it: the branch is outside the manager's scope.
    assert '<a href="/units/GZ01/scorecard/?date=2026-11-24&amp;period=month">Tianhe Sub-branch</a>' in outlet_page
    assert "/units/GZ/scorecard/" not in outlet_page


def test_the_unit_manager_may_not_drill_into_another_sub_branch(english, unit_manager, rolled_up):
    english.force_login(unit_manager)

    assert english.get("/units/GZ0201/scorecard/").status_code == 404
    assert english.get("/units/GZ/scorecard/").status_code == 404


def test_an_outlets_page_links_to_the_staff_working_there(english, outlet_head, teller, rolled_up, network):
    lobby = StaffMemberFactory(code="S1002", name="何静")
    AssignmentFactory(staff=lobby, post="lobby_manager", unit=network["GZ0101"])
    gone = StaffMemberFactory(code="S1009", name="已调离")
    AssignmentFactory(staff=gone, unit=network["GZ0101"], end=datetime.date(2026, 6, 30))
    english.force_login(outlet_head)

    page = _page(english.get("/scorecard/"))

    assert '<a href="/staff/S1001/scorecard/?date=2026-11-24&amp;period=month">黄丽娟</a>' in page
    assert '<a href="/staff/S1002/scorecard/?date=2026-11-24&amp;period=month">何静</a>' in page
    assert "S1009" not in page

    staff_page = _page(english.get("/staff/S1001/scorecard/?date=2026-11-24&period=month"))
    assert "黄丽娟" in staff_page
    assert '<td class="num">36</td>' in staff_page
    assert '<td class="num">112.5%</td>' in staff_page


def test_the_hq_admins_scorecard_is_the_head_office(english, hq_admin, rolled_up):
    english.force_login(hq_admin)

    response = english.get("/scorecard/")

    assert response.context["unit"].code == "HQ"
    assert '<a href="/units/GZ/scorecard/' in _page(response)


# -- the teller --------------------------------------------------------------------------------------


def test_the_teller_sees_her_own_scorecard(english, teller, rolled_up):
    english.force_login(teller)

    page = _page(english.get("/scorecard/"))

    assert "黄丽娟" in page
    assert "S1001" in page
    for figure in ("36", "40", "90.0%", "112.5%", "+4", "0.7"):
        assert f'<td class="num">{figure}</td>' in page, figure
    # Where she works is named, but not linked: the outlet is outside her scope.
    assert "Tianhe Road Outlet" in page
    assert "/units/GZ0101/scorecard/" not in page


def test_the_teller_gets_404_on_her_outlet_and_on_a_colleague(english, teller, rolled_up, network):
    colleague = StaffMemberFactory(code="S1002")
    AssignmentFactory(staff=colleague, unit=network["GZ0101"])
    english.force_login(teller)

    assert english.get("/units/GZ0101/scorecard/").status_code == 404
    assert english.get("/staff/S1002/scorecard/").status_code == 404
    assert english.get("/staff/S1001/scorecard/").status_code == 200


def test_the_outlet_head_gets_404_on_staff_of_another_outlet(english, outlet_head, rolled_up, network):
    elsewhere = StaffMemberFactory(code="S2001")
    AssignmentFactory(staff=elsewhere, unit=network["SZ0101"])
    english.force_login(outlet_head)

    assert english.get("/staff/S2001/scorecard/").status_code == 404


# -- the landing page --------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["outlet_head", "unit_manager", "teller"])
def test_home_sends_the_outlet_head_manager_and_teller_to_their_scorecard(english, rolled_up, persona, request):
    english.force_login(request.getfixturevalue(persona))

    response = english.get("/")

    assert response.status_code == 302
    assert response.url == "/scorecard/"


def test_home_stays_the_landing_page_before_the_first_rollup(english, outlet_head):
    english.force_login(outlet_head)

    assert english.get("/").status_code == 200


def test_home_stays_the_landing_page_for_the_hq_admin(english, hq_admin, rolled_up):
    english.force_login(hq_admin)

    assert english.get("/").status_code == 200


# -- a fixed number of queries -----------------------------------------------------------------------


def _scorecard_with(network, lines: int, staff: int) -> None:
    """A month scorecard of GZ01 with `lines` metrics, two child outlets (from the network) and `staff`
    people assigned to GZ01 itself, so every list on the page grows."""
    card = ScorecardFactory(run=published_day().published_run, unit=network["GZ01"])
    for each in Metric.objects.order_by("sort_order")[:lines]:
        ScorecardLineFactory(scorecard=card, metric=each, actual="1", target="2", attainment="0.5", status="red")
    for _ in range(staff):
        AssignmentFactory(unit=network["GZ01"], post="customer_manager")


def _queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_page_issues_as_many_queries_for_30_lines_as_for_3(
    english, unit_manager, network, django_assert_max_num_queries
):
    english.force_login(unit_manager)
    _scorecard_with(network, lines=3, staff=1)
    with_3 = _queries_for(english, "/scorecard/")
    # session, user, the user's unit, latest day, scorecard, lines, ancestors, child units, staff
    assert with_3 <= 9
    assert len(english.get("/scorecard/").context["sections"][0][1]) == 3

    _scorecard_with(network, lines=30, staff=8)
    for code in ("GZ0103", "GZ0104", "GZ0105"):
        OrgUnitFactory.outlet_of(network["GZ01"], code=code)

    with django_assert_max_num_queries(with_3):
        response = english.get("/scorecard/")
    assert sum(len(lines) for _label, lines in response.context["sections"]) == 30
    assert len(response.context["children"]) == 5
    assert len(response.context["staff_members"]) == 9


def test_the_top_bar_links_to_my_scorecard_for_anyone_with_a_role(english, auditor, outsider):
    english.force_login(auditor)
    assert '<a href="/scorecard/">Scorecard</a>' in _page(english.get("/"))

    english.force_login(outsider)
    assert '<a href="/scorecard/">Scorecard</a>' not in _page(english.get("/"))
